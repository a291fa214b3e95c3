"""A simulated requester: realistic vague asks run through an intake engine, with figures.

Each scenario in ``scenarios.yaml`` is an opening ask plus the facts the person knows. The
requester types the ask (``IntakeEngine.start``), then answers every ``Question`` from the
facts: the fact's words, or a click on the option when the fact is one of a choice question's
options; "not sure" for what they do not know, "skip" for anything else. When the bot did not
understand an answer and asks again, the next phrasing of the fact is tried, then "skip". The
run ends at the ``Draft``.

    report = run_all(IntakeEngine(load_templates(None), RuleAssistant()))
    print(report.format())

``run_all`` takes any ``IntakeEngine``, so the same scenarios measure an engine consulting an
LLM assistant: ``run_llm`` runs them through ``OpenAIAssistant`` talking, through the real
``openai`` client, to the fake OpenAI server (``tests/fakes/openai_api.py``) answered by the
scripted model of ``fake_model.py``, which reads each opening ask as its hand-labelled
``model_reads`` say and answers everything else from the request alone.

``python -m tests.scenarios.simulate`` prints both reports and the figures side by side
(``--engine rules`` or ``--engine llm`` for one); ``--write-baseline`` also records the rule
engine's figures in ``baseline.json``, which ``test_scenarios.py`` holds the rule engine to.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from intake.assistant import RuleAssistant
from intake.conversation import Conversation, Source
from intake.engine import IntakeEngine
from intake.llm import LlmConfig, LlmGateway, OpenAIAssistant
from intake.replies import Draft, Question, Reply
from intake.templates import load_templates
from intake.templates.model import AnswerType, FieldSpec
from intake.ticket import Ticket
from tests.fakes.openai_api import FAKE_MODEL, FakeOpenAI
from tests.scenarios.fake_model import ModelReading, ScenarioModel

HERE = Path(__file__).resolve().parent
SCENARIOS_FILE = HERE / "scenarios.yaml"
BASELINE_FILE = HERE / "baseline.json"

UNKNOWN_ANSWER = "not sure"  # a fact the person does not know
SKIP_ANSWER = "skip"  # anything else they were not going to say
MAX_TURNS = 40  # answers before a run is declared stuck (the engine asks at most 8 questions)
LOCAL_TIME = time(10, 0)  # when the scenarios happen, on ``today`` in the scenario timezone

# Figures the rule engine is held to: higher is better, except mean_questions.
CHECKED = ("type_accuracy", "captured_fraction", "correct_fraction", "ready", "mean_questions")
LOWER_IS_BETTER = frozenset({"mean_questions"})


class SimulationError(RuntimeError):
    """The engine replied with something a requester cannot answer (no question, no draft)."""


@dataclass(frozen=True)
class Scenario:
    """One vague ask and what its requester knows. ``facts`` maps a field name to the ways
    they would say it (tried in order); ``unknown`` holds the fields they do not know;
    ``expect`` what some fields should end up as (see ``value_matches``)."""

    id: str
    ask: str
    type: str
    facts: Mapping[str, tuple[str, ...]]
    unknown: frozenset[str] = frozenset()
    expect: Mapping[str, Any] = field(default_factory=dict)
    model_reads: ModelReading | None = None  # what the fake model reads in ``ask``
    today: date = date(2026, 11, 23)
    timezone: str = "UTC"
    requester: str = "U0REQ0001"

    @property
    def known(self) -> tuple[str, ...]:
        return tuple(self.facts)

    def now(self) -> datetime:
        return datetime.combine(self.today, LOCAL_TIME, tzinfo=ZoneInfo(self.timezone))


@dataclass(frozen=True)
class ScenarioResult:
    """What happened in one run. ``questions`` are the fields of the questions asked, in order
    (a question asked again after an answer was not understood counts again)."""

    id: str
    expected_type: str
    chosen_type: str
    questions: tuple[str, ...]
    reasked: int
    known: tuple[str, ...]
    captured: tuple[str, ...]
    wrong: tuple[str, ...]  # captured, but not with the value ``expect`` gives
    from_opening: tuple[str, ...]
    ready: bool
    missing: tuple[str, ...]  # readiness items the draft misses
    transcript: tuple[str, ...] = field(default=(), compare=False)

    @property
    def type_ok(self) -> bool:
        return self.chosen_type == self.expected_type

    @property
    def questions_asked(self) -> int:
        return len(self.questions)


@dataclass(frozen=True)
class Report:
    results: tuple[ScenarioResult, ...]

    @property
    def scenarios(self) -> int:
        return len(self.results)

    @property
    def type_accuracy(self) -> float:
        return _ratio(sum(r.type_ok for r in self.results), self.scenarios)

    @property
    def mean_questions(self) -> float:
        return _ratio(sum(r.questions_asked for r in self.results), self.scenarios)

    @property
    def known(self) -> int:
        return sum(len(r.known) for r in self.results)

    @property
    def captured(self) -> int:
        return sum(len(r.captured) for r in self.results)

    @property
    def captured_fraction(self) -> float:
        return _ratio(self.captured, self.known)

    @property
    def wrong(self) -> int:
        return sum(len(r.wrong) for r in self.results)

    @property
    def correct_fraction(self) -> float:
        """Fields captured with the right value (as far as ``expect`` says) over fields known."""
        return _ratio(self.captured - self.wrong, self.known)

    @property
    def from_opening(self) -> int:
        return sum(len(r.from_opening) for r in self.results)

    @property
    def from_opening_fraction(self) -> float:
        return _ratio(self.from_opening, self.known)

    @property
    def ready(self) -> int:
        return sum(r.ready for r in self.results)

    @property
    def reasked(self) -> int:
        return sum(r.reasked for r in self.results)

    def figures(self) -> dict[str, float | int]:
        """The totals, rounded as ``baseline.json`` keeps them."""
        return {
            "scenarios": self.scenarios,
            "type_accuracy": round(self.type_accuracy, 4),
            "mean_questions": round(self.mean_questions, 4),
            "fields_known": self.known,
            "fields_captured": self.captured,
            "captured_fraction": round(self.captured_fraction, 4),
            "wrong_values": self.wrong,
            "correct_fraction": round(self.correct_fraction, 4),
            "from_opening_fraction": round(self.from_opening_fraction, 4),
            "ready": self.ready,
            "reasked": self.reasked,
        }

    def regressions(self, baseline: Mapping[str, Any]) -> list[str]:
        """Each checked figure that is worse than ``baseline``'s, as a sentence."""
        current = self.figures()
        worse: list[str] = []
        if baseline.get("scenarios") != current["scenarios"]:
            worse.append(
                f"the baseline is for {baseline.get('scenarios')} scenarios, not "
                f"{current['scenarios']}: rerun `python -m tests.scenarios.simulate "
                "--write-baseline` after changing the set"
            )
            return worse
        for name in CHECKED:
            now, then = float(current[name]), float(baseline[name])
            if name in LOWER_IS_BETTER and now > then + 1e-9:
                worse.append(f"{name} rose from {then:g} to {now:g}")
            elif name not in LOWER_IS_BETTER and now < then - 1e-9:
                worse.append(f"{name} fell from {then:g} to {now:g}")
        return worse

    def format(self) -> str:
        """A small text table: one line per scenario, then the totals."""
        header = (
            f"{'scenario':<26} {'expected':<18} {'chosen':<18} {'Qs':>3} {'re':>3} "
            f"{'captured':>8} {'wrong':>5} {'opening':>7}  ready"
        )
        lines = [header, "-" * len(header)]
        for r in self.results:
            chosen = r.chosen_type if r.type_ok else f"{r.chosen_type} ✗"
            lines.append(
                f"{r.id:<26} {r.expected_type:<18} {chosen:<18} {r.questions_asked:>3} "
                f"{r.reasked:>3} {f'{len(r.captured)}/{len(r.known)}':>8} {len(r.wrong):>5} "
                f"{f'{len(r.from_opening)}/{len(r.known)}':>7}  {'yes' if r.ready else 'no'}"
            )
        lines.append("-" * len(header))
        lines += [f"{label:<20} {value}" for label, value in self.totals()]
        return "\n".join(lines)

    def totals(self) -> list[tuple[str, str]]:
        """The totals as (label, value) lines."""
        right = sum(r.type_ok for r in self.results)
        return [
            ("scenarios", f"{self.scenarios}"),
            ("type accuracy", f"{self.type_accuracy:.0%} ({right}/{self.scenarios})"),
            ("mean questions asked", f"{self.mean_questions:.2f} ({self.reasked} asked again)"),
            ("fields captured", f"{self.captured_fraction:.1%} ({self.captured}/{self.known})"),
            ("  with a wrong value", f"{self.wrong} (right: {self.correct_fraction:.1%})"),
            (
                "  from the opening",
                f"{self.from_opening_fraction:.1%} ({self.from_opening}/{self.known})",
            ),
            ("ready drafts", f"{self.ready}/{self.scenarios}"),
        ]


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


