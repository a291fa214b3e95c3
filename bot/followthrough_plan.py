"""What one follow-through run plans (``bot.followthrough``): the messages it would queue
(``Planned``), what it queued (``RunReport``), and when each may go out: a person's weekly
slot, and not before their next waking hour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from intake.followup import QUIET_BEFORE, QUIET_FROM, Slot, in_waking_hours, iso_week, weekly_slot


@dataclass(frozen=True)
class Planned:
    """One message a run would queue: under ``key``, once per (``job``, ``period``)."""

    job: str
    period: str
    key: str
    kind: str
    team_id: str
    channel: str
    payload: dict[str, Any]
    not_before: datetime
    counter: str  # the RunReport field it counts toward
    thread_ts: str | None = None


@dataclass
class RunReport:
    """What one run queued (for logs and `intake-bot digest run`)."""

    nudges: int = 0
    progress: int = 0
    digests: int = 0
    completed: int = 0
    skipped: list[str] = field(default_factory=list)


def slot_for(now: datetime, tz: str, force: bool) -> Slot | None:
    """This week's slot for someone in ``tz``, when due; with ``force`` (``digest run``)
    this week's, falling due now."""
    if force:
        return Slot(iso_week(now.astimezone(ZoneInfo(tz)).date()), now)
    return weekly_slot(now, tz)


def local_today(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def not_before(now: datetime, tz: str) -> datetime:
    """Now, or the person's next 08:00 when it is night where they are."""
    if in_waking_hours(now, tz):
        return now
    local = now.astimezone(ZoneInfo(tz))
    day: date = local.date() if local.hour < QUIET_BEFORE else local.date() + timedelta(days=1)
    assert QUIET_FROM > QUIET_BEFORE
    return datetime.combine(day, time(QUIET_BEFORE), tzinfo=ZoneInfo(tz)).astimezone(UTC)
