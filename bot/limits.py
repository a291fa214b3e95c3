"""Per-person and per-workspace limits on what people ask the bot to do.

Two kinds of request are counted: **new intakes** (``/intake <ask>``, a DM or a mention that
may start one, the *Scope this* shortcut) and **actions** (everything else a person does:
clicks, form submissions, answers). Each kind has a token bucket per person and one per
workspace; a request takes a token from both, or from neither (then it gets the "slow down"
answer, ``bot.admission``). Read-only commands (``/intake help``, ``list``, ``show``) count as
actions.

The buckets live in this process's memory: exact for the single-process embedded default.
With several replicas behind a load balancer each replica keeps its own buckets, so a
person can get up to N times the limit (N replicas) before being told to slow down; the
limits are there to keep one person's burst from starving everyone else of this process's
work slots, and each replica protects its own. Buckets idle for long are forgotten.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FORGET_AFTER_S = 600.0
MAX_KEYS = 50_000  # buckets kept at most (the least recently used go first)


class Kind(enum.Enum):
    INTAKE = "intake"
    ACTION = "action"


@dataclass(frozen=True)
class Rate:
    """``per_minute`` tokens a minute, at most half a minute's worth saved up (at least 1);
    0 a minute: no limit."""

    per_minute: float

    @property
    def burst(self) -> float:
        return max(1.0, self.per_minute / 2)


@dataclass(frozen=True)
class LimitSettings:
    person_intakes: Rate = Rate(20)
    person_actions: Rate = Rate(120)
    workspace_intakes: Rate = Rate(1200)
    workspace_actions: Rate = Rate(12000)


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at


class Limits:
    """The buckets; ``allow`` is the one call, thread-safe."""

    def __init__(
        self,
        settings: LimitSettings | None = None,
        *,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or LimitSettings()
        self._now = now
        self._lock = threading.Lock()
        self._buckets: OrderedDict[tuple[str, str, Kind], _Bucket] = OrderedDict()

    def _rates(self, kind: Kind) -> tuple[Rate, Rate]:
        s = self.settings
        if kind is Kind.INTAKE:
            return s.person_intakes, s.workspace_intakes
        return s.person_actions, s.workspace_actions

    def allow(self, kind: Kind, team: str, person: str) -> str | None:
        """Take a token for ``person`` and ``team``: None when allowed, else which limit
        refused it ("person" or "workspace"; nothing is taken then)."""
        person_rate, team_rate = self._rates(kind)
        now = self._now()
        with self._lock:
            mine = self._bucket(("p", f"{team}:{person}", kind), person_rate, now)
            theirs = self._bucket(("w", team, kind), team_rate, now)
            if mine is not None and mine.tokens < 1:
                return "person"
            if theirs is not None and theirs.tokens < 1:
                return "workspace"
            for bucket in (mine, theirs):
                if bucket is not None:
                    bucket.tokens -= 1
            return None

    def _bucket(self, key: tuple[str, str, Kind], rate: Rate, now: float) -> _Bucket | None:
        if rate.per_minute <= 0:
            return None
        bucket = self._buckets.get(key)
        if bucket is None or now - bucket.at > FORGET_AFTER_S:
            bucket = _Bucket(rate.burst, now)
            self._buckets[key] = bucket
            self._forget(now)
        else:
            bucket.tokens = min(
                rate.burst, bucket.tokens + (now - bucket.at) * rate.per_minute / 60
            )
            bucket.at = now
        self._buckets.move_to_end(key)
        return bucket

    def _forget(self, now: float) -> None:
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if len(self._buckets) <= MAX_KEYS and now - oldest.at <= FORGET_AFTER_S:
                return
            self._buckets.popitem(last=False)