# -- loading ------------------------------------------------------------------------------------


def _phrasings(value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str | int | float | date) for item in items):
        raise ValueError(f"{where}: a fact is a text or a list of texts, not {value!r}")
    return tuple(str(item).strip() for item in items)  # a YAML date reads as "2027-01-08"


def load_scenarios(path: Path = SCENARIOS_FILE) -> list[Scenario]:
    data = yaml.safe_load(path.read_text())
    today = data["today"]
    if not isinstance(today, date):
        today = date.fromisoformat(str(today))
    timezone = str(data.get("timezone", "UTC"))
    requester = str(data.get("requester", "U0REQ0001"))
    scenarios: list[Scenario] = []
    for row in data["scenarios"]:
        facts: dict[str, tuple[str, ...]] = {}
        unknown: set[str] = set()
        for name, value in (row.get("facts") or {}).items():
            if value is None:
                unknown.add(name)
            else:
                facts[name] = _phrasings(value, f"{row['id']}.{name}")
        scenarios.append(
            Scenario(
                expect=dict(row.get("expect") or {}),
                model_reads=(
                    ModelReading.from_yaml(row["model_reads"], f"{row['id']}.model_reads")
                    if "model_reads" in row
                    else None
                ),
                id=row["id"],
                ask=" ".join(str(row["ask"]).split()),
                type=row["type"],
                facts=facts,
                unknown=frozenset(unknown),
                today=today,
                timezone=timezone,
                requester=requester,
            )
        )
    ids = [s.id for s in scenarios]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: scenario ids must be unique")
    return scenarios


