"""Token buckets that every replica shares, for pacing Slack Web API calls (``bot.pacing``).

Each key (``"chat.postMessage"``, ``"chat.postMessage:C123"``) has a bucket of at most
``burst`` tokens refilling at ``rate_per_minute``. ``Bucket`` holds the rules, for every store:

* ``take``: a new key starts full at ``default_rate_per_minute``. The bucket refills for the
  time since its last use, not while blocked. 0.0: a token was taken; else the seconds until
  one is (while blocked: the rest of the block), and nothing was taken;
* ``penalize`` (a 429): block the key until ``now + retry_after``, multiply its rate by
  ``factor`` (not below ``floor``), reset its success count; after the block one call may go
  at once. During a block a further penalty only extends it (429s of calls in flight together
  count once). A key never taken is only blocked;
* ``reward`` (a success): every ``REWARD_EVERY`` successes since the last penalty the rate
  grows by ``step``, up to ``ceiling``; nothing for a key never taken;
* ``rate``: the key's rate per minute; 0.0 when it has none yet.

Times are the caller's, timezone-aware. A bucket's time never moves backwards: a replica
whose clock is behind refills nothing until it catches up.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Final, cast

from sqlalchemy import (
    Connection,
    Engine,
    Float,
    String,
    Table,
    and_,
    case,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import PaceRow, UTCDateTime

REWARD_EVERY: Final = 10
_EPSILON: Final = 1e-9  # float slack: a bucket refilled to 0.9999999999 holds a token


def _aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: pacing needs timezone-aware times")


def _check_bucket(rate_per_minute: float, burst: float) -> None:
    if rate_per_minute <= 0 or burst < 1:
        raise ValueError("pacing needs a positive rate and a burst of at least 1")


@dataclass
class Bucket:
    """One key's state, and the rules both stores apply to it. ``rate_per_minute`` 0.0: not
    set yet (the next ``take`` sets it to its default)."""

    rate_per_minute: float
    tokens: float
    updated_at: datetime
    blocked_until: datetime | None = None
    successes_since_429: int = 0

    def take(self, now: datetime, default_rate_per_minute: float, burst: float) -> float:
        if self.rate_per_minute <= 0:
            self.rate_per_minute = default_rate_per_minute
        if self.blocked_until is not None and now < self.blocked_until:
            return (self.blocked_until - now).total_seconds()
        start = self.updated_at
        if self.blocked_until is not None and self.blocked_until > start:
            start = self.blocked_until  # no refill while blocked
        elapsed = max((now - start).total_seconds(), 0.0)
        self.tokens = min(burst, self.tokens + elapsed * self.rate_per_minute / 60.0)
        self.updated_at = max(self.updated_at, now)
        if self.tokens >= 1.0 - _EPSILON:
            self.tokens = max(self.tokens - 1.0, 0.0)
            return 0.0
        return (1.0 - self.tokens) * 60.0 / self.rate_per_minute

    def penalize(self, now: datetime, retry_after: float, factor: float, floor: float) -> None:
        still_blocked = self.blocked_until is not None and now < self.blocked_until
        until = now + timedelta(seconds=max(retry_after, 0.0))
        if not still_blocked and self.rate_per_minute > 0:
            self.rate_per_minute = max(self.rate_per_minute * factor, floor)
        if self.blocked_until is None or until > self.blocked_until:
            self.blocked_until = until
        self.tokens = 1.0
        self.successes_since_429 = 0
        self.updated_at = max(self.updated_at, now)

    def reward(self, step: float, ceiling: float | None) -> None:
        self.successes_since_429 += 1
        if self.rate_per_minute <= 0 or self.successes_since_429 % REWARD_EVERY:
            return
        grown = self.rate_per_minute * (1.0 + step)
        if ceiling is not None:
            grown = min(grown, ceiling)
        self.rate_per_minute = max(self.rate_per_minute, grown)


class PaceStore:
    """Shared token buckets (see the module docstring): ``take`` and ``penalize`` apply
    ``Bucket``'s rules to the bucket ``_bucket`` hands out; a store adds ``reward`` and ``rate``."""

    def take(self, key: str, now: datetime, default_rate_per_minute: float, burst: float) -> float:
        """Take a token: 0.0 when taken, else the seconds to wait (nothing taken)."""
        _aware(now)
        _check_bucket(default_rate_per_minute, burst)
        with self._bucket(key, Bucket(default_rate_per_minute, burst, now)) as bucket:
            return bucket.take(now, default_rate_per_minute, burst)

    def penalize(
        self, key: str, now: datetime, retry_after: float, factor: float = 0.5, floor: float = 1.0
    ) -> None:
        """Slack answered 429: block the key for ``retry_after`` s and slow it down."""
        _aware(now)
        with self._bucket(key, Bucket(0.0, 1.0, now)) as bucket:
            bucket.penalize(now, retry_after, factor, floor)

    def reward(
        self, key: str, now: datetime, step: float = 0.1, ceiling: float | None = None
    ) -> None:
        raise NotImplementedError

    def rate(self, key: str) -> float:
        raise NotImplementedError

    def _bucket(self, key: str, new: Bucket) -> contextlib.AbstractContextManager[Bucket]:
        """The key's bucket (``new`` if it has none), locked for the block and kept after it."""
        raise NotImplementedError


