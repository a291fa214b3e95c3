"""Proposals for a draft: title, priority, size, milestone plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from intake.extraction import Urgency
from intake.planning import propose_priority, propose_size, propose_title
from intake.templates import TemplateSet
from intake.ticket import Priority, Size, Ticket

SUNDAY = date(2026, 11, 22)
WEDNESDAY = date(2026, 11, 25)


def ticket(**values: object) -> Ticket:
    fields = values.pop("fields", {})
    made = Ticket(requester="U1", **values)  # type: ignore[arg-type]
    made.fields.update(fields)  # type: ignore[call-overload]
    return made


# -- title --------------------------------------------------------------------------------------


def test_title_from_the_format(templates: TemplateSet) -> None:
    database = templates.get("database")
    full = ticket(services=["billing", "ledger"], fields={"engine": "PostgreSQL"})
    assert propose_title(full, database) == "PostgreSQL database for billing, ledger"


def test_missing_values_leave_no_dangling_words(templates: TemplateSet) -> None:
    database = templates.get("database")
    assert propose_title(ticket(fields={"engine": "Redis"}), database) == "Redis database"
    assert propose_title(ticket(services=["billing"]), database) == "Database for billing"
    networking = templates.get("networking")
    assert propose_title(ticket(fields={"network_change": "DNS record"}), networking) == (
        "DNS record"
    )
    access = templates.get("access_request")
    assert propose_title(ticket(fields={"resource": "the billing replica"}), access) == (
        "Access to the billing replica"
    )


def test_title_falls_back_to_the_problem(templates: TemplateSet) -> None:
    asked = ticket(problem="We need a db for billing asap. It's for the ledger.")
    assert propose_title(asked, templates.get("database")) == "A db for billing"
    assert propose_title(ticket(), templates.get("database")) == "Database"


def test_title_falls_back_to_name_and_service(templates: TemplateSet) -> None:
    no_format = replace(templates.get("database"), title_format="")
    assert propose_title(ticket(services=["billing", "x"]), no_format) == "Database for billing"


def test_long_titles_are_cut_with_an_ellipsis(templates: TemplateSet) -> None:
    long_item = "make the nightly failover drill page the owning team when replication lag grows"
    title = propose_title(
        ticket(fields={"action_item": long_item}), templates.get("incident_follow_up")
    )
    assert len(title) <= 80
    assert title.startswith("Incident follow-up: make the nightly failover drill")
    assert title.endswith("…")


@pytest.mark.parametrize(
    ("problem", "template_id", "fields", "expected"),
    [
        # The request sentence, not the context before it.
        ("We're on Ubuntu 18.04 and its standard support runs out in a couple of months. We "
         "need to upgrade the build machines to 22.04.", "other",
         {"desired_outcome": "We're on Ubuntu 18.04 and its standard support runs out soon"},
         "Upgrade the build machines to 22.04"),
        # Not a later answer's sentence.
        ("We're on Ubuntu 18.04 and its standard support runs out in a couple of months. We "
         "need to upgrade the build machines off it.", "ci_cd", {"request_kind": "other"},
         "Upgrade the build machines off Ubuntu 18.04"),
        ("Can you raise the GPU quota for the hub before the January course?", "other",
         {"desired_outcome": "About 230 people at once, each needing around 16 GB, maybe more"},
         "Raise the GPU quota for the hub"),
        ("Hi team! Please cut the cost of old CI artifacts in S3, the bill doubled", "ci_cd",
         {"request_kind": "other"}, "Cut the cost of old CI artifacts in S3"),
        # A thing asked for, when the format cannot say more.
        ("need read access to the build logs", "other", {}, "Read access to the build logs"),
        # "cut that down" points at another sentence: the type's format says what it is about.
        ("our artifact bucket keeps growing and costs us $4k a month, can we cut that down?",
         "cost", {"cost_area": "Storage"}, "Cost review: Storage for artifact"),
    ],
)  # fmt: skip
def test_title_says_what_the_ask_asks_for(
    templates: TemplateSet,
    problem: str,
    template_id: str,
    fields: dict[str, object],
    expected: str,
) -> None:
    asked = ticket(problem=problem, services=["artifact"], fields=fields)
    assert propose_title(asked, templates.get(template_id)) == expected


def test_a_full_format_of_names_beats_a_noun_phrase(templates: TemplateSet) -> None:
    asked = ticket(
        problem="we need a postgres db for billing asap",
        services=["billing"],
        fields={"engine": "PostgreSQL"},
    )
    assert propose_title(asked, templates.get("database")) == "PostgreSQL database for billing"


# -- priority -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "urgency", "expected"),
    [
        ({}, Urgency.CRITICAL, Priority.P1),
        ({"deadline": SUNDAY + timedelta(days=3)}, Urgency.NONE, Priority.P1),
        ({"deadline": SUNDAY + timedelta(days=4)}, Urgency.NONE, Priority.P2),
        ({"deadline": SUNDAY + timedelta(days=14)}, Urgency.NONE, Priority.P2),
        ({"deadline": SUNDAY + timedelta(days=30)}, Urgency.HIGH, Priority.P2),
        ({"impact": "Customers can't check out"}, Urgency.NONE, Priority.P2),
        ({"impact": "we lose revenue every hour"}, Urgency.NONE, Priority.P2),
        ({"deadline": SUNDAY + timedelta(days=30)}, Urgency.NONE, Priority.P3),
        ({"no_deadline": True, "impact": "the team waits"}, Urgency.NONE, Priority.P3),
        ({"no_deadline": True}, Urgency.NONE, Priority.P4),
    ],
)
def test_priority(values: dict[str, object], urgency: Urgency, expected: Priority) -> None:
    assert propose_priority(ticket(**values), urgency, SUNDAY) is expected


# -- size ---------------------------------------------------------------------------------------


def test_size(templates: TemplateSet) -> None:
    database = templates.get("database")  # M
    assert propose_size(ticket(services=["billing"]), database) is Size.M
    everywhere = ticket(environment=["production", "staging", "development"])
    assert propose_size(everywhere, database) is Size.L
    assert propose_size(ticket(services=["a", "b", "c"]), database) is Size.L
    assert propose_size(ticket(), templates.get("access_request")) is Size.S
    xl = replace(database, default_size=Size.XL)
    assert propose_size(ticket(services=["a", "b", "c"]), xl) is Size.XL
