"""Follow-through, as pure functions: when a person's weekly nudge is due, what it lists, the
requester's weekly progress, and the channel digest. No I/O; the bot's jobs decide what to send
with these and the outbox makes each send happen once.

Periods are ISO weeks ("2026-W48") of the recipient's own calendar. A week's message falls due
at its slot, Monday 09:00 where the recipient is; an ask counts toward a slot only when it was
already active work then, so an ask accepted on a Wednesday gets its first weekly update the
next Monday, never a catch-up for the week it was accepted in.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intake.review import waiting_since
from intake.ticket import Milestone, MilestoneStatus, Status, Ticket

NUDGE_AT = time(9, 0)  # Monday 09:00, the recipient's time
QUIET_BEFORE, QUIET_FROM = 8, 18  # nobody is messaged outside 08:00-18:00 of their own day
DUE_WITHIN = timedelta(days=14)
ACTIVE = (Status.ACCEPTED, Status.IN_PROGRESS)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Slot:
    """A weekly message's turn: the ISO week it is for and when it fell due (that week's
    Monday 09:00 where the recipient is)."""

    week: str
    at: datetime


def weekly_slot(now: datetime, tz: str, at: time = NUDGE_AT) -> Slot | None:
    """The week whose Monday-``at`` message is due for someone in ``tz`` right now, or None.

    Due from Monday ``at`` (their time) until their Friday evening, but only inside their
    08:00-18:00 on working days: a bot that was down at 09:00 sends when it is back, never at
    night or at the weekend. DST is handled by zoneinfo: 09:00 stays 09:00 on the wall clock.
    """
    local = now.astimezone(ZoneInfo(tz))
    monday = week_start(local.date())
    start = datetime.combine(monday, at, tzinfo=ZoneInfo(tz))
    if local < start or local.weekday() >= 5 or not (QUIET_BEFORE <= local.hour < QUIET_FROM):
        return None
    return Slot(iso_week(local.date()), start)


def weekly_due(now: datetime, tz: str, at: time = NUDGE_AT) -> str | None:
    """The ISO week of :func:`weekly_slot`, or None."""
    slot = weekly_slot(now, tz, at)
    return slot.week if slot else None


def active_since(ticket: Ticket) -> datetime | None:
    """When the ask last became active work: accepted, or reopened into work (None: no such
    change is recorded)."""
    for entry in reversed(ticket.history):
        if entry.to_status in ACTIVE and entry.from_status not in ACTIVE:
            return entry.at
    return None


def counts_for(ticket: Ticket, slot_at: datetime, installed_at: datetime) -> bool:
    """Whether the active ask belongs in a weekly message whose slot is ``slot_at``: only when
    it was active work by then (and the install existed: the start for an ask whose acceptance
    is not recorded). Accepted after this week's slot, it waits for next week's."""
    if ticket.status not in ACTIVE:
        return False
    return slot_at >= (active_since(ticket) or installed_at) and slot_at >= installed_at


def in_waking_hours(now: datetime, tz: str) -> bool:
    return QUIET_BEFORE <= now.astimezone(ZoneInfo(tz)).hour < QUIET_FROM


# -- the owner's nudge -------------------------------------------------------------------------


@dataclass(frozen=True)
class NudgeItem:
    ticket: Ticket
    index: int  # the milestone's position in the ask (what its buttons refer to)
    milestone: Milestone
    overdue: bool


@dataclass(frozen=True)
class Nudge:
    owner: str
    items: tuple[NudgeItem, ...]  # grouped by ask, each ask's milestones by due date
    today: date | None = None  # the owner's today, which "overdue" was judged by

    @property
    def asks(self) -> list[Ticket]:
        seen: dict[int | None, Ticket] = {}
        for item in self.items:
            seen.setdefault(item.ticket.id, item.ticket)
        return list(seen.values())


def owners(tickets: list[Ticket]) -> set[str]:
    """Everyone who owns an open milestone of active work."""
    found = set()
    for ticket in tickets:
        if ticket.status in ACTIVE:
            for milestone in ticket.milestones:
                who = milestone.owner or ticket.owner
                if who and milestone.status is not MilestoneStatus.DONE:
                    found.add(who)
    return found


def nudge_for(owner: str, tickets: list[Ticket], today: date) -> Nudge | None:
    """The owner's milestones that are overdue or due in the next 14 days (their ``today``);
    None when there is nothing: someone with nothing due gets nothing."""
    items: list[NudgeItem] = []
    for ticket in sorted(tickets, key=lambda t: t.key or ""):
        if ticket.status not in ACTIVE:
            continue
        mine = [
            NudgeItem(ticket, i, m, overdue=m.due is not None and m.due < today)
            for i, m in enumerate(ticket.milestones)
            if (m.owner or ticket.owner) == owner
            and m.status is not MilestoneStatus.DONE
            and m.due is not None
            and m.due <= today + DUE_WITHIN
        ]
        items += sorted(mine, key=lambda item: item.milestone.due or today)
    return Nudge(owner, tuple(items), today) if items else None


# -- the requester's weekly progress ------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    ticket: Ticket
    done_this_week: tuple[Milestone, ...]
    next_due: Milestone | None
    troubled: tuple[Milestone, ...]  # at risk or blocked, with their reasons


def progress(ticket: Ticket, since: datetime) -> Progress | None:
    """What the requester hears once a week about active work; None for inactive asks."""
    if ticket.status not in ACTIVE or not ticket.milestones:
        return None
    done = tuple(
        m for m in ticket.milestones if m.status is MilestoneStatus.DONE and _done_since(m, since)
    )
    open_ = [m for m in ticket.milestones if m.status is not MilestoneStatus.DONE]
    dated = sorted((m for m in open_ if m.due), key=lambda m: m.due or date.max)
    troubled = tuple(
        m for m in open_ if m.status in (MilestoneStatus.AT_RISK, MilestoneStatus.BLOCKED)
    )
    return Progress(ticket, done, dated[0] if dated else None, troubled)


def _done_since(milestone: Milestone, since: datetime) -> bool:
    for change in reversed(milestone.log):
        if change.what == "status" and change.new == MilestoneStatus.DONE.value:
            return change.at >= since
    return False


# -- the channel digest ------------------------------------------------------------------------


@dataclass
class Digest:
    week: str
    since: datetime
    new: list[Ticket] = field(default_factory=list)
    accepted: list[Ticket] = field(default_factory=list)
    shipped: list[Ticket] = field(default_factory=list)
    at_risk: list[tuple[Ticket, Milestone]] = field(default_factory=list)
    blocked: list[tuple[Ticket, Milestone]] = field(default_factory=list)
    overdue: list[tuple[Ticket, Milestone]] = field(default_factory=list)
    queue: list[Ticket] = field(default_factory=list)  # waiting for review, oldest first
    oldest_waiting: timedelta | None = None
    median_decision: timedelta | None = None  # submit -> decision, asks decided in the period
    undelivered: list[str] = field(default_factory=list)  # messages the bot gave up sending
    today: date | None = None  # in the digest's time zone, as of its run

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.new,
                self.accepted,
                self.shipped,
                self.at_risk,
                self.blocked,
                self.overdue,
                self.queue,
            )
        )


def build_digest(
    tickets: list[Ticket],
    now: datetime,
    today: date,
    *,
    days: int = 7,
    undelivered: list[str] | None = None,
    week: str | None = None,
) -> Digest:
    """The week that just ended, as of ``now`` (``today`` in the digest's time zone), under
    the name ``week`` (default: ``today``'s ISO week)."""
    since = now - timedelta(days=days)
    digest = Digest(
        week or iso_week(today), since, undelivered=list(undelivered or []), today=today
    )
    decisions: list[timedelta] = []
    for ticket in tickets:
        entries = [h for h in ticket.history if h.at >= since]
        if any(h.to_status is Status.SUBMITTED and h.from_status is Status.DRAFT for h in entries):
            digest.new.append(ticket)
        if any(h.to_status is Status.ACCEPTED for h in entries):
            digest.accepted.append(ticket)
        if ticket.status is Status.DONE and any(h.to_status is Status.DONE for h in entries):
            digest.shipped.append(ticket)
        if ticket.decided_at and ticket.submitted_at and ticket.decided_at >= since:
            decisions.append(ticket.decided_at - ticket.submitted_at)
        if ticket.status in (Status.SUBMITTED, Status.NEEDS_INFO):
            digest.queue.append(ticket)
        if ticket.status in ACTIVE:
            for m in ticket.milestones:
                if m.status is MilestoneStatus.DONE:
                    continue
                if m.status is MilestoneStatus.BLOCKED:
                    digest.blocked.append((ticket, m))
                elif m.status is MilestoneStatus.AT_RISK:
                    digest.at_risk.append((ticket, m))
                if m.due and m.due < today:
                    digest.overdue.append((ticket, m))
    digest.queue.sort(key=lambda t: waiting_since(t) or now)
    if digest.queue:
        oldest = waiting_since(digest.queue[0])
        digest.oldest_waiting = now - oldest if oldest else None
    if decisions:
        digest.median_decision = timedelta(
            seconds=statistics.median(d.total_seconds() for d in decisions)
        )
    return digest
