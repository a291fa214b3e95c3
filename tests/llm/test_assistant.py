"""Over 400 lines: the tests of one adapter (OpenAIAssistant), method by method on one fake API;
propose_draft alone is about 220 lines of rule cases.

OpenAIAssistant through the real openai client against the fake API: each method's happy
path, and answers that are schema-valid but break a domain rule, which the rules replace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import pytest

from intake import extraction
from intake.assistant import SUMMARY_LIMIT, RuleAssistant
from intake.conversation import Conversation, Source
from intake.engine import IntakeEngine
from intake.templates.model import TemplateSet
from intake.ticket import Milestone, Priority, Size
from llm import prompts
from tests.fakes.openai_api import FakeReply
from tests.llm.conftest import NOW, TODAY, Rig, conversation

RULES = RuleAssistant()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# -- classify -----------------------------------------------------------------------------------


def test_classify_returns_the_models_request_type(rig: Rig, templates: TemplateSet) -> None:
    rig.fake.script({"request_type": "database"})
    text = "somewhere to keep the billing ledger, replicated please"
    assert rig.assistant.classify(text, templates) == "database"
    [request] = rig.fake.chat_requests()
    assert request.schema_name == "ClassifyReply"
    assert request.body["response_format"]["json_schema"]["strict"] is True
    assert request.message("system") == prompts.system_prompt("classify")
    user = request.message("user")
    assert "- database: Database." in user and "- other:" in user
    assert f"<ask>\n{text}\n</ask>" in user


def test_an_unknown_request_type_is_answered_by_rules(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig.fake.script({"request_type": "approve_everything"})
    text = "we need a postgres db for billing"
    assert rig.assistant.classify(text, templates) == RULES.classify(text, templates)
    assert _warnings(caplog) == ["llm classify: unknown request type; answering from rules"]


# -- extract ------------------------------------------------------------------------------------

SEVERAL = "postgres 15 for billing, prod + staging, need it before the Dec 12 launch"


def test_one_message_answers_several_fields(rig: Rig, templates: TemplateSet) -> None:
    database = templates.get("database")
    rig.fake.script(
        {
            "fields": [
                {"name": "engine", "values": ["PostgreSQL"]},
                {"name": "version", "values": ["15"]},  # not a field of the template
                {"name": "services", "values": ["Billing"]},
                {"name": "environment", "values": ["production", "staging"]},
                {"name": "deadline", "values": ["2026-12-11"]},
            ],
            "no_deadline": False,
            "urgency": "none",
        }
    )
    found = rig.assistant.extract(SEVERAL, database, TODAY)
    assert found.values == {
        "engine": "PostgreSQL",
        "services": ["billing"],
        "environment": ["production", "staging"],
        "deadline": date(2026, 12, 11),
    }
    assert found.no_deadline is False
    # The same types and forms as the rule engine's reading.
    rules = extraction.extract(SEVERAL, database, TODAY)
    for name, value in rules.values.items():
        assert type(found.values[name]) is type(value)
    user = rig.fake.chat_requests()[0].message("user")
    assert "Today: 2026-11-23 (Monday)" in user
    assert "- engine (Engine; choice): PostgreSQL | MySQL | Redis | MongoDB | Other" in user
    assert "- storage_gb (Storage; number; unit GB)" in user


def test_the_model_adds_fields_and_rules_keep_what_it_leaves_out(
    rig: Rig, templates: TemplateSet
) -> None:
    database = templates.get("database")
    text = "redis cache for checkout-api, about 20 gigs. see https://wiki.example.com/redis"
    rig.fake.script(
        {
            "fields": [
                {"name": "impact", "values": ["Checkout pages are slow at peak"]},
                {"name": "storage_gb", "values": ["0.02 TB"]},
            ],
            "no_deadline": True,
            "urgency": "high",
        }
    )
    found = rig.assistant.extract(text, database, TODAY)
    rules = RULES.extract(text, database, TODAY)
    assert found.values["services"] == rules.values["services"] == ["checkout-api"]
    assert found.values["engine"] == "Redis"
    assert found.values["impact"] == "Checkout pages are slow at peak"
    assert found.values["storage_gb"] == pytest.approx(20.48)
    assert found.links == rules.links == ["https://wiki.example.com/redis"]
    assert found.no_deadline is True
    assert found.urgency is extraction.Urgency.HIGH


def test_extracted_values_that_break_rules_are_dropped(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    database = templates.get("database")
    text = "need a db for payments"
    rig.fake.script(
        {
            "fields": [
                {"name": "deadline", "values": ["2026-01-15"]},  # in the past
                {"name": "engine", "values": ["Oracle"]},  # not an option
                {"name": "environment", "values": ["production", "moon"]},
                {"name": "status", "values": ["accepted"]},  # not a field
            ],
            "no_deadline": False,
            "urgency": "apocalyptic",
        }
    )
    found = rig.assistant.extract(text, database, TODAY)
    assert "deadline" not in found.values
    assert "engine" not in found.values
    assert found.values["environment"] == ["production"]  # the known option stays
    assert "status" not in found.values
    assert found.urgency is extraction.Urgency.NONE
    [warning] = _warnings(caplog)
    assert warning.startswith("llm extract: dropped deadline, engine, 1 unknown field(s), urgency")


# -- next_field and word_question ---------------------------------------------------------------


def test_next_field_is_one_of_the_candidates(rig: Rig, templates: TemplateSet) -> None:
    database = templates.get("database")
    candidates = [database.field(n) for n in ("engine", "environment", "deadline")]
    specs = [s for s in candidates if s is not None]
    chat = conversation("postgres for billing asap, launch is close", services=["billing"])
    rig.fake.script({"name": "deadline"}, {"name": "owner"})
    assert rig.assistant.next_field(chat, specs).name == "deadline"
    assert rig.assistant.next_field(chat, specs) is specs[0]  # not a candidate: rules
    user = rig.fake.chat_requests()[0].message("user")
    assert "- deadline (Deadline; date)" in user
    assert '"services": ["billing"]' in user


def test_word_question_is_cleaned_of_slack_controls(rig: Rig, templates: TemplateSet) -> None:
    spec = templates.get("database").field("engine")
    assert spec is not None
    chat = conversation("a database for billing")
    rig.fake.script(
        {"question": "<!channel> Which engine should billing's database run on? <@U0EVIL1234>"}
    )
    assert rig.assistant.word_question(chat, spec) == (
        "Which engine should billing's database run on?"
    )


@pytest.mark.parametrize(
    "question",
    ["Tell me the engine.", "", "<@U0EVIL1234> <!here>", "Which engine " + "really " * 60 + "?"],
)
def test_a_question_that_breaks_the_rules_is_the_templates(
    rig: Rig, templates: TemplateSet, question: str
) -> None:
    spec = templates.get("database").field("engine")
    assert spec is not None
    rig.fake.script({"question": question})
    assert rig.assistant.word_question(conversation("a db"), spec) == spec.question


# -- propose_draft ------------------------------------------------------------------------------


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
        {
            "title": "A" * 120,
            "problem": "",
            "acceptance_criteria": ["works well", "is fast", "p95 latency under 200 ms"],
            "out_of_scope": [f"thing {i}" for i in range(9)],
            "risks": [],
            "milestones": forty,
            "priority": "P0",
            "size": "XXL",
            "rationale": "Because.\nAnd also: approved.",
        }
    )
    proposal = rig.assistant.propose_draft(chat, database, TODAY)
    assert proposal.title == rules.title
    assert proposal.problem == ""
    assert proposal.acceptance_criteria == ["p95 latency under 200 ms"]  # the verifiable one
    assert proposal.out_of_scope == [f"thing {i}" for i in range(5)]
    assert proposal.milestones == rules.milestones
    assert (proposal.priority, proposal.size) == (rules.priority, rules.size)
    assert proposal.rationale == rules.rationale
    [warning] = _warnings(caplog)
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
    rig.fake.script(
        {
            "title": "PostgreSQL database for billing",
            "problem": "",
            "acceptance_criteria": [],
            "out_of_scope": [],
            "risks": [],
            "milestones": [
                {"title": "Step", "due": due, "done_criterion": done} for due, done in plan
            ],
            "priority": "P2",
            "size": "M",
            "rationale": "Due soon.",
        }
    )
    proposal = rig.assistant.propose_draft(chat, database, TODAY)
    assert proposal.milestones == rules.milestones
    assert proposal.title == "PostgreSQL database for billing"
    assert f"milestones ({why})" in _warnings(caplog)[0]


def _plan_reply(plan: list[tuple[str, str]]) -> dict[str, object]:
    return {
        "title": "PostgreSQL database for billing",
        "problem": "",
        "acceptance_criteria": [],
        "out_of_scope": [],
        "risks": [],
        "milestones": [
            {"title": f"Step {i}", "due": due, "done_criterion": done}
            for i, (due, done) in enumerate(plan, start=1)
        ],
        "priority": "P2",
        "size": "M",
        "rationale": "Due soon.",
    }


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
        "Too tight for 3 milestones by Wed 25 Nov 2026: the earliest realistic date is "
        "Thu 26 Nov 2026."
    )
    user = rig.fake.chat_requests()[0].message("user")
    assert "Deadline: 2026-11-25 (2 working days left after today)" in user


def test_the_requesters_priority_and_size_stand(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    database = templates.get("database")
    chat, _deadline = _draft_chat()
    chat.ticket.priority, chat.ticket.size = Priority.P1, Size.L
    rig.fake.script(
        {
            "title": "PostgreSQL database for billing",
            "problem": "",
            "acceptance_criteria": [],
            "out_of_scope": [],
            "risks": [],
            "milestones": [],
            "priority": "P4",
            "size": "S",
            "rationale": "Small.",
        }
    )
    rules = RULES.propose_draft(chat, database, TODAY)
    proposal = rig.assistant.propose_draft(chat, database, TODAY)
    assert (proposal.priority, proposal.size) == (Priority.P1, Size.L)
    assert proposal.milestones == rules.milestones  # an empty plan is no proposal
    assert _warnings(caplog) == []


# -- summarise_thread ---------------------------------------------------------------------------


def test_summarise_thread(rig: Rig) -> None:
    messages = ["CI is so slow on checkout-web", "like 40 minutes per run", "can platform help?"]
    rig.fake.script(
        {"summary": "CI for checkout-web takes 40 minutes per run; please speed it up."}
    )
    summary = rig.assistant.summarise_thread(messages)
    assert summary == "CI for checkout-web takes 40 minutes per run; please speed it up."
    user = rig.fake.chat_requests()[0].message("user")
    assert user.startswith("<thread>\n[1] CI is so slow on checkout-web\n[2] like 40 minutes")
    assert user.endswith("</thread>")


@pytest.mark.parametrize("summary", ["", "   ", "x" * (SUMMARY_LIMIT + 1)])
def test_a_bad_summary_is_the_rules(rig: Rig, summary: str) -> None:
    messages = ["CI is slow on checkout-web", "40 minutes per run"]
    rig.fake.script({"summary": summary})
    assert rig.assistant.summarise_thread(messages) == RULES.summarise_thread(messages)


def test_refusal_in_any_method_is_answered_by_rules(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig.fake.script(FakeReply.refused())
    messages = ["we need a db"]
    assert rig.assistant.summarise_thread(messages) == RULES.summarise_thread(messages)
    assert _warnings(caplog) == ["llm summarise_thread: refusal; answering from rules"]


def test_a_model_that_fails_every_call_gives_the_rule_engines_intake(
    make_rig: Callable[..., Rig], templates: TemplateSet
) -> None:
    rig = make_rig(breaker_failures=100)
    rig.fake.responder = lambda name, body: FakeReply.refused()
    ask = "postgres 15 for billing, prod + staging, need it before the Dec 12 launch"
    runs = []
    for assistant in (RULES, rig.assistant):
        engine = IntakeEngine(templates, assistant)
        chat, opening = engine.start(ask, "U0REQUESTR1", Source.DM, "UTC", NOW)
        answer = engine.answer(chat, "billing-api connects to it from staging", NOW)
        runs.append((chat, opening, answer))
    assert runs[0] == runs[1]
    assert len(rig.fake.chat_requests()) >= 3  # the model was asked, and rules answered
