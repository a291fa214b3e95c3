"""The scenarios: who asks what, what they know, and (for the scorer only) where it belongs.

Each scenario file (``synthetic.yaml``, ``public.yaml``) holds asks as their requesters would
type them in Slack, and per fact:

* ``cues``: the words a person would recognise a question about it by, as a list of words
  and/or topic names from ``cues.yaml`` ("when" -> "by when", "deadline", ...);
* ``say``: the ways they would say it (a text or a list, tried in order when not understood);
  ``picks``: button labels they would click for it; ``also``: the field of a fact they would
  mention in the same message (an over-answer); ``opening``: true when the ask already says it;
* ``field`` and ``find``: where it belongs and what that field must hold - for the scorer only.
  ``find`` is a text or a list of texts that must all be in the field ("a|b": either), a date
  (YYYY-MM-DD, or "none" for an explicit no deadline), or a number (within 1%).

``corrections`` are typed after the draft (``say``), and change what ``field`` must end up
holding (``find``). ``{me}`` in a text is the requester's Slack mention.

``Scenario.person_facts()`` is all the requester's side sees: ``person.Fact``s without fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from tests.scenarios.fake_model import ModelReading
from tests.scenarios.person import Fact

HERE = Path(__file__).resolve().parent
SCENARIO_FILES = (HERE / "synthetic.yaml", HERE / "public.yaml")
CUES_FILE = HERE / "cues.yaml"  # topic -> the words a person recognises a question by
TYPE_FIELD = "_type"  # the implicit fact of which kind of request it is (not scored as a fact)

# What a person calls each kind of request, as the bot's type buttons would label it
# (test_scenarios.py checks these against the templates' names).
TYPE_NAMES = {
    "access_request": "Access request",
    "ci_cd": "CI/CD",
    "compute_capacity": "Compute capacity",
    "cost": "Cost",
    "database": "Database",
    "incident_follow_up": "Incident follow-up",
    "networking": "Networking",
    "new_service": "New service",
    "observability": "Observability",
    "other": "Other",
}
TYPE_CUES = ("request type", "type of request", "kind of request", "closer", "which type")


@dataclass(frozen=True)
class ScoredFact:
    """One fact with what the scorer knows of it."""

    field: str
    find: tuple[str, ...]  # what the field must hold (see the module docstring)
    fact: Fact
    opening: bool = False  # the ask already says it


@dataclass(frozen=True)
class Correction:
    say: str
    field: str
    find: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    id: str
    type: str
    ask: str
    source: str  # "synthetic", or the URL of the public request it is taken from
    facts: tuple[ScoredFact, ...]
    corrections: tuple[Correction, ...]
    user: str  # the requester's Slack user ID
    via: str = "dm"  # how the ask starts: "dm" or "slash" (/intake <ask>)
    model_reads: ModelReading | None = None
    today: date = date(2026, 11, 23)
    timezone: str = "Europe/Berlin"

    def person_facts(self) -> tuple[Fact, ...]:
        """What the requester knows, without where it belongs: the facts, then the kind of
        request (for a bot that asks which of two types it is)."""
        kind = Fact(
            cues=TYPE_CUES, say=(self.ask,), picks=(TYPE_NAMES[self.type],), volunteers=False
        )
        return (*(f.fact for f in self.facts), kind)

    def opening_facts(self) -> set[int]:
        return {i for i, f in enumerate(self.facts) if f.opening}

    def expected(self) -> dict[str, tuple[str, ...]]:
        """What each field must hold at the end: the facts', as corrected."""
        wanted = {f.field: f.find for f in self.facts}
        wanted.update({c.field: c.find for c in self.corrections})
        return wanted


def _texts(value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str | int | float | date) for i in items):
        raise ValueError(f"{where}: expected a text or a list of texts, not {value!r}")
    return tuple(str(i).strip() for i in items)


def _cues(value: Any, table: Mapping[str, Sequence[str]], where: str) -> tuple[str, ...]:
    words: list[str] = []
    for item in _texts(value, where):
        words += table.get(item, [item])
    return tuple(dict.fromkeys(w.lower() for w in words))


def _me(text: str, user: str) -> str:
    return text.replace("{me}", f"<@{user}>")


def _scenario(row: dict[str, Any], number: int, table: Mapping[str, Sequence[str]]) -> Scenario:
    sid = str(row["id"])
    user = f"U0SC{number:03d}"
    rows = row.get("facts") or []
    fields = [str(f["field"]) for f in rows]
    if len(fields) != len(set(fields)):
        raise ValueError(f"{sid}: one fact per field")
    facts = []
    for f in rows:
        where = f"{sid}.{f['field']}"
        also = f.get("also")
        fact = Fact(
            cues=_cues(f["cues"], table, where),
            say=tuple(_me(s, user) for s in _texts(f["say"], where)),
            picks=_texts(f["picks"], where) if "picks" in f else (),
            also=fields.index(str(also)) if also is not None else None,
        )
        find = tuple(_me(s, user) for s in _texts(f["find"], where))
        facts.append(ScoredFact(str(f["field"]), find, fact, bool(f.get("opening", False))))
    corrections = tuple(
        Correction(_me(str(c["say"]), user), str(c["field"]), _texts(c["find"], sid))
        for c in row.get("corrections") or []
    )
    reads = row.get("model_reads")
    return Scenario(
        id=sid,
        type=str(row["type"]),
        ask=" ".join(str(row["ask"]).split()),
        source=str(row["source"]),
        facts=tuple(facts),
        corrections=corrections,
        user=user,
        via=str(row.get("via", "dm")),
        model_reads=ModelReading.from_yaml(reads, f"{sid}.model_reads") if reads else None,
    )


def load_scenarios(paths: Sequence[Path] = SCENARIO_FILES) -> list[Scenario]:
    topics = yaml.safe_load(CUES_FILE.read_text())
    table = {str(k): [str(w) for w in v] for k, v in topics.items()}
    scenarios: list[Scenario] = []
    for path in paths:
        data = yaml.safe_load(path.read_text())
        for row in data["scenarios"]:
            scenarios.append(_scenario(row, len(scenarios) + 1, table))
    ids = [s.id for s in scenarios]
    if len(ids) != len(set(ids)):
        raise ValueError("scenario ids must be unique")
    return scenarios