# -- running ------------------------------------------------------------------------------------


def _captured(conversation: Conversation, scenario: Scenario) -> tuple[str, ...]:
    ticket = conversation.ticket
    return tuple(name for name in scenario.known if ticket.has(name))


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(actual == expected)
    if isinstance(expected, int | float):
        return isinstance(actual, int | float) and abs(actual - expected) <= 0.01 * abs(expected)
    return str(actual).strip().lower() == str(expected).strip().lower()


def value_matches(ticket: Ticket, name: str, expected: Any) -> bool:
    """Whether the ticket's ``name`` holds ``expected``: a date (or "none": an explicit no
    deadline) for the deadline, a number within 1%, a list in any order, else the same text
    ignoring case."""
    if name == "deadline":
        if str(expected).lower() == "none":
            return ticket.no_deadline and ticket.deadline is None
        return ticket.deadline == date.fromisoformat(str(expected))
    actual = ticket.get(name)
    if isinstance(expected, list) or isinstance(actual, list):
        wanted = expected if isinstance(expected, list) else [expected]
        given = actual if isinstance(actual, list) else [actual]
        return len(wanted) == len(given) and all(any(_same(a, w) for a in given) for w in wanted)
    return _same(actual, expected)


def _option(spec: FieldSpec, text: str) -> str | None:
    """The option a click picks when ``text`` is one of a choice question's options."""
    if spec.type is not AnswerType.CHOICE:
        return None
    for option in spec.options:
        if option.value.lower() == text.strip().lower():
            return option.value
    return None


def _answer(scenario: Scenario, spec: FieldSpec, attempt: int) -> str:
    phrasings = scenario.facts.get(spec.name, ())
    if attempt < len(phrasings):
        return phrasings[attempt]
    if spec.name in scenario.unknown and attempt == 0:
        return UNKNOWN_ANSWER
    return SKIP_ANSWER


def _last_question(replies: Sequence[Reply]) -> Question | None:
    questions = [reply for reply in replies if isinstance(reply, Question)]
    return questions[-1] if questions else None


_SPACE = re.compile(r"\s+")


