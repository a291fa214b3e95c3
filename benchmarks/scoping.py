"""How well the intake scopes asks, measured from outside through Slack (issue 16).

    .venv/bin/python benchmarks/scoping.py [--engine rules|llm|both] [--scenario ID ...]
        [--transcripts] [--markdown] [--write-baseline]

Runs every scenario of tests/scenarios (synthetic asks, and asks taken from public
infrastructure trackers, each citing its source) through the real Bolt app over signed HTTP,
with the fake Slack Web API and SQLite: once with the rule engine, once with the LLM path
(``OpenAIAssistant`` through the real ``openai`` client against the fake OpenAI server and the
scripted model of tests/scenarios/fake_model.py). The simulated requester (tests/scenarios/
person.py) reads only the rendered text and buttons of the bot's messages and answers from what
the person knows; the scorer then reads the stored ticket.

Prints, per engine, a line per scenario, the per-field placement table and what went wrong, then
the totals of both engines against the issue's targets. ``--write-baseline`` records both
engines' figures in tests/scenarios/baseline.json, which tests/scenarios/test_scenarios.py holds
the engines to. ``--markdown`` prints the totals as the table of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.scenarios.cast import load_scenarios  # noqa: E402
from tests.scenarios.engines import ENGINES, Suite, run_suite  # noqa: E402
from tests.scenarios.report import (  # noqa: E402
    BASELINE_FILE,
    TARGETS,
    Report,
    failures,
    format_totals,
    load_baseline,
    write_baseline,
)


def columns(suites: Sequence[Suite]) -> dict[str, Report]:
    """Each engine's report, and its synthetic and public scenarios' apart."""
    shown: dict[str, Report] = {}
    for suite in suites:
        scores = suite.report.scores
        shown[suite.engine] = suite.report
        shown[f"{suite.engine} synth."] = Report(
            tuple(r for r in scores if r.source == "synthetic")
        )
        shown[f"{suite.engine} public"] = Report(
            tuple(r for r in scores if r.source != "synthetic")
        )
    return shown


def markdown(reports: Mapping[str, Report]) -> str:
    """The totals as a Markdown table (one column per report)."""
    figures = {name: report.figures() for name, report in reports.items()}
    head = "| figure | target | " + " | ".join(figures) + " |"
    lines = [head, "|---|---|" + "---|" * len(figures)]
    for key, (target, higher) in TARGETS.items():
        shown = [_cell(key, f[key]) for f in figures.values()]
        aim = (">= " if higher else "<= ") + _cell(key, target)
        lines.append(f"| {key.replace('_', ' ')} | {aim} | " + " | ".join(shown) + " |")
    applied = [f"{f['corrections_applied']}/{f['corrections']}" for f in figures.values()]
    lines.append("| corrections applied | | " + " | ".join(applied) + " |")
    counts = [f"{f['scenarios']} / {f['facts']}" for f in figures.values()]
    lines.append("| scenarios / facts | | " + " | ".join(counts) + " |")
    return "\n".join(lines)


def _cell(key: str, value: float) -> str:
    if key in ("completion", "right_field", "anywhere", "type_right"):
        return f"{value:.0%}"
    return f"{value:.2f}" if key == "mean_questions" else f"{value:g}"


def print_suite(suite: Suite, *, transcripts: bool) -> None:
    report = suite.report
    print(f"\n== {suite.engine}\n")
    if transcripts:
        for result in report.scores:
            print(f"-- {result.id} ({result.source})")
            print("\n".join(result.transcript) + "\n")
    print(report.format_scenarios() + "\n")
    print(report.format_fields() + "\n")
    print("\n".join(failures(report.scores)) or "nothing went wrong")
    if suite.engine == "llm":
        calls = ", ".join(f"{k} {v}" for k, v in sorted(suite.model_calls.items()))
        print(f"\nmodel calls: {sum(suite.model_calls.values())} ({calls})")
        print(
            f"fallbacks to rules: {len(suite.fallbacks)}; asks the model had no reading of: "
            f"{len(suite.unread)}"
        )
    if suite.violations:
        print(f"fake server violations: {'; '.join(suite.violations)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/scoping.py", description=__doc__)
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="both")
    parser.add_argument("--scenario", action="append", default=[], help="run only these ids")
    parser.add_argument("--transcripts", action="store_true", help="print every conversation")
    parser.add_argument("--markdown", action="store_true", help="print the README table too")
    parser.add_argument(
        "--write-baseline", action="store_true", help=f"record the figures in {BASELINE_FILE}"
    )
    args = parser.parse_args(argv)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    scenarios = load_scenarios()
    if args.scenario:
        scenarios = [s for s in scenarios if s.id in args.scenario]
    if args.write_baseline and (len(engines) != len(ENGINES) or args.scenario):
        parser.error("--write-baseline runs every scenario through both engines")
    suites = []
    for engine in engines:
        started = time.monotonic()
        suite = run_suite(engine, scenarios)
        print_suite(suite, transcripts=args.transcripts)
        print(f"({len(scenarios)} scenarios in {time.monotonic() - started:.1f} s)")
        suites.append(suite)
    print("\n== totals against the targets of issue 16\n")
    print(format_totals(columns(suites)))
    if args.markdown:
        print("\n" + markdown(columns(suites)))
    if args.write_baseline:
        write_baseline({s.engine: s.report for s in suites})
        print(f"\nwrote {BASELINE_FILE}")
    elif BASELINE_FILE.exists() and not args.scenario:
        baseline = load_baseline()
        for suite in suites:
            worse = suite.report.regressions(baseline.get(suite.engine, {}))
            print(f"\n{suite.engine} against the baseline: " + ("; ".join(worse) or "no worse"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
