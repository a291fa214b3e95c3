"""The one runner of the durable queue (``storage.queue``): every process that works off the
queue (``serve``, ``intake-bot worker``) runs one, with a handler for each kind of item.

A handler takes the claimed ``Item`` and does its work; it returns what to keep with the done
item (a message's ts, an issue's URL) or None. It says how it failed by what it raises:
``Retry`` (try again, after ``after`` seconds when the service said so), ``Defer`` (not now:
at ``until``, the attempt not counted), ``GiveUp`` (never again: kept and reported),
``PaceInterrupted`` (stopping before anything went out: handed back, the attempt not
counted); any other exception is logged and retried with backoff.

Each kind runs at most ``Kind.threads`` items at once in this process, so a backlog of one
kind (a weekly fan-out) never takes the threads another kind needs (a click's work). The
loop claims while it finds work, then waits ``poll_s`` or until ``notify()`` (something was
queued here); a notify counts in ``in_flight`` until the round that answers it ends, and each
claimed item until its handler ends (the round after it is owed meanwhile, so an item it held
back in order is claimed before the count drops): tests and the sandbox can wait for the work
a click set off.

Stopping: ``request_stop`` claims nothing more, and a claimed item whose handler has not
started is handed back at once; ``stop(deadline)`` waits for the running ones until then,
and gives those still running back in doubt (``storage.queue.abandon``), due once their
calls can no longer be answered, for another process: its handler looks before acting again.
"""

from __future__ import annotations

import logging
import threading
import time
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
GIVE_UP_EVERY_S = 60.0


class Retry(Exception):
    """This attempt failed and did nothing: try again later (after ``after`` seconds when the
    service said when, else with backoff)."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


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
    """How one kind of item runs: its handler, how many at once in this process, when an
    item abandoned at shutdown is due again (after its calls can no longer be answered), and
    how long a done item is kept (its key refuses a second enqueue until then)."""

    handler: Handler
    threads: int = 4
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
        self._wakeups = Wakeups(in_flight)
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, sum(kind.threads for kind in self.kinds.values())),
            thread_name_prefix="queue",
        )
        self._lock = threading.Condition()
        self._held: dict[int, queue.Item] = {}  # claimed here, not finished or handed back
        self._running: dict[str, int] = dict.fromkeys(self.kinds, 0)
        self._thread: threading.Thread | None = None
        self.finished: dict[str, int] = dict.fromkeys(self.kinds, 0)

    # -- the loop ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="queue-runner", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wakeups.notify()

    def _loop(self) -> None:
        next_give_up = 0.0
        while not self.stopping.is_set():
            with self._wakeups.round():
                if time.monotonic() >= next_give_up:
                    next_give_up = time.monotonic() + GIVE_UP_EVERY_S
                    self._give_up_dead()
                    self._purge_done()
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
                free = kind.threads - self._running[name]
            if free <= 0:
                continue
            items = queue.claim(self.engine, self.clock.now(), free, kinds=[name])
            with self._lock:
                self._running[name] += len(items)
                self._held.update((item.id, item) for item in items)
            for _ in items:
                self._count(+1)
            claimed.extend(items)
        for item in claimed:
            self._pool.submit(self._run, item)
        return len(claimed)

    def _run(self, item: queue.Item) -> None:
        try:
            if self.stopping.is_set():
                queue.release(self.engine, [item.id], self.clock.now())
            else:
                self._attempt(item)
        except Exception:
            log.warning("queue item %d (%s): could not record its outcome", item.id, item.kind)
        finally:
            with self._lock:
                self._running[item.kind] -= 1
                if self._held.pop(item.id, None) is not None:
                    self.finished[item.kind] += 1
                self._lock.notify_all()
            # A thread is free: claim more without waiting (what this item held back in order).
            if self.stopping.is_set():
                self._wakeups.event.set()
            else:
                self._wakeups.notify()
            self._count(-1)

    def _count(self, delta: int) -> None:
        in_flight = self._wakeups.in_flight
        if in_flight is None:
            return
        if delta > 0:
            in_flight.begin()
        else:
            in_flight.end()

    def _attempt(self, item: queue.Item) -> None:
        handler = self.kinds[item.kind].handler
        try:
            with request_scope(), interruptible(self.stopping):
                result = handler(item)
        except PaceInterrupted:
            queue.release(self.engine, [item.id], self.clock.now())
        except Defer as later:
            queue.release(self.engine, [item.id], later.until)
        except Retry as retry:
            self._failed(item, str(retry), retry_after=retry.after)
        except GiveUp as reason:
            self._failed(item, str(reason), give_up=True)
        except Exception as error:
            log.error("queue item %d (%s) failed", item.id, item.kind, exc_info=True)
            self._failed(item, f"{type(error).__name__}: {error}")
        else:
            queue.done(self.engine, item.id, self.clock.now(), result)

    def _failed(
        self,
        item: queue.Item,
        error: str,
        *,
        retry_after: float | None = None,
        give_up: bool = False,
    ) -> None:
        at = self.clock.now()
        next_run = queue.failed(
            self.engine, item.id, error, at, retry_after=retry_after, give_up=give_up
        )
        if next_run is None:
            log.error(
                "gave up on queue item %d (%s, key %s) after %d attempt(s): %s",
                item.id,
                item.kind,
                item.key,
                item.attempts,
                error,
            )
        else:
            wait = (next_run - at).total_seconds()
            log.info(
                "queue item %d (%s) failed: %s; next try in %.0f s", item.id, item.kind, error, wait
            )

    def _give_up_dead(self) -> None:
        try:
            count = queue.give_up_dead(self.engine, self.clock.now())
        except Exception:
            log.warning("could not clear abandoned queue items", exc_info=True)
            return
        if count:
            log.error("gave up on %d queue item(s): their runner died on every attempt", count)

    def _purge_done(self) -> None:
        """Delete the done items each kind no longer keeps: the queue does not grow for ever."""
        now = self.clock.now()
        try:
            for name, kind in self.kinds.items():
                queue.purge(self.engine, now - kind.keep_done, kinds=[name])
        except Exception:
            log.warning("could not delete old done queue items", exc_info=True)

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
        items; those still running then are given back in doubt. Whether all ended in time."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(max(deadline - time.monotonic(), 0.0))
        with self._lock:
            while self._held and (left := deadline - time.monotonic()) > 0:
                self._lock.wait(left)
            left_over, self._held = list(self._held.values()), {}
        self._pool.shutdown(wait=False, cancel_futures=False)
        for item in left_over:
            due = self.clock.now() + self.kinds[item.kind].abandoned_due_after
            queue.abandon(self.engine, [item.id], due)
        if left_over:
            log.warning("gave back %d queue item(s) still running at the deadline", len(left_over))
        return not left_over
