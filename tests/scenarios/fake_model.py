"""Over 400 lines: one scripted model; its request reader, answer reader and draft writer are
the private steps of its one responder (ScenarioModel), used together and nowhere else.

A scripted "model" for the scenario set: answers the assistant's structured-output requests
(``llm/schemas.py``) on the fake OpenAI server the way a careful model would, from the
request alone.

    model = ScenarioModel({scenario.ask: scenario.model_reads, ...})
    fake_openai.responder = model

What it may use, and nothing else:

* the request body: the delimited requester text (``<ask>``, ``<thread>``), the fields and
  options listed in the prompt, today's date, the deadline, the usual milestones and size, and
  the ``<draft>`` block;
* a hand-labelled ``ModelReading`` of each scenario's opening ask (``model_reads`` in
  ``scenarios.yaml``): the request type and the fields a careful reader takes from that text
  alone. It stands in for the model's understanding of the words, and may only hold what the
  words state (``test_scenarios.py`` checks each value against the ask's words).

How it answers each purpose:

* ``ClassifyReply``: the reading's type; "other" for a text it has no reading of.
* ``ExtractionReply``: for an opening ask, the reading (only the fields the prompt lists). For
  any other text (an answer to a question) only what it states plainly: an option of a listed
  choice field named in it ("prod" and "stg" for environments, as any reader knows them; never
  "other", and two-letter options like "Go" only as written) and explicit dates ("Dec 12",
  "2027-01-08"). Relative words ("next week", "for Q1") are not deadlines to it.
* ``NextFieldReply``: the candidates in the listed order, except that the deadline is asked
  before the impact (the prompt does not say which fields are required, so it cannot put them
  first).
* ``QuestionReply``: the default question, made to end with its question mark, prefixed with
  the draft's services when it has short ones ("For billing-api: which engine?").
* ``DraftReply``: a title and problem statement from the ask and the draft; 1-3 verifiable
  acceptance criteria built from the draft's fields when the requester gave none (none
  proposed when they did); out of scope (environments not named) and risks (a deadline within
  a week, production) only when the draft suggests them; the usual milestones spread evenly up
  to the deadline (weekly without one); priority from urgency and deadline; the usual size.
* ``SummaryReply``: the thread's messages joined, at most 8 sentences.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from llm.prompts import scrub
from tests.fakes.openai_api import FakeReply

URGENCIES = ("none", "high", "critical")


@dataclass(frozen=True)
class ModelReading:
    """What a careful reader takes from one opening ask: the request type, each field's values
    as the model writes them (option values exactly, dates as YYYY-MM-DD), urgency and whether
    the ask says there is no deadline."""

    request_type: str
    fields: Mapping[str, tuple[str, ...]]
    urgency: str = "none"
    no_deadline: bool = False

    @classmethod
    def from_yaml(cls, data: Any, where: str) -> ModelReading:
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise ValueError(f"{where}: model_reads needs a `type` and optional `fields`")
        unknown = set(data) - {"type", "fields", "urgency", "no_deadline"}
        if unknown:
            raise ValueError(f"{where}: model_reads has unknown keys {sorted(unknown)}")
        fields: dict[str, tuple[str, ...]] = {}
        for name, value in (data.get("fields") or {}).items():
            items = value if isinstance(value, list) else [value]
            if not items or not all(isinstance(i, str | int | float | date) for i in items):
                raise ValueError(f"{where}.{name}: a reading is a text or a list of texts")
            fields[str(name)] = tuple(str(item).strip() for item in items)
        urgency = str(data.get("urgency", "none"))
        if urgency not in URGENCIES:
            raise ValueError(f"{where}: urgency must be one of {URGENCIES}")
        return cls(data["type"], fields, urgency, bool(data.get("no_deadline", False)))


# -- reading the request ------------------------------------------------------------------------


@dataclass(frozen=True)
class ListedField:
    """One field line of a prompt: ``- name (Label; kind[; unit U])[: opt | opt]``."""

    name: str
    label: str
    kind: str
    unit: str
    options: tuple[str, ...]

    @property
    def multiple(self) -> bool:
        return self.kind == "choice, several allowed"

    @property
    def choice(self) -> bool:
        return self.kind.startswith("choice")


_FIELD_LINE = re.compile(
    r"^- (?P<name>[a-z0-9_]+) \((?P<label>[^;()]*); (?P<kind>[^;()]*)(?:; unit (?P<unit>[^()]*))?\)"
    r"(?:: (?P<options>.*))?$",
    re.MULTILINE,
)


def listed_fields(user: str) -> list[ListedField]:
    return [
        ListedField(
            m["name"],
            m["label"],
            m["kind"],
            m["unit"] or "",
            tuple(o.strip() for o in (m["options"] or "").split(" | ") if o.strip()),
        )
        for m in _FIELD_LINE.finditer(user)
    ]


def block(user: str, tag: str) -> str:
    """The text of the ``<tag>`` data block (empty when there is none)."""
    m = re.search(rf"<{tag}>\n(.*)\n</{tag}>", user, re.DOTALL)
    return m.group(1) if m else ""


def draft_of(user: str) -> dict[str, Any]:
    text = block(user, "draft")
    data = json.loads(text) if text else {}
    return data if isinstance(data, dict) else {}


def _date_after(user: str, label: str) -> date | None:
    m = re.search(rf"\b{label}: (\d{{4}}-\d\d-\d\d)\b", user)
    return date.fromisoformat(m.group(1)) if m else None


def _key(text: str) -> str:
    """An ask as the prompt carries it, whitespace-normalised: the lookup key of its reading."""
    return " ".join(scrub(text).split()).lower()


def _user_message(body: dict[str, Any]) -> str:
    for message in body.get("messages", []):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


# -- plain reading of an answer -----------------------------------------------------------------

_ENVIRONMENT_WORDS = {
    "production": ("production", "prod"),
    "staging": ("staging", "stg"),
    "development": ("development", "dev"),
}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_MONTH = r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_EXPLICIT_DATES = (
    re.compile(r"\b(?P<iso>\d{4}-\d\d-\d\d)\b"),
    re.compile(rf"\b{_MONTH}\s+{_DAY}\b", re.IGNORECASE),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b", re.IGNORECASE),
)


def _named(term: str, text: str, *, exact_case: bool = False) -> bool:
    flags = 0 if exact_case else re.IGNORECASE
    return re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text, flags) is not None


def _options_named(spec: ListedField, text: str) -> list[str]:
    named: list[str] = []
    for option in spec.options:
        if option.lower() == "other":
            continue
        words: tuple[str, ...] = (option,)
        if spec.name == "environment":
            words = _ENVIRONMENT_WORDS.get(option, words)
        if any(_named(word, text, exact_case=len(word) <= 2) for word in words):
            named.append(option)
    return named


def explicit_date(text: str, today: date) -> date | None:
    """The first date written out in ``text`` ("2027-01-08", "Dec 12", "3rd of December"),
    this year or, when that has passed, next year."""
    for pattern in _EXPLICIT_DATES:
        m = pattern.search(text)
        if not m:
            continue
        if m.groupdict().get("iso"):
            try:
                return date.fromisoformat(m["iso"])
            except ValueError:
                return None
        month, day = _MONTHS[m["month"][:3].lower()], int(m["day"])
        for year in (today.year, today.year + 1):
            try:
                found = date(year, month, day)
            except ValueError:
                return None
            if found >= today:
                return found
    return None


def read_answer(text: str, fields: Sequence[ListedField], today: date) -> list[dict[str, Any]]:
    """What an answer states plainly: named options of choice fields, explicit dates."""
    found: list[dict[str, Any]] = []
    for spec in fields:
        if spec.choice:
            named = _options_named(spec, text)
            if named and (spec.multiple or len(named) == 1):
                found.append({"name": spec.name, "values": named})
        elif spec.kind == "date":
            when = explicit_date(text, today)
            if when is not None:
                found.append({"name": spec.name, "values": [when.isoformat()]})
    return found


# -- the draft ----------------------------------------------------------------------------------


def _join(values: Any) -> str:
    items = [str(v) for v in values] if isinstance(values, list) else [str(values)]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def criteria_from(draft: Mapping[str, Any]) -> list[str]:
    """Up to 3 checks someone can verify, built only from what the draft holds."""
    services = _join(draft["services"]) if draft.get("services") else "the service"
    envs = draft.get("environment") or []
    where = f" in {envs[0]}" if envs else ""  # no environment is made up
    found: list[str] = []
    if draft.get("engine"):
        found.append(f"{services} connects to its {draft['engine']} database{where}")
    if (minutes := _number(draft.get("build_minutes"))) is not None:
        found.append(f"a {services} pipeline run takes less than the current {minutes:g} minutes")
    if (rps := _number(draft.get("peak_rps"))) is not None:
        found.append(f"{services} serves {rps:g} requests per second in a load test")
    if (spend := _number(draft.get("monthly_spend"))) is not None:
        found.append(f"the monthly bill is below the current ${spend:,.0f}")
    if draft.get("domains"):
        check = "serves a valid certificate" if "TLS" in str(draft.get("network_change")) else ""
        found.append(f"{_join(draft['domains'])} {check or 'resolves'}{where}")
    if draft.get("resource") and draft.get("access_level"):
        found.append(f"{draft['access_level']} access to {draft['resource']} is granted")
    if draft.get("action_item"):
        found.append(f"the action item is done: {draft['action_item']}")
    if draft.get("desired_outcome"):
        found.append(f"the requester confirmed: {draft['desired_outcome']}")
    found.append(f"{services} is live{where}")
    return [item[0].upper() + item[1:] for item in found[:3]]


def plan(titles: Sequence[tuple[str, str]], today: date, deadline: date | None) -> list[Any]:
    """The usual milestones, due evenly up to the deadline (a week apart without one)."""
    count = len(titles)
    milestones = []
    for index, (title, done) in enumerate(titles, start=1):
        if deadline is not None:
            due = today + timedelta(days=((deadline - today).days * index) // count)
        else:
            due = today + timedelta(weeks=index)
        milestones.append({"title": title, "due": due.isoformat(), "done_criterion": done})
    return milestones


def _usual_milestones(user: str) -> list[tuple[str, str]]:
    m = re.search(r"Usual milestones of this request type:\n((?:- .*\n?)+)", user)
    if not m:
        return []
    steps = []
    for line in m.group(1).splitlines():
        title, _, done = line[2:].partition(": ")
        steps.append((title.strip(), done.strip()))
    return steps


def _priority(urgency: str, deadline: date | None, today: date, impact: bool) -> str:
    days = (deadline - today).days if deadline else None
    if urgency == "critical" or (days is not None and days <= 7):
        return "P1"
    if urgency == "high" or (days is not None and days <= 30):
        return "P2"
    return "P3" if days is not None or impact else "P4"


# -- the responder ------------------------------------------------------------------------------


class ScenarioModel:
    """The responder (``FakeOpenAI.responder``). ``readings`` maps each opening ask to what a
    careful reader takes from it. ``calls`` counts requests per schema; ``unread`` lists the
    asks it was asked to classify and had no reading of (it answered "other")."""

    def __init__(self, readings: Mapping[str, ModelReading]) -> None:
        self.readings = {_key(ask): reading for ask, reading in readings.items()}
        self.calls: Counter[str] = Counter()
        self.unread: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, schema: str, body: dict[str, Any]) -> dict[str, Any] | FakeReply:
        with self._lock:
            self.calls[schema] += 1
        user = _user_message(body)
        handler = {
            "ClassifyReply": self.classify,
            "ExtractionReply": self.extract,
            "NextFieldReply": self.next_field,
            "QuestionReply": self.word_question,
            "DraftReply": self.propose_draft,
            "SummaryReply": self.summarise,
        }.get(schema)
        if handler is None:
            return FakeReply.error(400)
        return handler(user)

    def _reading(self, user: str) -> ModelReading | None:
        ask = block(user, "ask")
        reading = self.readings.get(" ".join(ask.split()).lower())
        return reading

    def classify(self, user: str) -> dict[str, Any]:
        reading = self._reading(user)
        if reading is None:
            with self._lock:
                self.unread.append(block(user, "ask"))
        return {"request_type": reading.request_type if reading else "other"}

    def extract(self, user: str) -> dict[str, Any]:
        fields = listed_fields(user)
        reading = self._reading(user)
        if reading is not None:
            listed = {spec.name for spec in fields}
            return {
                "fields": [
                    {"name": name, "values": list(values)}
                    for name, values in reading.fields.items()
                    if name in listed
                ],
                "no_deadline": reading.no_deadline,
                "urgency": reading.urgency,
            }
        today = _date_after(user, "Today") or date.today()
        return {
            "fields": read_answer(block(user, "ask"), fields, today),
            "no_deadline": False,
            "urgency": "none",
        }

    def next_field(self, user: str) -> dict[str, Any]:
        names = [spec.name for spec in listed_fields(user)]
        if "deadline" in names and "impact" in names:
            names.remove("deadline")
            names.insert(names.index("impact"), "deadline")
        return {"name": names[0] if names else ""}

    def word_question(self, user: str) -> dict[str, Any]:
        m = re.search(r"^  default question: (.*)$", user, re.MULTILINE)
        default = m.group(1).strip() if m else "What should we know about this"
        head, _, tail = default.partition("?")
        question = head.strip()
        tail = tail.strip().rstrip(".").strip()
        if tail:
            question += f" ({tail[0].lower()}{tail[1:]})"
        listed = draft_of(user).get("services")
        services = _join(listed) if listed else ""
        if services and len(services) <= 60:  # a pasted or rambling answer is not a name
            question = f"For {services}: {question[0].lower()}{question[1:]}"
        return {"question": question + "?"}

    def propose_draft(self, user: str) -> dict[str, Any]:
        today = _date_after(user, "Today") or date.today()
        deadline = _date_after(user, "Deadline")
        draft = draft_of(user)
        ask = " ".join(block(user, "ask").split())
        m = re.search(
            r"Request type: [a-z0-9_]+ \((?P<name>[^)]*)\)\. Usual size: (?P<size>\w+)", user
        )
        type_name, size = (m["name"], m["size"]) if m else ("Request", "M")
        most_m = re.search(r"At most (\d+) milestones", user)
        most = int(most_m.group(1)) if most_m else 6
        urgency_m = re.search(r"Urgency words seen: (\w+)", user)
        urgency = urgency_m.group(1) if urgency_m else "none"

        services = _join(draft["services"]) if draft.get("services") else ""
        title = f"{type_name} for {services}" if services else f"{type_name}: {ask}"
        if len(title) > 80:
            title = title[:79].rstrip() + "…"
        problem = ask[0].upper() + ask[1:] if ask else type_name
        if not problem.endswith((".", "?", "!")):
            problem += "."
        impact = str(draft.get("impact") or "").rstrip(".")
        if impact and impact.lower() not in ask.lower():
            problem += f" Why it matters: {impact}."
        envs = [str(e) for e in draft.get("environment") or []]
        if envs:
            problem += f" Needed in {_join(envs)}."

        out_of_scope = []
        others = [e for e in ("production", "staging", "development") if e not in envs]
        if envs and others:
            out_of_scope.append(f"Environments other than {_join(envs)}")
        risks = []
        if deadline is not None and (deadline - today).days <= 7:
            risks.append(f"The deadline ({deadline.isoformat()}) is less than a week away")
        if "production" in envs:
            risks.append("Changes in production need a change window and a rollback plan")

        priority = _priority(urgency, deadline, today, bool(draft.get("impact")))
        when = f"due {deadline.isoformat()}" if deadline else str(draft.get("deadline", "no date"))
        return {
            "title": title,
            "problem": problem,
            "acceptance_criteria": [] if draft.get("acceptance_criteria") else criteria_from(draft),
            "out_of_scope": out_of_scope,
            "risks": risks,
            "milestones": plan(_usual_milestones(user)[:most], today, deadline),
            "priority": priority,
            "size": size,
            "rationale": f"{type_name}, {when}, urgency {urgency}: {priority}; usual size {size}.",
        }

    def summarise(self, user: str) -> dict[str, Any]:
        lines = [re.sub(r"^\[\d+\]\s*", "", line) for line in block(user, "thread").splitlines()]
        text = " ".join(line.strip() for line in lines if line.strip())
        sentences = re.split(r"(?<=[.!?])\s+", text)
        return {"summary": " ".join(sentences[:8])}
