"""When weekly messages are due in each person's time zone, and what they say."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from intake.followup import (
    build_digest,
    counts_for,
    iso_week,
    nudge_for,
    owners,
    progress,
    weekly_due,
    weekly_slot,
)
from intake.ticket import HistoryEntry, Milestone, MilestoneChange, MilestoneStatus, Status, Ticket

MONDAY = date(2026, 11, 23)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_each_owner_is_due_at_their_own_monday_nine() -> None:
    # Auckland is UTC+13 in November: Monday 09:00 there is Sunday 20:00 UTC.
    assert weekly_due(utc(2026, 11, 22, 19, 59), "Pacific/Auckland") is None
    assert weekly_due(utc(2026, 11, 22, 20, 0), "Pacific/Auckland") == "2026-W48"
    # Honolulu is UTC-10: Monday 09:00 there is Monday 19:00 UTC.
    assert weekly_due(utc(2026, 11, 23, 18, 59), "Pacific/Honolulu") is None
    assert weekly_due(utc(2026, 11, 23, 19, 0), "Pacific/Honolulu") == "2026-W48"


def test_a_late_start_still_sends_that_week_but_never_at_night() -> None:
    assert weekly_due(utc(2026, 11, 24, 14, 0), "Europe/Berlin") == "2026-W48", "Tuesday 15:00"
    assert weekly_due(utc(2026, 11, 24, 22, 0), "Europe/Berlin") is None, "Tuesday 23:00"
    assert weekly_due(utc(2026, 11, 23, 7, 30), "Europe/Berlin") is None, "Monday 08:30 is early"
    assert weekly_due(utc(2026, 11, 28, 10, 0), "Europe/Berlin") is None, "not on Saturday"


def test_nine_oclock_stays_nine_oclock_across_a_dst_change() -> None:
    # Berlin moves to summer time on Sunday 28 March 2027: Monday 09:00 is 07:00 UTC, not 08:00.
    assert weekly_due(utc(2027, 3, 29, 6, 59), "Europe/Berlin") is None
    assert weekly_due(utc(2027, 3, 29, 7, 0), "Europe/Berlin") == "2027-W13"
    assert weekly_due(utc(2027, 3, 22, 7, 59), "Europe/Berlin") is None, "the week before: UTC+1"
    assert weekly_due(utc(2027, 3, 22, 8, 0), "Europe/Berlin") == "2027-W12"


def accepted(owner: str, *milestones: Milestone, key: str = "PLAT-1") -> Ticket:
    return Ticket(
        requester="UREQ",
        status=Status.ACCEPTED,
        owner=owner,
        key=key,
        id=1,
        milestones=list(milestones),
    )


def test_the_nudge_lists_overdue_and_soon_due_milestones_only() -> None:
    ticket = accepted(
        "UOWN",
        Milestone("Provisioned", due=MONDAY - timedelta(days=2)),
        Milestone("Connected", due=MONDAY + timedelta(days=10)),
        Milestone("Live", due=MONDAY + timedelta(days=30)),
        Milestone("Done already", due=MONDAY, status=MilestoneStatus.DONE),
        Milestone("Someone else's", due=MONDAY, owner="UOTHER"),
    )
    nudge = nudge_for("UOWN", [ticket], MONDAY)
    assert nudge is not None
    assert [(i.milestone.title, i.overdue, i.index) for i in nudge.items] == [
        ("Provisioned", True, 0),
        ("Connected", False, 1),
    ]
    assert owners([ticket]) == {"UOWN", "UOTHER"}


def test_someone_with_nothing_due_gets_nothing() -> None:
    ticket = accepted("UOWN", Milestone("Later", due=MONDAY + timedelta(days=40)))
    assert nudge_for("UOWN", [ticket], MONDAY) is None
    declined = Ticket(
        requester="UREQ",
        status=Status.DECLINED,
        owner="UOWN",
        milestones=[Milestone("x", due=MONDAY)],
    )
    assert nudge_for("UOWN", [declined], MONDAY) is None


def test_progress_says_what_was_done_this_week_what_is_next_and_what_is_in_trouble() -> None:
    since = utc(2026, 11, 16, 8, 0)
    done = Milestone(
        "Provisioned",
        status=MilestoneStatus.DONE,
        log=[MilestoneChange(utc(2026, 11, 18, 10, 0), "UOWN", "status", "on_track", "done")],
    )
    blocked = Milestone(
        "Connected",
        due=date(2026, 12, 1),
        status=MilestoneStatus.BLOCKED,
        reason="waiting for VPC peering",
    )
    report = progress(
        accepted("UOWN", done, blocked, Milestone("Live", due=date(2026, 12, 10))), since
    )
    assert report is not None
    assert [m.title for m in report.done_this_week] == ["Provisioned"]
    assert report.next_due is not None and report.next_due.title == "Connected"
    assert [(m.title, m.reason) for m in report.troubled] == [
        ("Connected", "waiting for VPC peering")
    ]


def test_the_digest_counts_the_week() -> None:
    now = utc(2026, 11, 23, 8, 0)

    def submitted_at(days_ago: float) -> datetime:
        return now - timedelta(days=days_ago)

    new = Ticket(
        requester="U1", key="PLAT-3", status=Status.SUBMITTED, submitted_at=submitted_at(2)
    )
    new.history.append(HistoryEntry(submitted_at(2), "U1", Status.DRAFT, Status.SUBMITTED))
    old_wait = Ticket(
        requester="U2", key="PLAT-1", status=Status.NEEDS_INFO, submitted_at=submitted_at(20)
    )
    old_wait.history.append(HistoryEntry(submitted_at(20), "U2", Status.DRAFT, Status.SUBMITTED))
    approved = accepted(
        "UOWN", Milestone("Late", due=date(2026, 11, 20), status=MilestoneStatus.AT_RISK)
    )
    approved.submitted_at, approved.decided_at = submitted_at(5), submitted_at(3)
    approved.history.append(
        HistoryEntry(submitted_at(3), "ULEE", Status.SUBMITTED, Status.ACCEPTED)
    )
    digest = build_digest([new, old_wait, approved], now, date(2026, 11, 23))
    assert digest.week == iso_week(date(2026, 11, 23)) == "2026-W48"
    assert [t.key for t in digest.new] == ["PLAT-3"]
    assert [t.key for t in digest.accepted] == ["PLAT-1"] or [t.key for t in digest.accepted] == [
        approved.key
    ]
    assert [t.key for t in digest.queue] == ["PLAT-1", "PLAT-3"], "oldest waiting first"
    assert digest.oldest_waiting == timedelta(days=20)
    assert digest.median_decision == timedelta(days=2)
    assert [m.title for _, m in digest.at_risk] == ["Late"] and [
        m.title for _, m in digest.overdue
    ] == ["Late"]


def test_an_ask_counts_from_the_first_slot_after_it_was_accepted() -> None:
    wednesday = utc(2026, 11, 25, 13, 0)
    ticket = accepted("UOWN", Milestone("Provisioned", due=MONDAY + timedelta(days=10)))
    ticket.history = [
        HistoryEntry(wednesday - timedelta(hours=1), "UREQ", Status.DRAFT, Status.SUBMITTED),
        HistoryEntry(wednesday, "ULEAD", Status.SUBMITTED, Status.ACCEPTED),
        HistoryEntry(wednesday + timedelta(hours=1), "UOWN", Status.ACCEPTED, Status.IN_PROGRESS),
    ]
    ticket.status = Status.IN_PROGRESS
    installed = utc(2026, 11, 1, 0, 0)
    this_week = weekly_slot(utc(2026, 11, 25, 14, 0), "Europe/Berlin")
    next_week = weekly_slot(utc(2026, 11, 30, 8, 0), "Europe/Berlin")
    assert this_week is not None and this_week.week == "2026-W48"
    assert this_week.at == utc(2026, 11, 23, 8, 0), "Monday 09:00 in Berlin"
    assert not counts_for(ticket, this_week.at, installed), "accepted after this week's slot"
    assert next_week is not None and next_week.week == "2026-W49"
    assert counts_for(ticket, next_week.at, installed), "starting work keeps its place"


def test_a_reopened_ask_counts_from_its_reopening_and_nothing_before_the_install() -> None:
    ticket = accepted("UOWN")
    ticket.history = [
        HistoryEntry(utc(2026, 11, 2, 10, 0), "ULEAD", Status.SUBMITTED, Status.ACCEPTED),
        HistoryEntry(utc(2026, 11, 10, 10, 0), "UOWN", Status.ACCEPTED, Status.DONE),
        HistoryEntry(utc(2026, 11, 25, 10, 0), "ULEAD", Status.DONE, Status.IN_PROGRESS),
    ]
    ticket.status = Status.IN_PROGRESS
    installed = utc(2026, 11, 1, 0, 0)
    assert not counts_for(ticket, utc(2026, 11, 23, 8, 0), installed)
    assert counts_for(ticket, utc(2026, 11, 30, 8, 0), installed)
    legacy = accepted("UOWN")  # no recorded acceptance: the install's start decides
    assert not counts_for(legacy, utc(2026, 11, 23, 8, 0), utc(2026, 11, 24, 0, 0))
    assert counts_for(legacy, utc(2026, 11, 30, 8, 0), utc(2026, 11, 24, 0, 0))
