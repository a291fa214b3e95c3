"""The gateway's circuit breaker: after a run of failed calls to the model, no call is made
for a while, so a model that is down costs each ask nothing but the rules' answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Closed: calls go through. After ``failures`` consecutive failures it opens: no call for
    ``cooldown_s`` seconds (of ``clock``, a monotonic clock). Then it is half-open: one trial
    call goes through (others are refused until it ends); its success closes the breaker, its
    failure opens it for another cooldown."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"

    def __init__(
        self,
        failures: int = 3,
        cooldown_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures = max(1, failures)
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return self.CLOSED
            if self._trial or self.clock() - self._opened_at >= self.cooldown_s:
                return self.HALF_OPEN
            return self.OPEN

    def allow(self) -> bool:
        """Whether a call may be made now (taking the trial slot when half-open)."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial or self.clock() - self._opened_at < self.cooldown_s:
                return False
            self._trial = True
            return True

    def success(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._opened_at = None
            self._trial = False

    def failure(self) -> None:
        with self._lock:
            self._consecutive += 1
            if self._trial or self._consecutive >= self.failures:
                self._opened_at = self.clock()
            self._trial = False

    def release(self) -> None:
        """The call allowed by ``allow()`` was not made after all (it gives the trial back)."""
        with self._lock:
            self._trial = False
