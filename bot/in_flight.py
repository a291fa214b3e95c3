"""How much work this process has started and not yet finished.

A Slack request is acknowledged before its listener has done its work (Bolt runs the listener
on its executor after ``ack()``), and the queue's runner (``bot.runner``) runs a round after
it is notified of queued work. So "the bot answered the HTTP request" does not mean "the bot
is done". ``InFlight`` counts them: a listener run from its submit to its end, a round of the
runner from the notify that asked for it to the round's end, and a queue item it claimed until
its handler ends. Work that is only due later (a row whose retry time has not come, a
scheduled digest) is not in flight.

Who reads it: the ``intake_work_in_flight`` gauge on /metrics (an operator sees a busy or
stuck process), and the tests and the sandbox, which wait for ``wait_idle()`` instead of
guessing with a quiet gap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class _Counter:
    """A number that threads change and wait on."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0

    @property
    def count(self) -> int:
        with self._cond:
            return self._count

    def _add(self, delta: int) -> None:
        with self._cond:
            self._count = max(0, self._count + delta)
            self._cond.notify_all()

    def _wait_until(self, reached: Callable[[int], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not reached(self._count):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True


class InFlight(_Counter):
    def begin(self) -> None:
        self._add(1)

    def end(self) -> None:
        self._add(-1)

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is in flight; False when ``timeout`` seconds passed first."""
        return self._wait_until(lambda count: count == 0, timeout)


class TrackedExecutor(Executor):
    """An executor that counts each submitted call in ``in_flight`` until it has run."""

    def __init__(self, inner: Executor, in_flight: InFlight) -> None:
        self.inner = inner
        self.in_flight = in_flight

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        self.in_flight.begin()
        try:
            future = self.inner.submit(fn, *args, **kwargs)
        except BaseException:
            self.in_flight.end()
            raise
        future.add_done_callback(lambda _: self.in_flight.end())
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


class Wakeups:
    """The notify-then-round handshake of the queue's runner, counted in ``in_flight``: a
    notify marks one round as owed (once, however many notifies come before it runs) and the
    round that follows settles it when it ends."""

    def __init__(self, in_flight: InFlight) -> None:
        self.in_flight = in_flight
        self._lock = threading.Lock()
        self._owed = False
        self._closed = False
        self.event = threading.Event()

    def notify(self) -> None:
        with self._lock:
            if not self._owed and not self._closed:
                self.in_flight.begin()
                self._owed = True
        self.event.set()

    def close(self) -> None:
        """No more rounds will run (the loop is stopping): settle the round owed, if any, and
        count no later notify, so nothing waits for a round that never comes."""
        with self._lock:
            owed, self._owed, self._closed = self._owed, False, True
        if owed:
            self.in_flight.end()
        self.event.set()

    @contextmanager
    def round(self) -> Iterator[None]:
        """One round of the runner's loop; settles the notify it answers."""
        self.event.clear()
        with self._lock:
            owed, self._owed = self._owed, False
        try:
            yield
        finally:
            if owed:
                self.in_flight.end()


class Rounds(_Counter):
    """How many rounds of a background loop (a scheduler tick, a queue runner's round) have
    run to their end. /metrics shows it (an operator sees a loop that stopped going round), and
    tests wait on it (``wait_for``) to know a loop has looked since something happened."""

    def done(self) -> None:
        """One more round ran to its end."""
        self._add(1)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block until at least ``count`` rounds have ended; False when ``timeout`` seconds
        passed first."""
        return self._wait_until(lambda done: done >= count, timeout)
