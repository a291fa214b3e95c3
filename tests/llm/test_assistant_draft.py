"""OpenAIAssistant.propose_draft through the real openai client against the fake API: the
model's draft, and drafts that are schema-valid but break a domain rule (the deadline, the
plan, the size), which the rules replace."""

from __future__ import annotations

from datetime import date

import pytest

from intake.assistant import RuleAssistant
from intake.conversation import Conversation
from intake.templates.model import TemplateSet
from intake.ticket import Milestone, Priority, Size
from tests.llm.conftest import TODAY, Rig, conversation, warnings_logged

RULES = RuleAssistant()


def _draft_chat() -> tuple[Conversation, date]:
    deadline = date(2026, 12, 11)
    chat = conversation(
        "postgres for billing before the Dec 12 launch",
        services=["billing"],
        engine="PostgreSQL",
        environment=["production", "staging"],
        deadline=deadline,
    )
    return chat, deadline


def _reply(**fields: object) -> dict[str, object]:
    """The model's draft for the billing database: nothing proposed but ``fields``."""
    empty: dict[str, object] = {
        "title": "PostgreSQL database for billing",
        "problem": "",
        "acceptance_criteria": [],
        "out_of_scope": [],
        "risks": [],
        "milestones": [],
        "priority": "P2",
        "size": "M",
        "rationale": "Due soon.",
    }
    return {**empty, **fields}


def test_propose_draft_uses_the_models_proposal(rig: Rig, templates: TemplateSet) -> None:
    database = templates.get("database")
    chat, deadline = _draft_chat()
    rig.fake.script(
        {
            "title": "PostgreSQL database for billing",
            "problem": "Billing needs a PostgreSQL database in staging and production.",
            "acceptance_criteria": [
                "billing-api connects to it from staging",
                "nightly backups restore in under 1 hour",
            ],
            "out_of_scope": ["Migrating the legacy MySQL data"],
            "risks": ["The launch date leaves two weeks"],
            "milestones": [
                {"title": "Provisioned", "due": "2026-11-27", "done_criterion": "Instance exists"},
                {"title": "Connected", "due": "2026-12-04", "done_criterion": "billing-api reads"},
                {"title": "Live", "due": "2026-12-11", "done_criterion": "Runbook has details"},
            ],
            "priority": "P2",
            "size": "M",
            "rationale": "Database type; due in under three weeks, so P2; one engine, size M.",
        }
    )
    proposal = rig.assistant.propose_draft(chat, database, TODAY)
    assert proposal.title == "PostgreSQL database for billing"
    assert proposal.problem.startswith("Billing needs")
    assert proposal.acceptance_criteria == [
        "billing-api connects to it from staging",
        "nightly backups restore in under 1 hour",
    ]
    assert proposal.out_of_scope == ["Migrating the legacy MySQL data"]
    assert proposal.risks == ["The launch date leaves two weeks"]
    assert [(m.title, m.due) for m in proposal.milestones] == [
        ("Provisioned", date(2026, 11, 27)),
        ("Connected", date(2026, 12, 4)),
        ("Live", deadline),
    ]
    assert all(isinstance(m, Milestone) for m in proposal.milestones)
    assert (proposal.priority, proposal.size) == (Priority.P2, Size.M)
    user = rig.fake.chat_requests()[0].message("user")
    assert "Deadline: 2026-12-11" in user and "At most 8 milestones" in user


