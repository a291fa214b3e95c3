"""How much work runs Python at once, and whose turn it is next.

A worker runs many queued commands at a time (``bot.commands_worker.THREADS``), nearly all
of them waiting: on the model (seconds), on Slack. When many come back at the same moment and
the worker is short of CPU, hundreds of threads want the interpreter's lock. Then a thread
that holds a pooled connection waits its turn for the lock again after every round trip,
and a statement of a few milliseconds holds its connection for seconds: the pacer's takes
timed out after 30 s in load runs (benchmarks/README.md, fifth round).

So a job runs holding one of ``slots`` slots (``hold``), and gives it to another job while
it waits on the model or for a pacing token (``waiting``). The threads past the slots wait
their turn here, not on the interpreter's lock, and the ones running finish their statements
at their own speed. ``waiting`` in a thread that holds no slot (the scheduler) does nothing.

**Turns are fair across people.** ``serve`` runs each listener's work after its ack holding
a slot keyed by the person who asked (``bot.admission``). Waiting turns queue per key and
are handed out round-robin over the keys, so one person's burst of 400 requests waits
behind itself while someone else's first request gets the next free slot. A job back from
a wait (``waiting``) goes ahead of new ones: it is finishing something a person already
waits for. The worker's jobs use one key, which makes the slots plain first come, first
served.

Round trips to Slack and the database keep the slot: they are short, and a job that posted
a message must record it before another job of the same ask goes on (lending the slot
there let a click land between a draft's post and its recorded ts: two drafts, in a load
run). With 16 slots and a whole second of Slack round trips per job, a worker still
finishes 16 jobs a second: more than Slack's rate limits let through anyway.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager

SLOTS = 16  # as many as the work's pooled connections (storage.db.CONNECTIONS)


class _Turn:
    """One thread waiting for a slot."""

    def __init__(self, lock: threading.Lock) -> None:
        self.granted = False
        self.ready = threading.Condition(lock)


class WorkSlots:
    def __init__(self, slots: int = SLOTS) -> None:
        if slots < 1:
            raise ValueError("a worker needs at least one slot")
        self.slots = slots
        self._lock = threading.Lock()
        self._free = slots
        self._resuming: deque[_Turn] = deque()
        self._waiting: OrderedDict[str, deque[_Turn]] = OrderedDict()
        self._held = threading.local()

    def holding(self) -> bool:
        """Whether this thread holds a slot."""
        return bool(getattr(self._held, "on", False))

    @property
    def queued(self) -> int:
        """How many threads wait for a slot."""
        with self._lock:
            return len(self._resuming) + sum(len(turns) for turns in self._waiting.values())

    def take(self, key: str = "") -> bool:
        """Wait for a slot in ``key``'s queue and hold it; False when this thread already held
        one (then there is nothing to give back)."""
        if self.holding():
            return False
        self._acquire(key, resuming=False)
        self._held.on = True
        return True

    def give_back(self) -> None:
        """Give back the slot ``take`` took."""
        if self.holding():
            self._held.on = False
            self._release()

    @contextmanager
    def hold(self, key: str = "") -> Iterator[None]:
        """Run the block (a job) holding a slot: wait for one first."""
        took = self.take(key)  # a job inside a job: it already has one
        try:
            yield
        finally:
            if took:
                self.give_back()

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """A wait inside a job (the model, a pacing token): its slot is free meanwhile,
        and taken again (ahead of new jobs) before the job goes on."""
        if not self.holding():
            yield
            return
        self._held.on = False
        self._release()
        try:
            yield
        finally:
            self._acquire("", resuming=True)
            self._held.on = True

    def _acquire(self, key: str, *, resuming: bool) -> None:
        with self._lock:
            if self._free > 0 and not self._resuming and not self._waiting:
                self._free -= 1
                return
            turn = _Turn(self._lock)
            if resuming:
                self._resuming.append(turn)
            else:
                self._waiting.setdefault(key, deque()).append(turn)
            self._grant()
            while not turn.granted:
                turn.ready.wait()

    def _release(self) -> None:
        with self._lock:
            self._free += 1
            self._grant()

    def _grant(self) -> None:
        """Hand free slots to waiting turns: jobs back from a wait first, then one turn per
        key in round-robin order. Called with the lock held."""
        while self._free > 0:
            if self._resuming:
                turn = self._resuming.popleft()
            elif self._waiting:
                key, turns = next(iter(self._waiting.items()))
                turn = turns.popleft()
                if turns:
                    self._waiting.move_to_end(key)
                else:
                    del self._waiting[key]
            else:
                return
            self._free -= 1
            turn.granted = True
            turn.ready.notify()