def run_scenario(scenario: Scenario, engine: IntakeEngine, now: datetime) -> ScenarioResult:
    """Drive one intake from the opening ask to the draft, answering from the facts."""
    conversation, replies = engine.start(
        scenario.ask, scenario.requester, Source.CLI, scenario.timezone, now
    )
    from_opening = _captured(conversation, scenario)
    transcript = [f"> {scenario.ask}"]
    questions: list[str] = []
    attempts: dict[str, int] = {}
    reasked = 0
    for _ in range(MAX_TURNS):
        draft = next((reply for reply in replies if isinstance(reply, Draft)), None)
        if draft is not None:
            break
        question = _last_question(replies)
        if question is None:
            raise SimulationError(f"{scenario.id}: no question and no draft in {replies!r}")
        spec = question.spec
        questions.append(spec.name)
        reasked += bool(question.problem)
        attempt = attempts.get(spec.name, 0)
        attempts[spec.name] = attempt + 1
        text = _answer(scenario, spec, attempt)
        transcript.append(f"Q{question.number} [{spec.name}] {_SPACE.sub(' ', question.text)}")
        option = _option(spec, text)
        if option is not None:
            transcript.append(f"  (clicks) {option}")
            replies = engine.choose(conversation, spec.name, option, now)
        else:
            transcript.append(f"  > {text}")
            replies = engine.answer(conversation, text, now)
    else:
        raise SimulationError(f"{scenario.id}: no draft after {MAX_TURNS} answers")
    captured = _captured(conversation, scenario)
    wrong = tuple(
        name
        for name in captured
        if name in scenario.expect
        and not value_matches(conversation.ticket, name, scenario.expect[name])
    )
    for name in wrong:
        got = "no deadline" if name == "deadline" and conversation.ticket.no_deadline else None
        transcript.append(
            f"  ✗ {name} is {got or conversation.ticket.get(name)}, "
            f"expected {scenario.expect[name]}"
        )
    return ScenarioResult(
        id=scenario.id,
        expected_type=scenario.type,
        chosen_type=conversation.ticket.category,
        questions=tuple(questions),
        reasked=reasked,
        known=scenario.known,
        captured=captured,
        wrong=wrong,
        from_opening=from_opening,
        ready=draft.readiness.ready,
        missing=tuple(item.label for item in draft.readiness.missing),
        transcript=tuple(transcript),
    )


def run_all(engine: IntakeEngine, scenarios: Sequence[Scenario] | None = None) -> Report:
    """Every scenario (those of ``scenarios.yaml`` unless given) through ``engine``, each on
    its own ``today`` at 10:00 in its timezone."""
    chosen = load_scenarios() if scenarios is None else scenarios
    return Report(tuple(run_scenario(s, engine, s.now()) for s in chosen))


def rule_engine() -> IntakeEngine:
    return IntakeEngine(load_templates(None), RuleAssistant())


# -- the LLM engine -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LlmRun:
    """The scenarios through ``OpenAIAssistant`` and the fake model: the report, the requests
    the model answered (by schema), the warnings the assistant logged (each a fallback to the
    rules or a dropped value: none when the model answered well), the opening asks the model
    had no reading of, and what the fake server refused."""

    report: Report
    calls: Mapping[str, int]
    fallbacks: tuple[str, ...]
    unread: tuple[str, ...]
    violations: tuple[str, ...]

    def format(self) -> str:
        calls = ", ".join(f"{name} {count}" for name, count in sorted(self.calls.items()))
        lines = [
            f"model calls          {sum(self.calls.values())} ({calls})",
            f"fallbacks to rules   {len(self.fallbacks)}"
            + (f": {'; '.join(sorted(set(self.fallbacks)))}" if self.fallbacks else ""),
        ]
        if self.unread:
            lines.append(f"asks without a model reading: {len(self.unread)}")
        if self.violations:
            lines.append(f"fake server violations: {'; '.join(self.violations)}")
        return "\n".join(lines)


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def llm_engine(
    scenarios: Sequence[Scenario],
) -> Iterator[tuple[IntakeEngine, ScenarioModel, FakeOpenAI]]:
    """An engine consulting ``OpenAIAssistant``, whose gateway talks through the real ``openai``
    client to a fake OpenAI server on 127.0.0.1 answered by the scenarios' fake model. The
    budgets are set out of reach and retries off, so that every call is the model's or a
    counted fallback."""
    readings = {s.ask: s.model_reads for s in scenarios if s.model_reads is not None}
    model = ScenarioModel(readings)
    with FakeOpenAI() as fake:
        fake.responder = model
        config = LlmConfig(
            api_key="sk-scenarios-0000",
            base_url=fake.base_url,
            model=FAKE_MODEL,
            timeout_s=10.0,
            max_retries=0,
            per_ask_tokens=10**9,
            per_day_tokens=10**9,
        )
        engine = IntakeEngine(load_templates(None), OpenAIAssistant(LlmGateway(config)))
        yield engine, model, fake


