"""The token ledgers of the LLM adapter: the per-day count the budget checks.

``ProcessTokenLedger`` counts in this process's memory: the per-day budget of a gateway built
without a shared ledger (one process, nothing shared). ``bot.bootstrap`` always gives the
gateway the database's count (``storage.assistant.SqlTokenLedger``) behind a
``BufferedTokenLedger``, this per-process buffer:

Every model call adds its tokens to the per-day count that all replicas share (for the
per-day budget), and every call checks that count first. Going to the database twice per call
costs a write transaction each time, which under load (hundreds of calls a second) queues
behind the work that matters. ``BufferedTokenLedger`` keeps this process's additions in memory
and writes them at most every ``flush_every_s`` seconds, and reads the shared count at most
every ``refresh_every_s`` seconds, adding what it has not written yet.

What it costs: the per-day budget can be overshot by what the replicas spend in one interval
before they see each other's counts, and a process that dies loses its unwritten tokens from
the count (never more than one interval's worth). The budget is a guard against runaway
spending, not an invoice: the per-call INFO lines and each ask's usage stay exact.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date

from intake.ports import TokenLedger

FLUSH_EVERY_S = 2.0
REFRESH_EVERY_S = 2.0

log = logging.getLogger(__name__)


class ProcessTokenLedger:
    """``TokenLedger`` in this process's memory: tokens spent per day by this process only.
    Thread-safe. What a gateway counts with when it is given no shared ledger."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_day: dict[date, int] = {}

    def spent(self, day: date) -> int:
        with self._lock:
            return self._by_day.get(day, 0)

    def add(self, day: date, tokens: int) -> None:
        with self._lock:
            self._by_day[day] = self._by_day.get(day, 0) + tokens


class BufferedTokenLedger:
    """``TokenLedger`` that batches writes to (and caches reads of) ``inner``. Thread-safe."""

    def __init__(
        self,
        inner: TokenLedger,
        *,
        flush_every_s: float = FLUSH_EVERY_S,
        refresh_every_s: float = REFRESH_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.flush_every_s = flush_every_s
        self.refresh_every_s = refresh_every_s
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict[date, int] = {}
        self._flushed_at = clock()
        self._shared: dict[date, tuple[int, float]] = {}  # day -> (count read, when)

    def spent(self, day: date) -> int:
        now = self.clock()
        with self._lock:
            cached = self._shared.get(day)
            pending = self._pending.get(day, 0)
        if cached is None or now - cached[1] >= self.refresh_every_s:
            self.flush()
            shared = self.inner.spent(day)
            with self._lock:
                self._shared[day] = (shared, now)
                pending = self._pending.get(day, 0)
            return shared + pending
        return cached[0] + pending

    def add(self, day: date, tokens: int) -> None:
        if tokens <= 0:
            return
        with self._lock:
            self._pending[day] = self._pending.get(day, 0) + tokens
            due = self.clock() - self._flushed_at >= self.flush_every_s
        if due:
            try:
                self.flush()
            except Exception:  # the call's answer matters more: keep the count for next time
                log.warning("could not record spent LLM tokens; will retry", exc_info=True)

    def flush(self) -> None:
        """Write what this process has added since the last flush (e.g. on shutdown)."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._flushed_at = self.clock()
        for day, tokens in pending.items():
            try:
                self.inner.add(day, tokens)
            except Exception:
                with self._lock:  # keep them for the next flush
                    self._pending[day] = self._pending.get(day, 0) + tokens
                raise
            with self._lock:
                shared = self._shared.get(day)
                if shared is not None:  # our own write is part of the shared count now
                    self._shared[day] = (shared[0] + tokens, shared[1])
