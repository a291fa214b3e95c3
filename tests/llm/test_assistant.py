"""OpenAIAssistant through the real openai client against the fake API: each method's happy
path, and answers that are schema-valid but break a domain rule, which the rules replace
(propose_draft: test_assistant_draft.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from intake import extraction
from intake.assistant import SUMMARY_LIMIT, RuleAssistant
from intake.conversation import Source
from intake.engine import IntakeEngine
from intake.templates.model import TemplateSet
from llm import prompts
from tests.fakes.openai_api import FakeReply
from tests.llm.conftest import NOW, TODAY, Rig, conversation, warnings_logged

RULES = RuleAssistant()


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
    assert warnings_logged(caplog) == ["llm classify: unknown request type; answering from rules"]


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
    [warning] = warnings_logged(caplog)
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
    assert warnings_logged(caplog) == ["llm summarise_thread: refusal; answering from rules"]


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
