"""The scenario set: realistic vague asks through the rule engine, held to its baseline, and
through the LLM engine, held to the rule engine.

``baseline.json`` holds the rule engine's figures as they were when the scenario set landed
(``python -m tests.scenarios.simulate --write-baseline``). A change that makes the rule engine
capture fewer fields, capture them wrong, pick the wrong request type more often, leave more
drafts not ready, or ask more questions fails here.

The same scenarios run through ``OpenAIAssistant`` against the fake OpenAI server and the
scripted model of ``fake_model.py`` (its readings of the opening asks are ``model_reads`` in
``scenarios.yaml``, checked here against the asks' words): the LLM engine must capture at least
as many fields from the opening ask as the rules and ask no more questions on average. Run with
``pytest -s`` to see both reports.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from intake.assistant import RuleAssistant
from intake.engine import IntakeEngine
from intake.llm.validate import extractable_fields
from intake.templates import load_templates
from intake.templates.model import AnswerType, TemplateSet
from intake.ticket import Ticket
from tests.scenarios.fake_model import listed_fields, read_answer
from tests.scenarios.simulate import (
    BASELINE_FILE,
    LlmRun,
    Report,
    Scenario,
    load_baseline,
    load_scenarios,
    rule_engine,
    run_all,
    run_llm,
    run_scenario,
    side_by_side,
    value_matches,
)

# The scenario runs are shared by the module (its fixtures): one worker runs them once.
pytestmark = pytest.mark.xdist_group("scenarios")


@pytest.fixture(scope="module")
def report() -> Report:
    return run_all(rule_engine())


def test_the_scenario_set_covers_every_request_type() -> None:
    scenarios = load_scenarios()
    templates = load_templates(None)
    assert len(scenarios) >= 20
    assert {s.type for s in scenarios} == set(templates.templates)
    for scenario in scenarios:
        template = templates.get(scenario.type)
        names = {spec.name for spec in template.fields}
        stated = set(scenario.facts) | scenario.unknown | set(scenario.expect)
        assert stated <= names, f"{scenario.id}: facts for fields {stated - names} of no field"
        assert set(scenario.expect) <= set(scenario.facts), scenario.id


def test_rule_engine_is_no_worse_than_its_baseline(report: Report) -> None:
    print("\n" + report.format())
    baseline = load_baseline()
    worse = report.regressions(baseline)
    assert not worse, (
        "The rule engine does worse on the scenario set than when the baseline was written: "
        + "; ".join(worse)
        + f". If the change is intended, rewrite {BASELINE_FILE.name} with "
        "`python -m tests.scenarios.simulate --write-baseline` and say why in the commit."
    )


def test_every_scenario_ends_in_a_draft_within_the_question_limit(report: Report) -> None:
    for result in report.results:
        assert result.questions_asked <= 8 + result.reasked, result.transcript


# -- the LLM engine -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llm_run() -> LlmRun:
    return run_llm()


def test_llm_engine_captures_no_less_from_the_opening_and_asks_no_more(
    report: Report, llm_run: LlmRun
) -> None:
    llm = llm_run.report
    print("\n" + llm.format() + "\n" + llm_run.format())
    print("\n" + side_by_side(report, llm))
    # The figures measure the model only if it answered every call, for every ask.
    assert llm_run.violations == ()
    assert llm_run.unread == (), "opening asks without model_reads"
    assert llm_run.fallbacks == (), "the assistant answered from rules or dropped values"
    assert llm_run.calls.get("ClassifyReply") == report.scenarios
    assert llm.from_opening_fraction >= report.from_opening_fraction, (
        f"the LLM engine captured {llm.from_opening}/{llm.known} fields from the opening ask, "
        f"the rules {report.from_opening}/{report.known}"
    )
    assert llm.mean_questions <= report.mean_questions + 1e-9, (
        f"the LLM engine asked {llm.mean_questions:.2f} questions on average, "
        f"the rules {report.mean_questions:.2f}"
    )
    for result in llm.results:
        assert result.questions_asked <= 8 + result.reasked, result.transcript


_WORD = re.compile(r"[a-z0-9]+(?:['.-][a-z0-9]+)*")
_URGENT = {"high": ("asap", "urgent", "soon", "immediately"), "critical": ("down", "outage")}


def test_model_readings_state_only_what_the_ask_says() -> None:
    """Each ``model_reads`` value is in the ask: a text's words are all the ask's words, a
    choice is named by its option or one of its keywords (at the start of a word: "alert" in
    "alerted"), a number's digits are written; urgency needs an urgent word."""
    templates = load_templates(None)
    for scenario in load_scenarios():
        reading = scenario.model_reads
        assert reading is not None, f"{scenario.id}: no model_reads"
        assert reading.request_type in templates.templates, scenario.id
        ask = scenario.ask.lower()
        words = set(_WORD.findall(ask))
        specs = extractable_fields(templates.get(reading.request_type))
        for name, values in reading.fields.items():
            where = f"{scenario.id}.model_reads.{name}"
            assert name in specs, f"{where}: not a field the model may fill"
            spec = specs[name]
            for value in values:
                if spec.type is AnswerType.CHOICE:
                    option = next((o for o in spec.options if o.value == value), None)
                    assert option is not None, f"{where}: {value!r} is not an option"
                    terms = [option.value.lower(), *option.keywords]
                    assert any(
                        re.search(rf"(?<![a-z0-9]){re.escape(term.lower())}", ask) for term in terms
                    ), f"{where}: the ask does not name {value!r}"
                elif spec.type is AnswerType.NUMBER:
                    assert re.sub(r"\D", "", value) in re.sub(r"\D", "", ask), where
                elif spec.type is AnswerType.DATE:
                    assert re.search(r"\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", ask)
                else:
                    extra = set(_WORD.findall(value.lower())) - words
                    assert not extra, f"{where}: {sorted(extra)} are not in the ask"
        if reading.urgency != "none":
            assert any(w in ask for w in _URGENT[reading.urgency]), scenario.id
        assert not reading.no_deadline or "deadline" in ask, scenario.id


