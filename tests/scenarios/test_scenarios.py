"""The scenario set: realistic vague asks through the rule engine, held to its baseline.

``baseline.json`` holds the rule engine's figures as they were when the scenario set landed
(``python -m tests.scenarios.simulate --write-baseline``). A change that makes the rule engine
capture fewer fields, capture them wrong, pick the wrong request type more often, leave more
drafts not ready, or ask more questions fails here. Run with ``pytest -s`` to see the report.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from intake.assistant import RuleAssistant
from intake.engine import IntakeEngine
from intake.templates import load_templates
from intake.templates.model import TemplateSet
from intake.ticket import Ticket
from tests.scenarios.simulate import (
    BASELINE_FILE,
    Report,
    Scenario,
    load_baseline,
    load_scenarios,
    rule_engine,
    run_all,
    run_scenario,
    value_matches,
)


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