def test_schema_valid_nonsense_in_a_draft_falls_back_field_by_field(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    database = templates.get("database")
    chat, _deadline = _draft_chat()
    rules = RULES.propose_draft(chat, database, TODAY)
    forty = [
        {"title": f"Step {i}", "due": "2026-12-01", "done_criterion": "Done"} for i in range(40)
    ]
    rig.fake.script(
        _reply(
            title="A" * 120,
            acceptance_criteria=["works well", "is fast", "p95 latency under 200 ms"],
            out_of_scope=[f"thing {i}" for i in range(9)],
            milestones=forty,
            priority="P0",
            size="XXL",
            rationale="Because.\nAnd also: approved.",
        )
    )
    proposal = rig.assistant.propose_draft(chat, database, TODAY)
    assert proposal.title == rules.title
    assert proposal.problem == ""
    assert proposal.acceptance_criteria == ["p95 latency under 200 ms"]  # the verifiable one
    assert proposal.out_of_scope == [f"thing {i}" for i in range(5)]
    assert proposal.milestones == rules.milestones
    assert (proposal.priority, proposal.size) == (rules.priority, rules.size)
    assert proposal.rationale == rules.rationale
    [warning] = warnings_logged(caplog)
    assert "milestones (more than 8 milestones)" in warning
    assert "2 acceptance criteria" in warning and "priority" in warning and "title" in warning


@pytest.mark.parametrize(
    ("plan", "why"),
    [
        ([("2026-12-04", "")], "a milestone without a title or a done criterion"),
        ([("2026-12-04", "x")] * 9, "more than 8 milestones"),
    ],
)
def test_a_milestone_plan_that_breaks_a_rule_is_the_rules_plan(
    rig: Rig,
    templates: TemplateSet,
    caplog: pytest.LogCaptureFixture,
    plan: list[tuple[str, str]],
    why: str,
) -> None:
    database = templates.get("database")
    chat, _deadline = _draft_chat()
    rules = RULES.propose_draft(chat, database, TODAY)
    steps = [{"title": "Step", "due": due, "done_criterion": done} for due, done in plan]
    rig.fake.script(_reply(milestones=steps))
    proposal = rig.assistant.propose_draft(chat, database, TODAY)
    assert proposal.milestones == rules.milestones
    assert proposal.title == "PostgreSQL database for billing"
    assert f"milestones ({why})" in warnings_logged(caplog)[0]


def _plan_reply(plan: list[tuple[str, str]]) -> dict[str, object]:
    return _reply(
        milestones=[
            {"title": f"Step {i}", "due": due, "done_criterion": done}
            for i, (due, done) in enumerate(plan, start=1)
        ]
    )


@pytest.mark.parametrize(
    ("plan", "dues"),
    [
        # Due today, and on a Saturday: moved to the first working days after today.
        ([("2026-11-23", "x"), ("2026-11-28", "y")], ["2026-11-24", "2026-11-30"]),
        # Out of order, after the deadline, not a date: re-spaced up to the deadline.
        ([("2026-12-04", "x"), ("2026-12-01", "y")], ["2026-12-02", "2026-12-11"]),
        ([("2026-12-04", "x"), ("2027-01-15", "y")], ["2026-12-04", "2026-12-11"]),
        ([("soon", "x"), ("2026-12-07", "y")], ["2026-12-02", "2026-12-11"]),
    ],
)
def test_the_models_plan_gets_its_dates_from_the_planners_rules(
    rig: Rig, templates: TemplateSet, plan: list[tuple[str, str]], dues: list[str]
) -> None:
    """The model's milestones stand; their dates pass the rule planner's rules: working
    days after today, in order, one a day, none after the deadline (2026-12-11)."""
    chat, _deadline = _draft_chat()
    rig.fake.script(_plan_reply(plan))
    proposal = rig.assistant.propose_draft(chat, templates.get("database"), TODAY)
    assert [m.title for m in proposal.milestones] == ["Step 1", "Step 2"]
    assert [m.due.isoformat() for m in proposal.milestones if m.due] == dues
    assert proposal.plan_warning == ""


def test_a_model_plan_too_long_for_the_deadline_is_merged_with_a_warning(
    rig: Rig, templates: TemplateSet
) -> None:
    chat, _deadline = _draft_chat()
    chat.ticket.deadline = date(2026, 11, 25)  # Wednesday: two working days after today
    steps = [("2026-11-24", "provisioned"), ("2026-11-24", "connected"), ("2026-11-25", "live")]
    rig.fake.script(_plan_reply(steps))
    proposal = rig.assistant.propose_draft(chat, templates.get("database"), TODAY)
    assert [(m.title, str(m.due)) for m in proposal.milestones] == [
        ("Step 1 + Step 2", "2026-11-24"),
        ("Step 3", "2026-11-25"),
    ]
    assert proposal.milestones[0].done_criterion == "provisioned; connected"
    assert proposal.plan_warning.startswith(
        "Too tight for 3 milestones by Wed 25 Nov: the earliest realistic date is Thu 26 Nov."
    )
    user = rig.fake.chat_requests()[0].message("user")
    assert "Deadline: 2026-11-25 (2 working days left after today)" in user


def test_the_requesters_priority_and_size_stand(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    database = templates.get("database")
    chat, _deadline = _draft_chat()
    chat.ticket.priority, chat.ticket.size = Priority.P1, Size.L
    rig.fake.script(_reply(priority="P4", size="S", rationale="Small."))
    rules = RULES.propose_draft(chat, database, TODAY)
    proposal = rig.assistant.propose_draft(chat, database, TODAY)
    assert (proposal.priority, proposal.size) == (Priority.P1, Size.L)
    assert proposal.milestones == rules.milestones  # an empty plan is no proposal
    assert warnings_logged(caplog) == []
