"""The sandbox's clock: real time plus an offset that only grows. The bot runs on it (the
Container's ``clock``), so jumping it forward is how the weekly follow-through can be tried
without waiting for Monday."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NINE = time(9, 0)


class SandboxClock:
    """``now()`` is the real time moved by ``offset``; ``advance_to`` moves it forward only."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        if start is not None:
            if start.tzinfo is None:
                raise ValueError("the start time needs a time zone")
            self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset

    def advance_to(self, at: datetime) -> None:
        """Move to ``at`` (never back: messages and the bot's records keep their order)."""
        with self._lock:
            wanted = at - datetime.now(UTC)
            self._offset = max(self._offset, wanted)


def next_monday(now: datetime, tz: str) -> date:
    """The date of the first Monday 09:00 in ``tz`` strictly after ``now``."""
    local = now.astimezone(ZoneInfo(tz))
    days = (7 - local.weekday()) % 7
    candidate = local.date() + timedelta(days=days)
    if datetime.combine(candidate, NINE, tzinfo=ZoneInfo(tz)) <= now:
        candidate += timedelta(days=7)
    return candidate


def monday_nine(now: datetime, home_tz: str, zones: Iterable[str]) -> datetime:
    """ "Next Monday 09:00" for everyone: the Monday after ``now`` in ``home_tz`` (the team's
    zone), at the moment it is 09:00 that Monday in the last of ``zones`` to get there."""
    monday = next_monday(now, home_tz)
    return max(
        datetime.combine(monday, NINE, tzinfo=ZoneInfo(z)).astimezone(UTC)
        for z in {home_tz, *zones}
    )


def stops(now: datetime, until: datetime, zones: Iterable[str]) -> list[datetime]:
    """Where a bot running all along would have done its scheduled work between ``now`` and
    ``until``: 09:00 of every day in each zone (the weekly messages go at 09:00 local, anything
    held back for the night at the next morning), then ``until`` itself."""
    found: set[datetime] = set()
    for z in set(zones):
        zone = ZoneInfo(z)
        day = now.astimezone(zone).date()
        last = until.astimezone(zone).date()
        while day <= last:
            at = datetime.combine(day, NINE, tzinfo=zone).astimezone(UTC)
            if now < at < until:
                found.add(at)
            day += timedelta(days=1)
    return [*sorted(found), until.astimezone(UTC)]
