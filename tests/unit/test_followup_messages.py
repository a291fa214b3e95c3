"""The weekly messages fit Slack, however busy the week (validated like Slack would)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.blocks.followup import digest_messages, progress_message
from intake.followup import build_digest, progress
from intake.ticket import HistoryEntry, Milestone, MilestoneStatus, Status, Ticket
from tests.fakes.blockkit import validate_message

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def busy_week(count: int) -> list[Ticket]:
    statuses = [Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS]
    tickets = []
    for n in range(count):
        ticket = Ticket(
            requester="U0ALICE",
            key=f"PLAT-{n}",
            title=f"Postgres for service {n} <@U0BOB> " * 3,
            status=statuses[n % 3],
            owner="U0OWEN",
            submitted_at=NOW - timedelta(days=n % 9),
            milestones=[
                Milestone(
                    "Provisioned",
                    due=date(2026, 11, 1),
                    status=MilestoneStatus.BLOCKED,
                    reason="why " * 40,
                )
            ],
        )
        ticket.history.append(
            HistoryEntry(NOW - timedelta(days=2), "U0ALICE", Status.DRAFT, Status.SUBMITTED)
        )
        tickets.append(ticket)
    return tickets


def test_a_digest_of_500_active_asks_is_one_message_within_50_blocks_and_valid_replies() -> None:
    main, replies = digest_messages(build_digest(busy_week(500), NOW, date(2026, 11, 23)))
    assert len(main["blocks"]) <= 50
    assert validate_message(main["text"], main["blocks"]) == []
    assert "…and" in str(main["blocks"]), "the rest is pointed to in the thread"
    for reply in replies:
        assert validate_message(reply["text"], reply["blocks"]) == []
    listed = sum(str(r["blocks"]).count("PLAT-") for r in replies)
    assert listed >= 500, "every ask is listed somewhere in the thread"


def test_user_text_in_the_digest_pings_nobody() -> None:
    main, _ = digest_messages(build_digest(busy_week(3), NOW, date(2026, 11, 23)))
    assert "<@U0BOB>" not in str(main["blocks"])


def test_a_progress_reply_names_what_is_blocked_and_why() -> None:
    ticket = busy_week(2)[1]
    report = progress(ticket, NOW - timedelta(days=7))
    assert report is not None
    message = progress_message(report)
    assert "Blocked:* Provisioned: why" in message["blocks"][0]["text"]["text"]
    assert validate_message(message["text"], message["blocks"]) == []


def test_a_progress_reply_says_when_the_next_milestone_is_overdue() -> None:
    ticket = busy_week(2)[1]  # its one milestone was due on 1 Nov
    report = progress(ticket, NOW - timedelta(days=7))
    assert report is not None
    late = progress_message(report, today=date(2026, 11, 23))["blocks"][0]["text"]["text"]
    assert "*Next:* Provisioned — due Sun 1 Nov, *overdue*" in late
    early = progress_message(report, today=date(2026, 10, 30))["blocks"][0]["text"]["text"]
    assert "overdue" not in early


def test_messages_the_bot_gave_up_on_are_reported_in_the_digest() -> None:
    digest = build_digest([], NOW, date(2026, 11, 23), undelivered=["nudge:T1:U0OWEN:2026-W47"])
    main, _ = digest_messages(digest)
    assert "1 message(s) could not be delivered: nudge:T1:U0OWEN:2026-W47" in str(main["blocks"])
