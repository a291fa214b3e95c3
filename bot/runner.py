"""The one runner of the durable queue (``storage.queue``) in each process that works it off
(``serve``, ``intake-bot worker``), with a handler per kind of item (``bot.queue_kinds``).

A handler returns what to keep with the done item (a message's ts) or None, or raises
``Retry``, ``Defer``, ``GiveUp`` or ``PaceInterrupted`` (stopping before anything went out:
handed back); anything else is logged and retried with backoff. Each kind runs at most
``Kind.threads`` items at once, so a weekly fan-out never takes the threads a click needs.

The loop claims while it finds work, then waits ``poll_s`` or for ``notify()``. A notify
counts in ``in_flight`` until the round answering it ends, and a claimed item until its
handler ends (a round is owed meanwhile, so what it held back in order is claimed before the
count drops): tests and the sandbox wait for a click's work. Stopping: see ``request_stop``
and ``stop``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.in_flight import InFlight, Rounds, Wakeups
from bot.observability.context import request_scope
from bot.pacing import PaceInterrupted, interruptible
from intake.clock import Clock
from storage import queue

log = logging.getLogger(__name__)

Handler = Callable[[queue.Item], dict[str, Any] | None]
TIDY_EVERY_S = 60.0


class Retry(Exception):
    """This attempt failed and did nothing: try again later (after ``after`` seconds when the
    service said when, else with backoff). The runner logs it, naming the item by its id and
    key and ``about`` ("ask PLAT-1"), which is not kept as its error."""

    def __init__(self, reason: str, after: float | None = None, *, about: str = "") -> None:
        super().__init__(reason)
        self.after = after
        self.about = about


class Defer(Exception):
    """Not now, and nothing went out (a DM during the recipient's night): due again at
    ``until``, the attempt not counted."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.until = until


class GiveUp(Exception):
    """This item can never succeed (the channel is gone, the config refuses it): keep it as
    given up, to be reported, and do not try again."""


@dataclass(frozen=True)
class Kind:
    """How one kind of item runs: its handler, how many at once here, how long a claimed one
    is leased (longer than any one attempt, else a second runner claims it while it runs),
    when one given back in doubt at shutdown is due again, and how long a done item (and so
    its key) is kept."""

    handler: Handler
    threads: int = 4
    lease: timedelta = queue.LEASE
    abandoned_due_after: timedelta = timedelta(seconds=30)
    keep_done: timedelta = timedelta(days=7)


class Runner:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        kinds: Mapping[str, Kind],
        *,
        poll_s: float = 1.0,
        in_flight: InFlight | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.kinds = dict(kinds)
        self.poll_s = poll_s
        self.rounds = Rounds()  # rounds that found nothing more to claim
        self.stopping = threading.Event()
        self._in_flight = in_flight or InFlight()  # a private count when nobody reads it
        self._wakeups = Wakeups(self._in_flight)
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, sum(kind.threads for kind in self.kinds.values())),
            thread_name_prefix="queue",
        )
        self._lock = threading.Condition()
        self._held: dict[int, queue.Item] = {}  # claimed here, not finished or handed back
        self._thread: threading.Thread | None = None
        # Per kind, for the shutdown's report: the items done here, those handed back
        # unstarted, and those still running at ``stop``'s deadline (given back in doubt).
        self.finished, self.handed_back, self.cut_off = (
            Counter(dict.fromkeys(self.kinds, 0)) for _ in range(3)
        )

    # -- the loop ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="queue-runner", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wakeups.notify()

    def _loop(self) -> None:
        next_tidy = 0.0
        while not self.stopping.is_set():
            with self._wakeups.round():
                if time.monotonic() >= next_tidy:
                    next_tidy = time.monotonic() + TIDY_EVERY_S
                    self._tidy()
                try:
                    while not self.stopping.is_set() and self.run_due():
                        pass
                    self.rounds.done()
                except Exception:
                    log.warning("could not claim queued work; trying again", exc_info=True)
            self._wakeups.event.wait(self.poll_s)

    def run_due(self) -> int:
        """Claim what is due, as many of each kind as it has free threads, and start them.
        How many were claimed."""
        claimed: list[queue.Item] = []
        due = queue.due_kinds(self.engine, self.clock.now(), self.kinds)  # one read when idle
        for name, kind in self.kinds.items():
            if name not in due:
                continue
            with self._lock:
                free = kind.threads - sum(item.kind == name for item in self._held.values())
            if free <= 0:
                continue
            items = queue.claim(self.engine, self.clock.now(), free, kinds=[name], lease=kind.lease)
            with self._lock:
                self._held.update((item.id, item) for item in items)
            for _ in items:
                self._in_flight.begin()
            claimed.extend(items)
        for item in claimed:
            self._pool.submit(self._run, item)
        return len(claimed)

    def drain(self) -> None:
        """Run what is due, round after round, until none is left (retries wait); returns
        when the last round has ended."""
        while self.run_due():
            with self._lock:
                self._lock.wait_for(lambda: not self._held)

    def _run(self, item: queue.Item) -> None:
        outcome = None
        try:
            if self.stopping.is_set():
                queue.release(self.engine, [item.id], self.clock.now())
                outcome = self.handed_back
            else:
                outcome = self._attempt(item)
        except Exception:
            log.warning(
                "queue item %d (%s): could not record its outcome; it runs again, in doubt,"
                " when its lease ends",
                item.id,
                item.kind,
                exc_info=True,
            )
        finally:
            with self._lock:
                if self._held.pop(item.id, None) is not None and outcome is not None:
                    outcome[item.kind] += 1
                self._lock.notify_all()
            # A thread is free: claim more without waiting (what this item held back in order).
            if self.stopping.is_set():
                self._wakeups.event.set()
            else:
                self._wakeups.notify()
            self._in_flight.end()

    def _attempt(self, item: queue.Item) -> Counter[str] | None:
        """Run the item's handler and record its outcome; the counter it counts in, if any."""
        handler = self.kinds[item.kind].handler
        try:
            with request_scope(), interruptible(self.stopping):
                result = handler(item)
        except PaceInterrupted:
            queue.release(self.engine, [item.id], self.clock.now())
            return self.handed_back
        except Defer as later:
            queue.release(self.engine, [item.id], later.until)
        except Retry as retry:
            self._failed(item, str(retry), retry_after=retry.after, about=retry.about)
        except GiveUp as reason:
            self._failed(item, str(reason), give_up=True)
        except Exception as error:
            log.error("queue item %d (%s) failed", item.id, item.kind, exc_info=True)
            self._failed(item, f"{type(error).__name__}: {error}")
        else:
            queue.done(self.engine, item.id, self.clock.now(), result)
            return self.finished
        return None

    def _failed(
        self,
        item: queue.Item,
        error: str,
        *,
        retry_after: float | None = None,
        give_up: bool = False,
        about: str = "",
    ) -> None:
        about = f", {about}" if about else ""
        at, what = self.clock.now(), f"queue item {item.id} ({item.kind}, key {item.key}{about})"
        next_run = queue.failed(
            self.engine, item.id, error, at, retry_after=retry_after, give_up=give_up
        )
        if next_run is None:
            log.error("gave up on %s after %d attempt(s): %s", what, item.attempts, error)
        else:
            wait = (next_run - at).total_seconds()
            log.info(
                "%s failed, attempt %d: %s; next try in %.0f s", what, item.attempts, error, wait
            )

    def _tidy(self) -> None:
        """Give up the items whose every attempt died with its runner (such an item would
        likely kill the next runner too), and delete the done items no kind keeps any more."""
        now = self.clock.now()
        try:
            if dead := queue.give_up_dead(self.engine, now):
                log.error(
                    "gave up on %d queue item(s) (%s): their runner died on every attempt",
                    dead.total(),
                    ", ".join(f"{kind}: {count}" for kind, count in sorted(dead.items())),
                )
            for name, kind in self.kinds.items():
                queue.purge(self.engine, now - kind.keep_done, kinds=[name])
        except Exception:
            log.warning("could not tidy the queue up; trying again later", exc_info=True)

    # -- stopping ------------------------------------------------------------------------------

    def holding(self) -> int:
        """Items claimed here and not finished or handed back."""
        with self._lock:
            return len(self._held)

    def request_stop(self) -> None:
        """Claim nothing more; claimed items not started yet are handed back."""
        self.stopping.set()
        self._wakeups.close()  # no round answers a notify from now on

    def stop(self, deadline: float) -> bool:
        """Stop, waiting until ``deadline`` (``time.monotonic()``) at most for the running
        items; those still running are given back in doubt, due once their calls can no
        longer be answered (``Kind.abandoned_due_after``). Whether all ended in time."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(max(deadline - time.monotonic(), 0.0))
        with self._lock:
            while self._held and (left := deadline - time.monotonic()) > 0:
                self._lock.wait(left)
            left_over, self._held = list(self._held.values()), {}
            self.cut_off.update(item.kind for item in left_over)
        self._pool.shutdown(wait=False, cancel_futures=False)
        for item in left_over:
            due = self.clock.now() + self.kinds[item.kind].abandoned_due_after
            queue.release(self.engine, [item.id], due, in_doubt=True)
        if left_over:
            log.warning("gave back %d queue item(s) still running at the deadline", len(left_over))
        return not left_over
