"""The definition of ready."""

from __future__ import annotations

from datetime import date

import pytest

from intake.readiness import DEADLINE_LABEL, VERIFIABLE_LABEL, check, is_verifiable
from intake.templates import TemplateSet
from intake.ticket import Ticket


@pytest.mark.parametrize(
    "criterion",
    [
        "p99 latency under 200ms",
        "99.9% uptime over 30 days",
        "billing-api can connect from staging",
        "https://api.example.com returns 200",
        "all tests pass on main",
        "CI finishes in under 10 minutes",
        "the runbook is documented",
        "Lee has access to the prod replica",
        "alerts fire in #checkout-alerts",
        "the dashboard shows error rate per endpoint",
        "the service runs in production",
        "backups exist for every database",
        "the new db is deployed",
        "zero downtime during the cutover",
        "restores within an hour",
        "Is the API reachable from staging?",
    ],
)
def test_verifiable_criteria(criterion: str) -> None:
    assert is_verifiable(criterion)


@pytest.mark.parametrize(
    "criterion",
    [
        "works well",
        "faster",
        "better",
        "it's good",
        "improved",
        "nice",
        "stable",
        "the page loads faster",
        "deploys are better",
        "it works",
        "",
    ],
)
def test_vague_criteria(criterion: str) -> None:
    assert not is_verifiable(criterion)


def ready_database_ticket() -> Ticket:
    ticket = Ticket(requester="U1", category="database", problem="need a db for billing")
    ticket.services = ["billing"]
    ticket.environment = ["production"]
    ticket.fields["engine"] = "PostgreSQL"
    ticket.deadline = date(2026, 12, 4)
    ticket.acceptance_criteria = ["billing-api can connect from staging"]
    return ticket


def test_a_complete_ticket_is_ready(templates: TemplateSet) -> None:
    readiness = check(ready_database_ticket(), templates.get("database"))
    assert readiness.ready
    assert readiness.missing == ()


def test_one_item_per_required_field_plus_criteria_and_deadline(templates: TemplateSet) -> None:
    readiness = check(Ticket(requester="U1"), templates.get("database"))
    assert [item.label for item in readiness.items] == [
        "Services",
        "Engine",
        "Environments",
        DEADLINE_LABEL,
        VERIFIABLE_LABEL,
    ]
    assert not readiness.ready
    assert all(item.hint for item in readiness.missing)


def test_only_vague_criteria_are_not_enough(templates: TemplateSet) -> None:
    ticket = ready_database_ticket()
    ticket.acceptance_criteria = ["works well", "faster"]
    readiness = check(ticket, templates.get("database"))
    assert [item.label for item in readiness.missing] == [VERIFIABLE_LABEL]
    hint = readiness.missing[0].hint
    assert "e.g." in hint  # an example of what to write
    ticket.acceptance_criteria.append("p99 under 50 ms")
    assert check(ticket, templates.get("database")).ready


def test_no_deadline_counts_as_an_answer(templates: TemplateSet) -> None:
    ticket = ready_database_ticket()
    ticket.deadline = None
    readiness = check(ticket, templates.get("database"))
    assert [item.label for item in readiness.missing] == [DEADLINE_LABEL]
    assert "no deadline" in readiness.missing[0].hint
    ticket.no_deadline = True
    assert check(ticket, templates.get("database")).ready


def test_request_type_fields_are_checked(templates: TemplateSet) -> None:
    ticket = Ticket(requester="U1", category="access_request")
    ticket.fields["who_needs_access"] = "U123ABC"
    ticket.fields["access_level"] = "read-only"
    ticket.no_deadline = True
    ticket.acceptance_criteria = ["Lee can run read queries on billing-db"]
    readiness = check(ticket, templates.get("access_request"))
    assert [item.label for item in readiness.missing] == ["Resource"]
    assert "Access to what" in readiness.missing[0].hint


def test_a_field_answered_not_sure_counts_as_answered_and_says_so(templates: TemplateSet) -> None:
    ticket = Ticket(requester="U1", category="database", services=["billing"])
    ticket.fields["engine"] = "PostgreSQL"
    ticket.environment = ["production"]
    before = {item.label: item for item in check(ticket, templates.get("database")).items}
    assert not before[DEADLINE_LABEL].ok and not before[VERIFIABLE_LABEL].ok

    ticket.answer_notes["deadline"] = "not sure — “no idea”"
    ticket.answer_notes["acceptance_criteria"] = "left to the platform team — “you pick”"
    after = check(ticket, templates.get("database"))
    items = {item.label: item for item in after.items}
    assert after.ready
    assert items[DEADLINE_LABEL].noted and items[VERIFIABLE_LABEL].noted
    assert not items["Services"].noted, "a field with a value is not a note"
