"""The ask lifecycle: allowed moves, who may make them, and what people are told otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intake.lifecycle import (
    Action,
    AlreadyDone,
    InvalidTransition,
    NotPermitted,
    Role,
    ago,
    apply,
    roles_of,
)
from intake.ticket import Status, Ticket

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEAD = frozenset({Role.LEAD})
REQUESTER = frozenset({Role.REQUESTER})
OWNER = frozenset({Role.OWNER})


def name(user: str) -> str:
    return f"@{user}"


def submitted() -> Ticket:
    ticket = Ticket(requester="UREQ")
    apply(ticket, Action.SUBMIT, "UREQ", REQUESTER, T0)
    return ticket


def test_the_whole_happy_path_is_recorded_in_history() -> None:
    ticket = submitted()
    apply(ticket, Action.REQUEST_CHANGES, "ULEE", LEAD, T0, "Which region?")
    apply(ticket, Action.RESUBMIT, "UREQ", REQUESTER, T0, "eu-west-1")
    apply(ticket, Action.APPROVE, "ULEE", LEAD, T0 + timedelta(hours=2))
    ticket.owner = "UOWN"
    apply(ticket, Action.START, "UOWN", roles_of(ticket, "UOWN", is_lead=False), T0)
    apply(ticket, Action.COMPLETE, "UOWN", OWNER, T0)
    path = [(e.from_status, e.to_status) for e in ticket.history]
    assert path == [
        (Status.DRAFT, Status.SUBMITTED),
        (Status.SUBMITTED, Status.NEEDS_INFO),
        (Status.NEEDS_INFO, Status.SUBMITTED),
        (Status.SUBMITTED, Status.ACCEPTED),
        (Status.ACCEPTED, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Status.DONE),
    ]
    assert ticket.history[1].note == "Which region?"
    assert ticket.decided_at == T0 + timedelta(hours=2), "time from submit to decision is kept"


def test_only_leads_decide_and_people_are_told_who_can() -> None:
    ticket = submitted()
    with pytest.raises(NotPermitted) as refused:
        apply(ticket, Action.APPROVE, "UREQ", REQUESTER, T0)
    assert refused.value.outcome == "denied"
    assert refused.value.message(name, T0) == "Only a platform lead can approve this ask."
    assert ticket.status is Status.SUBMITTED and len(ticket.history) == 1


def test_a_second_approve_says_who_approved_and_when() -> None:
    ticket = submitted()
    apply(ticket, Action.APPROVE, "ULEE", LEAD, T0)
    with pytest.raises(AlreadyDone) as again:
        apply(ticket, Action.APPROVE, "UKIM", LEAD, T0 + timedelta(minutes=2))
    assert (
        again.value.message(name, T0 + timedelta(minutes=2)) == "Approved by @ULEE 2 minutes ago."
    )
    assert again.value.outcome == "no-op"


def test_decline_after_approve_is_refused_with_the_decision() -> None:
    ticket = submitted()
    apply(ticket, Action.APPROVE, "ULEE", LEAD, T0)
    with pytest.raises(InvalidTransition) as refused:
        apply(ticket, Action.DECLINE, "UKIM", LEAD, T0)
    text = refused.value.message(name, T0)
    assert "accepted (approved by @ULEE just now)" in text and "can't be declined" in text


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.DRAFT, Action.APPROVE),
        (Status.ACCEPTED, Action.CANCEL),
        (Status.DONE, Action.START),
        (Status.DECLINED, Action.COMPLETE),
        (Status.CANCELLED, Action.REOPEN),
    ],
)
def test_invalid_transitions_are_refused(status: Status, action: Action) -> None:
    ticket = Ticket(requester="UREQ", status=status)
    everyone = frozenset(Role)
    with pytest.raises(InvalidTransition):
        apply(ticket, action, "ULEE", everyone, T0)
    assert ticket.status is status


def test_reopen_sends_a_declined_ask_back_to_review_and_a_done_one_back_to_work() -> None:
    declined = submitted()
    apply(declined, Action.DECLINE, "ULEE", LEAD, T0, "Out of scope")
    apply(declined, Action.REOPEN, "ULEE", LEAD, T0 + timedelta(days=1))
    assert declined.status is Status.SUBMITTED and declined.decided_at is None
    done = Ticket(requester="UREQ", status=Status.DONE)
    apply(done, Action.REOPEN, "ULEE", LEAD, T0)
    assert done.status is Status.IN_PROGRESS


def test_the_requester_may_cancel_until_accepted_only() -> None:
    ticket = submitted()
    apply(ticket, Action.CANCEL, "UREQ", REQUESTER, T0)
    assert ticket.status is Status.CANCELLED
    accepted = submitted()
    apply(accepted, Action.APPROVE, "ULEE", LEAD, T0)
    with pytest.raises(InvalidTransition):
        apply(accepted, Action.CANCEL, "UREQ", REQUESTER, T0)


def test_assign_keeps_the_status_and_owners_may_move_their_work() -> None:
    ticket = submitted()
    entry = apply(ticket, Action.ASSIGN, "ULEE", LEAD, T0, "assigned to UOWN")
    assert entry.from_status is entry.to_status is Status.SUBMITTED
    with pytest.raises(NotPermitted):
        apply(ticket, Action.START, "UREQ", REQUESTER, T0)


def test_ago_reads_naturally() -> None:
    assert ago(T0, T0 + timedelta(seconds=30)) == "just now"
    assert ago(T0, T0 + timedelta(minutes=1)) == "1 minute ago"
    assert ago(T0, T0 + timedelta(hours=5)) == "5 hours ago"
    assert ago(T0, T0 + timedelta(days=2, hours=3)) == "2 days ago"
