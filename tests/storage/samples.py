"""Domain objects for storage tests, with every field set and awkward text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from intake import ticket as domain
from intake.conversation import Conversation, Phase, Source, Thread
from intake.extraction import Urgency
from intake.ticket import (
    HistoryEntry,
    Milestone,
    MilestoneChange,
    MilestoneStatus,
    Status,
    Ticket,
)

T0 = datetime(2025, 3, 3, 9, 30, 15, 123456, tzinfo=UTC)

# Emoji (with ZWJ sequences and skin tones), Hebrew and Arabic (RTL) with a right-to-left
# mark, zero-width space / joiner / non-joiner, a BOM, combining accents, CJK, astral plane.
AWKWARD = (
    "Deploy 🚀 for 👩🏽‍💻 team — "
    "שלום עולם \u200f مرحبا بالعالم "
    "zero\u200bwidth\u200djoiner\u200cnon\ufeffbom "
    "e\u0301 n\u0303 "
    "漢字 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 "
    "quotes ' \" ` \\ % _ ; -- /* */"
)
LONG_PASTE = ("A 40,000-character paste: " + "lorem ipsum dolor sit amet 🙂 " * 2000)[:40_000]


def full_conversation(
    *,
    team_id: str = "T001",
    requester: str = "U100",
    thread: Thread | None = None,
    key: str | None = "PLAT-12",
    created_at: datetime = T0,
) -> Conversation:
    ticket = Ticket(
        requester=requester,
        category="database",
        title=f"Postgres for billing {AWKWARD}",
        status=Status.SUBMITTED,
        problem=LONG_PASTE,
        impact=f"Billing is blocked {AWKWARD}",
        desired_outcome="A managed Postgres 16 with PITR",
        acceptance_criteria=["Backups every hour", AWKWARD, ""],
        out_of_scope=["Migrating old data"],
        deadline=date(2025, 4, 30),
        no_deadline=False,
        environment=["staging", "prod"],
        services=["billing-api", "ledger"],
        priority=domain.Priority.P2,
        size=domain.Size.L,
        milestones=[
            Milestone(
                title="Design reviewed",
                due=date(2025, 3, 10),
                done_criterion="ADR merged",
                status=MilestoneStatus.DONE,
                owner="U200",
            ),
            Milestone(title=f"Provisioned {AWKWARD}", due=None, done_criterion=""),
            Milestone(
                title="Cut over",
                due=date(2025, 4, 30),
                done_criterion="Traffic on new DB",
                status=MilestoneStatus.AT_RISK,
                reason=f"Vendor quota pending {AWKWARD}",
                log=[
                    MilestoneChange(
                        at=created_at + timedelta(days=2),
                        actor="U300",
                        what="due",
                        old="2025-04-15",
                        new="2025-04-30",
                        reason="quota request slipped",
                    ),
                    MilestoneChange(
                        # Not UTC: it comes back as the same instant in UTC.
                        at=datetime(2025, 3, 6, 12, 0, tzinfo=timezone(timedelta(hours=-5))),
                        actor="U300",
                        what="status",
                        old="on_track",
                        new="at_risk",
                        reason=AWKWARD,
                    ),
                ],
            ),
        ],
        history=[
            HistoryEntry(at=T0, actor="U100", from_status=None, to_status=Status.DRAFT),
            HistoryEntry(
                at=T0 + timedelta(minutes=5),
                actor="U100",
                from_status=Status.DRAFT,
                to_status=Status.SUBMITTED,
                note=AWKWARD,
            ),
        ],
        fields={
            "engine": "postgres",
            "version": 16,
            "storage_gb": 250.5,
            "ha": True,
            "replica": None,
            "go_live": date(2025, 4, 1),
            "window_start": datetime(2025, 4, 1, 22, 0, tzinfo=timezone(timedelta(hours=2))),
            "dates": [date(2025, 1, 1), "2025-01-02"],
            "looks_like_a_date": "2025-01-03",
            "nested": {"$date": "not a tag, a user's key", "when": date(2025, 5, 5)},
            "text": AWKWARD,
        },
        links=["https://example.com/runbook?a=1&b=2", "https://ex.com/ünïcode"],
        team_id=team_id,
        key=key,
        created_at=created_at,
        submitted_at=created_at + timedelta(minutes=5),
        owner="U300",
        decided_at=created_at + timedelta(minutes=50),
        done_requested_at=created_at + timedelta(days=40),
        answer_notes={"storage_gb": f"not sure — “{AWKWARD}”", "access_level": "n/a — “n/a”"},
    )
    return Conversation(
        ticket=ticket,
        source=Source.MENTION,
        tz="Europe/Berlin",
        thread=thread if thread is not None else Thread(channel="C123", ts="1700000000.000100"),
        phase=Phase.SUBMITTED,
        pending="deadline",
        asked=["problem", "impact", "deadline"],
        skipped=["out_of_scope"],
        urgency=Urgency.HIGH,
        question_ts="1700000000.000200",
        draft_ts="1700000000.000300",
        card=Thread(channel="C0REVIEW", ts="1700000001.000400"),
        seen={
            "title": f"Postgres for billing {AWKWARD}",
            "deadline": "2025-04-30",
            "priority": "P2",
            "acceptance_criteria": ["Backups every hour", AWKWARD],
            "fields": {"engine": "postgres", "storage_gb": 250.5, "ha": True, "replica": None},
            "$odd key": {"$date": "a user's text, not a tag"},
        },
    )


def minimal_conversation(
    *,
    team_id: str = "T001",
    requester: str = "U100",
    thread: Thread | None = None,
    status: Status = Status.DRAFT,
    key: str | None = None,
    created_at: datetime = T0,
) -> Conversation:
    return Conversation(
        ticket=Ticket(
            requester=requester,
            team_id=team_id,
            status=status,
            key=key,
            created_at=created_at,
        ),
        source=Source.CLI,
        thread=thread,
    )


def add(unit_of_work: Callable[[], Any], conversation: Conversation) -> int:
    """Store ``conversation`` as a new ask in one committed unit of work; its ask id."""
    with unit_of_work() as uow:
        uow.asks.add(conversation)
        uow.commit()
    ask_id = conversation.ticket.id
    assert isinstance(ask_id, int)
    return ask_id


def stored(uow: Any, ask_id: int) -> Conversation:
    """The ask ``ask_id`` as ``uow`` reads it (it must be there)."""
    conversation = uow.asks.get(ask_id)
    assert conversation is not None
    return conversation  # type: ignore[no-any-return]
