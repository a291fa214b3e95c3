"""Scoring a run after it ended: the transcript the requester saw and the stored ticket (its
export), against what the scenario says the person knew and where it belongs.

Per scenario: completion (a draft reached and submitted), each fact in its right field or
anywhere in the ticket, the questions asked (every question message the person answered,
re-asks included), questions about what the opening already said, questions repeated right
after a "don't know", "don't know" phrases stored as ticket data, the request type, and the
milestone plan's bad dates (due today or earlier, after the deadline, two on one day).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from intake.templates.field_specs import ASKABLE_CORE_FIELDS
from tests.scenarios.cast import Scenario
from tests.scenarios.slack_run import Run

# Ticket parts that hold the requester's data (not the engine's prose: problem, risks, rationale).
DATA_PARTS: tuple[str, ...] = ("title", "impact", "desired_outcome", "acceptance_criteria")
DATA_PARTS += ("out_of_scope", "services", "environment", "fields", "links")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_QUESTION_NUMBER = re.compile(r"Question (\d+)")


def field_value(ticket: dict[str, Any], name: str) -> Any:
    if name in ASKABLE_CORE_FIELDS:  # a ticket part of its own; the others are in "fields"
        if name == "deadline" and ticket.get("no_deadline") and not ticket.get("deadline"):
            return "none"
        return ticket.get(name)
    return (ticket.get("fields") or {}).get(name)


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return " ; ".join(_plain(v) for v in value)
    return "" if value is None else str(value)


def _term(term: str) -> str:
    return re.sub(r"<@(\w+)>", r"\1", term).lower()


def holds(value: Any, find: tuple[str, ...]) -> bool:
    """Whether ``value`` holds everything ``find`` asks for (see cast.py)."""
    if value is None or value == [] or value == "":
        return False
    if len(find) == 1 and all(_DATE.match(d) or d == "none" for d in find[0].split("|")):
        return str(value) in find[0].split("|")
    if len(find) == 1 and _NUMBER.match(find[0]) and isinstance(value, int | float):
        wanted = float(find[0])
        return abs(float(value) - wanted) <= 0.01 * abs(wanted)
    text = _plain(value).lower()
    return all(any(_term(alt) in text for alt in term.split("|")) for term in find)


def _blob(ticket: dict[str, Any], *, milestones: bool = True) -> str:
    skip = {"requester", "history", "llm_usage", "status", "id", "created_at", "submitted_at"}
    if not milestones:
        skip.add("milestones")
    return json.dumps({k: v for k, v in ticket.items() if k not in skip}, ensure_ascii=False)


def anywhere(ticket: dict[str, Any], name: str, find: tuple[str, ...]) -> bool:
    """Whether the ticket holds it somewhere (for a date: not just as a milestone's due)."""
    if holds(field_value(ticket, name), find):
        return True
    if len(find) == 1 and find[0] == "none":
        return bool(ticket.get("no_deadline"))
    dated = len(find) == 1 and all(_DATE.match(d) for d in find[0].split("|"))
    blob = _blob(ticket, milestones=not dated).lower()
    return all(any(_term(alt) in blob for alt in term.split("|")) for term in find)


def _said(phrase: str, text: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None


def stored_dont_knows(ticket: dict[str, Any], said: set[str]) -> list[str]:
    """The "don't know" phrases the person said that the ticket holds as data."""
    parts = {name: ticket.get(name) for name in DATA_PARTS}
    parts["milestones"] = [
        [m.get("title"), m.get("done_criterion")] for m in ticket.get("milestones") or []
    ]
    text = json.dumps(parts, ensure_ascii=False).lower()
    return sorted(phrase for phrase in said if _said(phrase.lower(), text))


def bad_dates(ticket: dict[str, Any], today: date) -> dict[str, int]:
    """Milestones due today or earlier, after the deadline, and on a day another one has."""
    dues = [date.fromisoformat(m["due"]) for m in ticket.get("milestones") or [] if m.get("due")]
    deadline = date.fromisoformat(ticket["deadline"]) if ticket.get("deadline") else None
    return {
        "due_today_or_earlier": sum(due <= today for due in dues),
        "after_deadline": sum(deadline is not None and due > deadline for due in dues),
        "same_day": len(dues) - len(set(dues)),
    }


@dataclass(frozen=True)
class FactScore:
    field: str
    right: bool
    anywhere: bool
    corrected: bool  # the scenario corrects it after the draft


@dataclass(frozen=True)
class ScenarioScore:
    id: str
    source: str
    expected_type: str
    chosen_type: str
    completed: bool
    facts: tuple[FactScore, ...]
    questions: int
    opening_questions: int
    reasked: int
    repeats_after_dont_know: int
    dont_knows_stored: tuple[str, ...]
    bad_dates: dict[str, int]
    milestones: int
    transcript: tuple[str, ...]

    @property
    def type_ok(self) -> bool:
        return self.chosen_type == self.expected_type

    @property
    def right(self) -> int:
        return sum(f.right for f in self.facts)

    @property
    def found(self) -> int:
        return sum(f.anywhere for f in self.facts)

    @property
    def bad_plan(self) -> bool:
        return any(self.bad_dates.values())


def _same_question(a: tuple[str, str], b: tuple[str, str]) -> bool:
    (line_a, seen_a), (line_b, seen_b) = a, b
    if line_a == line_b:
        return True
    num_a, num_b = _QUESTION_NUMBER.search(seen_a), _QUESTION_NUMBER.search(seen_b)
    return num_a is not None and num_b is not None and num_a.group(1) == num_b.group(1)


def score(run: Run) -> ScenarioScore:
    scenario: Scenario = run.scenario
    ticket = run.ticket
    wanted = scenario.expected()
    corrected = {c.field for c in scenario.corrections}
    facts = []
    for fact in scenario.facts:
        find = wanted[fact.field]
        facts.append(
            FactScore(
                fact.field,
                holds(field_value(ticket, fact.field), find),
                anywhere(ticket, fact.field, find),
                fact.field in corrected,
            )
        )
    opening = scenario.opening_facts()
    asked = [t for t in run.turns if t.action.question]
    questions, opening_q, reasked, repeats = 0, 0, 0, 0
    previous = None
    for turn in run.turns:
        if not turn.action.question:
            previous = None
            continue
        questions += 1
        current = (turn.action.question, turn.seen)
        again = previous is not None and _same_question(previous[0], current)
        reasked += again
        repeats += again and previous is not None and previous[1]
        opening_q += (not again) and turn.action.fact in opening
        previous = (current, turn.action.dont_know)
    said = {t.action.text for t in asked if t.action.dont_know}
    return ScenarioScore(
        id=scenario.id,
        source=scenario.source,
        expected_type=scenario.type,
        chosen_type=str(ticket.get("category", "—")),
        completed=run.submitted and run.draft_seen,
        facts=tuple(facts),
        questions=questions,
        opening_questions=opening_q,
        reasked=reasked,
        repeats_after_dont_know=repeats,
        dont_knows_stored=tuple(stored_dont_knows(ticket, said)),
        bad_dates=bad_dates(ticket, scenario.today),
        milestones=len(ticket.get("milestones") or []),
        transcript=tuple(run.transcript()),
    )
