"""How many of a worker's jobs run Python at once.

A worker runs hundreds of queued requests at a time (``bot.jobs.THREADS``), nearly all of
them waiting: on the model (seconds), on Slack. When many come back at the same moment and
the worker is short of CPU, hundreds of threads want the interpreter's lock. Then a thread
that holds a pooled connection waits its turn for the lock again after every round trip,
and a statement of a few milliseconds holds its connection for seconds: the pacer's takes
timed out after 30 s in load runs (benchmarks/README.md, fifth round).

So a job runs holding one of ``slots`` slots (``hold``), and gives it to another job while
it waits on the model or for a pacing token (``waiting``). The threads past the slots wait
on a semaphore, not on the interpreter's lock, and the ones running finish their statements
at their own speed. ``waiting`` in a thread that holds no slot (``serve``'s listeners, the
scheduler) does nothing.

Round trips to Slack and the database keep the slot: they are short, and a job that posted
a message must record it before another job of the same ask goes on (lending the slot
there let a click land between a draft's post and its recorded ts: two drafts, in a load
run). With 16 slots and a whole second of Slack round trips per job, a worker still
finishes 16 jobs a second: more than Slack's rate limits let through anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

SLOTS = 16  # as many as the work's pooled connections (storage.db.CONNECTIONS)


class WorkSlots:
    def __init__(self, slots: int = SLOTS) -> None:
        if slots < 1:
            raise ValueError("a worker needs at least one slot")
        self._free = threading.Semaphore(slots)
        self._held = threading.local()

    def _holding(self) -> bool:
        return bool(getattr(self._held, "on", False))

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Run the block (a job) holding a slot: wait for one first."""
        if self._holding():  # a job inside a job: it already has one
            yield
            return
        self._free.acquire()
        self._held.on = True
        try:
            yield
        finally:
            self._held.on = False
            self._free.release()

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """A wait inside a job (the model, a pacing token): its slot is free meanwhile,
        and taken again (waiting for one) before the job goes on."""
        if not self._holding():
            yield
            return
        self._held.on = False
        self._free.release()
        try:
            yield
        finally:
            self._free.acquire()
            self._held.on = True
