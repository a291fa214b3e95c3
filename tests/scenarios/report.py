"""The figures of a suite run, the issue's targets, tables, and the baseline check."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.scenarios.score import ScenarioScore

BASELINE_FILE = Path(__file__).resolve().parent / "baseline.json"
# figure -> (target, higher is better); the targets of issue 16.
TARGETS: dict[str, tuple[float, bool]] = {
    "completion": (1.0, True),
    "right_field": (0.75, True),
    "anywhere": (0.90, True),
    "mean_questions": (6.0, False),
    "opening_questions": (0, False),
    "repeats_after_dont_know": (0, False),
    "dont_know_stored": (0, False),
    "type_right": (0.90, True),
    "bad_milestone_plans": (0, False),
}
# Also held to the baseline (no target in the issue).
TRACKED: dict[str, bool] = {"corrections_applied": True, "reasked": False}


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class Report:
    scores: tuple[ScenarioScore, ...]

    def figures(self) -> dict[str, float | int]:
        s = self.scores
        facts = [f for r in s for f in r.facts]
        corrected = [f for f in facts if f.corrected]
        return {
            "scenarios": len(s),
            "completion": round(_ratio(sum(r.completed for r in s), len(s)), 4),
            "facts": len(facts),
            "right_field": round(_ratio(sum(f.right for f in facts), len(facts)), 4),
            "anywhere": round(_ratio(sum(f.anywhere for f in facts), len(facts)), 4),
            "mean_questions": round(_ratio(sum(r.questions for r in s), len(s)), 4),
            "opening_questions": sum(r.opening_questions for r in s),
            "repeats_after_dont_know": sum(r.repeats_after_dont_know for r in s),
            "reasked": sum(r.reasked for r in s),
            "dont_know_stored": sum(bool(r.dont_knows_stored) for r in s),
            "type_right": round(_ratio(sum(r.type_ok for r in s), len(s)), 4),
            "bad_milestone_plans": sum(r.bad_plan for r in s),
            "corrections_applied": sum(f.right for f in corrected),
            "corrections": len(corrected),
        }

    def regressions(self, baseline: Mapping[str, Any]) -> list[str]:
        """Each figure worse than ``baseline``'s, as a sentence."""
        now = self.figures()
        if baseline.get("scenarios") != now["scenarios"]:
            return [
                f"the baseline is for {baseline.get('scenarios')} scenarios, not "
                f"{now['scenarios']}: rerun `python benchmarks/scoping.py --write-baseline`"
            ]
        worse = []
        checked = {name: higher for name, (_, higher) in TARGETS.items()} | TRACKED
        for name, higher in checked.items():
            current, then = float(now[name]), float(baseline[name])
            if (higher and current < then - 1e-9) or (not higher and current > then + 1e-9):
                worse.append(f"{name} went from {then:g} to {current:g}")
        return worse

    def per_field(self) -> list[tuple[str, int, int, int]]:
        """(field, facts, in the right field, anywhere in the ticket), most facts first."""
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r in self.scores:
            for f in r.facts:
                row = table[f.field]
                row[0] += 1
                row[1] += f.right
                row[2] += f.anywhere
        rows = [(name, n, right, found) for name, (n, right, found) in table.items()]
        return sorted(rows, key=lambda row: (-row[1], row[0]))

    def format_fields(self) -> str:
        lines = [f"{'field':<22} {'facts':>5} {'right field':>13} {'anywhere':>13}"]
        lines.append("-" * len(lines[0]))
        for name, n, right, found in self.per_field():
            lines.append(
                f"{name:<22} {n:>5} {f'{right} ({_ratio(right, n):.0%})':>13} "
                f"{f'{found} ({_ratio(found, n):.0%})':>13}"
            )
        return "\n".join(lines)

    def format_scenarios(self) -> str:
        header = (
            f"{'scenario':<30} {'type':<20} {'Qs':>3} {'open':>4} {'rep':>3} {'right':>6} "
            f"{'any':>6} {'dk':>2} {'plan':>4} done"
        )
        lines = [header, "-" * len(header)]
        for r in self.scores:
            kind = r.chosen_type if r.type_ok else f"{r.chosen_type} ✗"
            n = len(r.facts)
            lines.append(
                f"{r.id:<30} {kind[:20]:<20} {r.questions:>3} {r.opening_questions:>4} "
                f"{r.repeats_after_dont_know:>3} {f'{r.right}/{n}':>6} {f'{r.found}/{n}':>6} "
                f"{len(r.dont_knows_stored):>2} {'bad' if r.bad_plan else 'ok':>4} "
                f"{'yes' if r.completed else 'NO'}"
            )
        return "\n".join(lines)


def format_totals(reports: Mapping[str, Report]) -> str:
    """The totals of each engine's report against the issue's targets, side by side."""
    names = list(reports)
    figures = {name: report.figures() for name, report in reports.items()}
    lines = [f"{'figure':<24} {'target':>7} " + " ".join(f"{n:>13}" for n in names)]
    lines.append("-" * len(lines[0]))
    for key, (target, higher) in TARGETS.items():
        shown_target = (">=" if higher else "<=") + _show(key, target)
        cells = []
        for name in names:
            value = figures[name][key]
            ok = value >= target - 1e-9 if higher else value <= target + 1e-9
            cells.append(f"{_show(key, value) + ('' if ok else ' ✗'):>13}")
        lines.append(f"{key:<24} {shown_target:>7} " + " ".join(cells))
    for key in ("reasked", "corrections_applied", "facts", "scenarios"):
        shown = [_show(key, figures[n][key]) for n in names]
        if key == "corrections_applied":
            shown = [f"{figures[n][key]}/{figures[n]['corrections']}" for n in names]
        cells = [f"{cell:>13}" for cell in shown]
        lines.append(f"{key:<24} {'':>7} " + " ".join(cells))
    return "\n".join(lines)


def _show(key: str, value: float) -> str:
    if key in ("completion", "right_field", "anywhere", "type_right"):
        return f"{value:.0%}"
    if key == "mean_questions":
        return f"{value:.2f}"
    return f"{value:g}"


def failures(scores: Sequence[ScenarioScore]) -> list[str]:
    """One line per thing that went wrong, per scenario (for reading the transcripts)."""
    lines = []
    for r in scores:
        problems = [f"{f.field} not in its field" for f in r.facts if not f.right]
        if not r.completed:
            problems.insert(0, "not submitted")
        if not r.type_ok:
            problems.append(f"type {r.chosen_type}, not {r.expected_type}")
        if r.dont_knows_stored:
            problems.append(f"stored {', '.join(r.dont_knows_stored)!r} as data")
        if r.bad_plan:
            problems.append(f"milestone dates {r.bad_dates}")
        if problems:
            lines.append(f"{r.id}: " + "; ".join(problems))
    return lines


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, dict[str, float]]:
    """Each engine's figures as ``benchmarks/scoping.py --write-baseline`` recorded them."""
    data: dict[str, dict[str, float]] = json.loads(path.read_text())
    return data


def write_baseline(reports: Mapping[str, Report], path: Path = BASELINE_FILE) -> None:
    data = {engine: report.figures() for engine, report in reports.items()}
    path.write_text(json.dumps(data, indent=2) + "\n")