def run_llm(scenarios: Sequence[Scenario] | None = None) -> LlmRun:
    """Every scenario through the LLM engine (``llm_engine``), with what the model did."""
    chosen = load_scenarios() if scenarios is None else scenarios
    warnings = _Warnings()
    logger = logging.getLogger("intake.llm")
    logger.addHandler(warnings)
    try:
        with llm_engine(chosen) as (engine, model, fake):
            report = run_all(engine, chosen)
            violations = tuple(fake.violations)
    finally:
        logger.removeHandler(warnings)
    return LlmRun(
        report=report,
        calls=dict(model.calls),
        fallbacks=tuple(warnings.messages),
        unread=tuple(model.unread),
        violations=violations,
    )


def side_by_side(rules: Report, llm: Report) -> str:
    """Per scenario and in total, the rule engine's figures next to the LLM engine's."""

    def cell(r: ScenarioResult) -> str:
        mark = "ok" if r.type_ok else "✗"
        return (
            f"{mark:>4} {r.questions_asked:>2} {f'{len(r.captured)}/{len(r.known)}':>5} "
            f"{len(r.wrong):>2} {f'{len(r.from_opening)}/{len(r.known)}':>5} "
            f"{'yes' if r.ready else 'no':>3}"
        )

    columns = f"{'type':>4} {'Qs':>2} {'capt':>5} {'wr':>2} {'open':>5} {'rdy':>3}"
    width = len(columns)
    header = f"{'scenario':<26} | {'rules':<{width}} | llm"
    lines = [header, f"{'':<26} | {columns} | {columns}"]
    lines.append("-" * len(lines[-1]))
    by_id = {r.id: r for r in llm.results}
    for r in rules.results:
        lines.append(f"{r.id:<26} | {cell(r)} | {cell(by_id[r.id])}")
    lines.append("-" * len(lines[1]))
    for (label, a), (_, b) in zip(rules.totals(), llm.totals(), strict=True):
        lines.append(f"{label:<26} | {a:<{width}} | {b}")
    return "\n".join(lines)


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_baseline(report: Report, path: Path = BASELINE_FILE) -> None:
    path.write_text(json.dumps(report.figures(), indent=2) + "\n")


def _print_transcripts(report: Report) -> None:
    for result in report.results:
        print(f"== {result.id} ({result.chosen_type})")
        print("\n".join(result.transcript))
        if result.missing:
            print(f"  draft misses: {', '.join(result.missing)}")
        print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.scenarios.simulate",
        description="Run the scenario set through the rule engine and the LLM engine (the "
        "OpenAI assistant against a fake OpenAI server and a scripted model) and print the "
        "figures.",
    )
    parser.add_argument(
        "--engine",
        choices=("rules", "llm", "both"),
        default="both",
        help="which engine to run (default: both, then the figures side by side)",
    )
    parser.add_argument(
        "--write-baseline",
        action="store_true",
        help=f"record the rule engine's figures in {BASELINE_FILE}",
    )
    parser.add_argument(
        "--transcripts", action="store_true", help="print each conversation as well"
    )
    args = parser.parse_args(argv)
    if args.write_baseline and args.engine == "llm":
        parser.error("--write-baseline records the rule engine: use --engine rules or both")
    rules = run_all(rule_engine()) if args.engine in ("rules", "both") else None
    llm = run_llm() if args.engine in ("llm", "both") else None
    if rules is not None:
        print("== the rule engine\n")
        if args.transcripts:
            _print_transcripts(rules)
        print(rules.format())
        if args.write_baseline:
            write_baseline(rules)
            print(f"\nwrote {BASELINE_FILE}")
        elif BASELINE_FILE.exists():
            worse = rules.regressions(load_baseline())
            print(
                "\nagainst the baseline: " + ("; ".join(worse) if worse else "no figure is worse")
            )
    if llm is not None:
        print("\n== the LLM engine (OpenAIAssistant, fake OpenAI server, scripted model)\n")
        if args.transcripts:
            _print_transcripts(llm.report)
        print(llm.report.format())
        print(llm.format())
    if rules is not None and llm is not None:
        print("\n== side by side\n")
        print(side_by_side(rules, llm.report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