class MemoryPaceStore(PaceStore):
    """``PaceStore`` in this process's memory (thread-safe): the store of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, Bucket] = {}

    @contextlib.contextmanager
    def _bucket(self, key: str, new: Bucket) -> Iterator[Bucket]:
        with self._lock:
            yield self._buckets.setdefault(key, new)

    def reward(
        self, key: str, now: datetime, step: float = 0.1, ceiling: float | None = None
    ) -> None:
        _aware(now)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.reward(step, ceiling)

    def rate(self, key: str) -> float:
        with self._lock:
            bucket = self._buckets.get(key)
            return bucket.rate_per_minute if bucket is not None else 0.0


_PACE = cast(Table, PaceRow.__table__)


class SqlPaceStore(PaceStore):
    """``PaceStore`` in the ``pace`` table, shared by every process on the database (the
    replicas on PostgreSQL). Each call locks the key's row, so concurrent takes never hand out
    more tokens than the bucket holds. The two calls made around every Web API call are one
    statement each on PostgreSQL, ``take`` (``pace_take``, migration 0007) and ``reward``, so
    a hot row is locked only while the server runs it, never while a busy process waits to
    run Python; ``penalize`` (a 429, rare) is a short ``SELECT ... FOR UPDATE`` transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        # One statement each, on PostgreSQL outside a transaction: no BEGIN and COMMIT round
        # trips while the row is locked.
        self._one_statement = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if self._postgres else engine
        )

    @contextlib.contextmanager
    def _bucket(self, key: str, new: Bucket) -> Iterator[Bucket]:
        with self.engine.begin() as connection:
            bucket = self._load(connection, key)
            if bucket is None:
                # Another process may create it at the same moment: then its row is the one.
                insert = (postgresql.insert if self._postgres else sqlite.insert)(_PACE)
                values = insert.values(key=key, **asdict(new))
                connection.execute(values.on_conflict_do_nothing(index_elements=["key"]))
                bucket = self._load(connection, key)
                assert bucket is not None
            yield bucket
            connection.execute(update(_PACE).where(_PACE.c.key == key).values(asdict(bucket)))

    @staticmethod
    def _load(connection: Connection, key: str) -> Bucket | None:
        query = select(*_BUCKET_COLUMNS).where(_PACE.c.key == key).with_for_update()
        row = connection.execute(query).one_or_none()
        return Bucket(**row._asdict()) if row is not None else None

    def take(self, key: str, now: datetime, default_rate_per_minute: float, burst: float) -> float:
        if not self._postgres:
            return super().take(key, now, default_rate_per_minute, burst)
        _aware(now)
        _check_bucket(default_rate_per_minute, burst)
        call = func.pace_take(
            literal(key, String()),
            literal(now, UTCDateTime()),
            literal(float(default_rate_per_minute), Float()),
            literal(float(burst), Float()),
            type_=Float(),
        )
        with self._one_statement.begin() as connection:
            return float(connection.execute(select(call)).scalar_one())

    def reward(
        self, key: str, now: datetime, step: float = 0.1, ceiling: float | None = None
    ) -> None:
        """``Bucket.reward`` as one UPDATE (its right-hand sides read the row as it was)."""
        _aware(now)
        counted = _PACE.c.successes_since_429 + 1
        rate = _PACE.c.rate_per_minute
        grown = rate * (1.0 + step)
        if ceiling is not None:
            grown = case((grown > ceiling, literal(float(ceiling), Float())), else_=grown)
        due = and_(rate > 0, counted % REWARD_EVERY == 0, grown > rate)
        statement = (
            update(_PACE)
            .where(_PACE.c.key == key)
            .values(successes_since_429=counted, rate_per_minute=case((due, grown), else_=rate))
        )
        with self._one_statement.begin() as connection:
            connection.execute(statement)

    def rate(self, key: str) -> float:
        with self.engine.connect() as connection:
            rate = connection.scalar(select(_PACE.c.rate_per_minute).where(_PACE.c.key == key))
        return float(rate) if rate is not None else 0.0


_BUCKET_COLUMNS = [_PACE.c[name] for name in Bucket.__dataclass_fields__]