def test_the_fake_model_reads_only_what_an_answer_states_plainly() -> None:
    fields = listed_fields(
        "Fields:\n"
        "- environment (Environments; choice, several allowed): production | staging | "
        "development\n- runtime (Runtime; choice): Python | Go | Other\n"
        "- deadline (Deadline; date)\n- impact (Impact; text)"
    )
    assert [f.name for f in fields] == ["environment", "runtime", "deadline", "impact"]
    assert read_answer("prod and staging, by Dec 18", fields, TODAY) == [
        {"name": "environment", "values": ["production", "staging"]},
        {"name": "deadline", "values": ["2026-12-18"]},
    ]
    said = "I'm on the rotation next week, other teams go first; the goal for Q1 depends on it"
    assert read_answer(said, fields, TODAY) == []
    assert read_answer("in Go, live on 2027-01-08", fields, TODAY) == [
        {"name": "runtime", "values": ["Go"]},
        {"name": "deadline", "values": ["2027-01-08"]},
    ]


# -- the simulated requester --------------------------------------------------------------------

TODAY = date(2026, 11, 23)


def scenario(**facts: tuple[str, ...]) -> Scenario:
    return Scenario(
        id="db",
        ask="we need a postgres db for billing",
        type="database",
        facts=facts,
        unknown=frozenset({"storage_gb"}),
        expect={"deadline": "2026-12-04", "environment": ["staging", "production"]},
        today=TODAY,
        timezone="Europe/Berlin",
    )


def test_answers_from_the_facts_retries_phrasings_and_skips_the_rest() -> None:
    sim = scenario(
        environment=("prod and staging",),
        deadline=("next sprint", "end of next week"),
        acceptance_criteria=("billing-api connects to it from staging",),
    )
    result = run_scenario(sim, rule_engine(), sim.now())
    assert result.chosen_type == "database" and result.type_ok
    assert result.from_opening == ()  # the facts name none of engine/services: asked for none
    assert "environment" in result.questions
    assert result.questions.count("deadline") == 2 and result.reasked == 1
    assert set(result.captured) == {"environment", "deadline", "acceptance_criteria"}
    assert result.wrong == ()
    assert "storage_gb" in result.questions  # asked, answered "not sure"
    assert any("> not sure" in line for line in result.transcript)
    assert result.ready


def test_a_choice_fact_that_is_an_option_is_a_click() -> None:
    sim = replace(scenario(environment=("staging",)), ask="we need a db for billing")
    result = run_scenario(sim, rule_engine(), sim.now())
    assert "  (clicks) staging" in result.transcript
    assert "environment" in result.captured and "environment" in result.wrong  # not production


def test_value_matches() -> None:
    ticket = Ticket(requester="U1", environment=["production", "staging"], no_deadline=True)
    ticket.fields = {"storage_gb": 199.0, "engine": "PostgreSQL", "signals": ["Alerts"]}
    assert value_matches(ticket, "environment", ["staging", "production"])
    assert not value_matches(ticket, "environment", ["production"])
    assert value_matches(ticket, "deadline", "none")
    assert value_matches(ticket, "storage_gb", 200)
    assert value_matches(ticket, "engine", "postgresql")
    assert value_matches(ticket, "signals", "Alerts")
    ticket.no_deadline, ticket.deadline = False, date(2026, 12, 4)
    assert value_matches(ticket, "deadline", date(2026, 12, 4))
    assert not value_matches(ticket, "deadline", "none")


def test_run_all_takes_any_engine() -> None:
    class EverythingIsOther(RuleAssistant):
        def classify(self, text: str, templates: TemplateSet) -> str:
            return "other"

    engine = IntakeEngine(load_templates(None), EverythingIsOther())
    scenarios = load_scenarios()[:3]
    report = run_all(engine, scenarios)
    assert report.scenarios == 3
    assert all(r.chosen_type == "other" for r in report.results)
    assert report.type_accuracy == 0.0
    assert report.regressions({"scenarios": 20})  # a baseline for another set: refused
