"""An accepted ask with a milestone plan, and its people, for the milestone tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from intake.ticket import HistoryEntry, Milestone, MilestoneStatus, Status, Ticket

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REQUESTER, OWNER, HELPER, LEAD, OTHER = "U0ALICE", "U0OWEN", "U0HELEN", "U0LEE", "U0BOB"
M = MilestoneStatus


def name(user: str) -> str:
    return f"@{user}"


def accepted(*, plan: int = 3) -> Ticket:
    ticket = Ticket(
        requester=REQUESTER,
        title="PostgreSQL database for billing",
        status=Status.ACCEPTED,
        key="PLAT-1",
        owner=OWNER,
        team_id="T1",
        history=[
            HistoryEntry(T0, REQUESTER, Status.DRAFT, Status.SUBMITTED),
            HistoryEntry(T0, LEAD, Status.SUBMITTED, Status.ACCEPTED),
        ],
    )
    titles = ["Staging database", "Backups restore", "Production cutover", "Load test"]
    for i in range(plan):
        owner = HELPER if i == 1 else OWNER
        ticket.milestones.append(Milestone(titles[i], date(2026, 12, 1 + i), "", owner=owner))
    return ticket
