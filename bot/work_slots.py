"""How much work runs Python at once, and whose turn it is next.

A worker runs hundreds of commands at once (``bot.commands_worker``), nearly all waiting on
the model or Slack. When many came back together on a short CPU, threads holding pooled
connections waited for the interpreter's lock after every round trip, and the pacer's takes
timed out (benchmarks/README.md, fifth round).

So a job runs holding one of ``slots`` slots (``hold``) and lends it while it waits on the
model or a pacing token (``waiting``; nothing in a thread holding no slot). Round trips to
Slack and the database keep the slot: they are short, and a job that posted a message must
record it before another job of the same ask goes on (else two drafts, in a load run).

**Turns are fair across people**: waiting turns queue per key (``serve`` keys a listener's
work by the person who asked: ``bot.admission``) and are handed out round-robin over the
keys, so one person's burst waits behind itself; a job back from a wait goes first. The
worker's jobs share one key: first come, first served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager

SLOTS = 16  # as many as the work's pooled connections (storage.db.CONNECTIONS)


class WorkSlots:
    def __init__(self, slots: int = SLOTS) -> None:
        if slots < 1:
            raise ValueError("a worker needs at least one slot")
        self.slots = slots
        self._lock = threading.Lock()
        self._free = slots
        # The threads waiting for a slot, each a turn that is set when it is given one.
        self._resuming: deque[threading.Event] = deque()
        self._waiting: OrderedDict[str, deque[threading.Event]] = OrderedDict()
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
            turn = threading.Event()
            if resuming:
                self._resuming.append(turn)
            else:
                self._waiting.setdefault(key, deque()).append(turn)
            self._grant()
        turn.wait()

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
            turn.set()
