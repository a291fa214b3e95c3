"""The scenario suite over Slack, held to its baseline: the rule engine and the LLM path.

``baseline.json`` holds both engines' figures as ``benchmarks/scoping.py --write-baseline``
recorded them. A change that makes either engine complete fewer intakes, place fewer facts, ask
more questions (or more about what the opening said, or again after "don't know"), store "don't
know" as data, pick the wrong type more often, plan bad milestone dates or apply fewer
corrections fails here. When a change makes things better, rerun the benchmark with
``--write-baseline`` and commit the new figures. Run with ``pytest -s`` to see the reports.
"""

from __future__ import annotations

import re

import pytest

from intake.templates import load_templates
from intake.templates.model import AnswerType
from llm.validate import extractable_fields
from tests.scenarios.cast import TYPE_NAMES, load_scenarios
from tests.scenarios.engines import Suite, run_suite
from tests.scenarios.fake_model import listed_fields, read_answer
from tests.scenarios.report import BASELINE_FILE, format_totals, load_baseline
from tests.scenarios.score import ScenarioScore
from tests.scenarios.slack_run import Run

# The suites are shared by the module (its fixtures): one worker runs them once. Each suite takes
# ~10-30 s on an idle machine, minutes on a loaded one: more than the default 120 s timeout.
pytestmark = [pytest.mark.xdist_group("scenarios"), pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def rules() -> Suite:
    return run_suite("rules")


@pytest.fixture(scope="module")
def llm() -> Suite:
    return run_suite("llm")


def _held_to_baseline(suite: Suite) -> None:
    print(f"\n== {suite.engine}\n" + suite.report.format_scenarios())
    print(suite.report.format_fields() + "\n" + format_totals({suite.engine: suite.report}))
    worse = suite.report.regressions(load_baseline()[suite.engine])
    assert not worse, (
        f"The {suite.engine} engine does worse on the scenarios than its baseline: "
        + "; ".join(worse)
        + f". If that is intended, rewrite {BASELINE_FILE.name} with "
        "`python benchmarks/scoping.py --write-baseline` and say why in the commit."
    )


def test_the_rule_engine_is_no_worse_than_its_baseline(rules: Suite) -> None:
    assert rules.violations == []
    _held_to_baseline(rules)


def test_the_llm_path_is_no_worse_than_its_baseline(llm: Suite) -> None:
    # The figures measure the model only if it answered every call, for every ask.
    assert llm.violations == []
    assert llm.unread == [], "opening asks the fake model has no reading of"
    assert llm.fallbacks == [], "the assistant answered from rules or dropped values"
    assert llm.model_calls.get("ClassifyReply") == llm.report.figures()["scenarios"]
    _held_to_baseline(llm)


def _one(engine: str, scenario_id: str) -> tuple[Run, ScenarioScore]:
    """One scenario on its own, as an ordinary test (fast: no other scenario runs)."""
    suite = run_suite(engine, [s for s in load_scenarios() if s.id == scenario_id])
    assert suite.violations == []
    return suite.runs[0], suite.report.scores[0]


def test_a_database_ask_over_slack_clicks_types_corrects_and_submits() -> None:
    run, scored = _one("rules", "db-for-billing")
    assert scored.completed and run.ticket["status"] == "submitted"
    assert scored.chosen_type == "database"
    transcript = "\n".join(scored.transcript)
    assert "> (clicks) PostgreSQL" in transcript  # a button whose label is what they'd pick
    assert "> prod and staging" in transcript  # typed where buttons take one choice
    assert run.ticket["environment"] == ["production", "staging"]
    assert run.ticket["fields"]["engine"] == "PostgreSQL"
    assert run.ticket["services"] == ["billing-api"], "the correction after the draft"
    assert all(fact.right for fact in scored.facts), transcript


def test_a_public_access_ask_by_slash_command_is_submitted_as_access() -> None:
    run, scored = _one("llm", "jenkins-vpn-security-team")
    assert run.scenario.via == "slash" and run.scenario.source.startswith("https://")
    assert scored.completed, "\n".join(scored.transcript)
    assert scored.type_ok and run.ticket["category"] == "access_request"
    assert run.ticket["deadline"] == "2026-11-30"


# -- the scenario set ---------------------------------------------------------------------------


def test_the_scenarios_cover_every_type_and_cite_public_sources() -> None:
    scenarios = load_scenarios()
    templates = load_templates(None)
    assert len(scenarios) >= 35
    public = [s for s in scenarios if s.source != "synthetic"]
    assert len(public) >= 15 and all(s.source.startswith(("https://", "http://")) for s in public)
    assert {s.type for s in scenarios} == set(templates.templates)
    assert {t: templates.get(t).name for t in templates.templates} == TYPE_NAMES
    assert len({s.user for s in scenarios}) == len(scenarios)
    for scenario in scenarios:
        names = {spec.name for spec in templates.get(scenario.type).fields}
        placed = {f.field for f in scenario.facts} | {c.field for c in scenario.corrections}
        assert placed <= names, f"{scenario.id}: facts for {placed - names}, no field of its type"
        assert all(f.fact.say and f.fact.cues for f in scenario.facts), scenario.id


_WORD = re.compile(r"[a-z0-9]+(?:['.-][a-z0-9]+)*")
_URGENT = {"high": ("asap", "urgent", "soon", "immediately"), "critical": ("down", "outage")}


def test_model_readings_state_only_what_the_ask_says() -> None:
    """Each ``model_reads`` value is in the ask: a text's words are all the ask's words, a
    choice is named by its option or one of its keywords, a number's digits are written;
    urgency needs an urgent word."""
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
    from datetime import date

    fields = listed_fields(
        "Fields:\n"
        "- environment (Environments; choice, several allowed): production | staging | "
        "development\n- runtime (Runtime; choice): Python | Go | Other\n"
        "- deadline (Deadline; date)\n- impact (Impact; text)"
    )
    today = date(2026, 11, 23)
    assert [f.name for f in fields] == ["environment", "runtime", "deadline", "impact"]
    assert read_answer("prod and staging, by Dec 18", fields, today) == [
        {"name": "environment", "values": ["production", "staging"]},
        {"name": "deadline", "values": ["2026-12-18"]},
    ]
    said = "I'm on the rotation next week, other teams go first; the goal for Q1 depends on it"
    assert read_answer(said, fields, today) == []
