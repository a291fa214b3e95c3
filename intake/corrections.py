"""Corrections typed in the conversation: "actually the deadline is Friday", "criteria: X and
Y", "it's for billing-api, not billing", "env is staging only", "priority high".

``find`` reads a message as a correction of one field, naming fields the way people do
("pipeline link", "due date", "env", "criteria"): the alias table is built from the request
type's field labels and names plus everyday synonyms. ``apply`` types the new value the way an
answer to that field's question is typed and changes the ticket, returning what changed (old
and new value) for the bot to say. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from intake import unsure
from intake.answer_parsing import AnswerError, parse_answer
from intake.choices import DEFAULT_ENVIRONMENT
from intake.dates import parse_deadline
from intake.lists import split_list
from intake.short_text import quoted
from intake.slack_markup import plain_text
from intake.templates.loader import shipped_core_fields
from intake.templates.model import AnswerType, FieldSpec, RequestTemplate
from intake.ticket import Priority, Size, Ticket

# Fields the engine sets but a person may still correct by name.
TITLE, PRIORITY, SIZE, CATEGORY = "title", "priority", "size", "category"

SYNONYMS: dict[str, tuple[str, ...]] = {
    "deadline": ("deadline", "due date", "due", "date", "needed by", "eta", "target date"),
    "services": ("service", "services", "repo", "repos", "repository", "repositories"),
    "environment": ("env", "envs", "environment", "environments"),
    "acceptance_criteria": (
        "criteria", "criterion", "acceptance", "acceptance criteria", "acceptance criterion",
        "ac", "done when", "definition of done", "success criteria", "checks",
    ),
    "out_of_scope": ("out of scope", "not in scope", "non-goals", "non goals"),
    "impact": ("impact", "business impact"),
    "desired_outcome": ("outcome", "desired outcome", "goal"),
    "problem": ("problem", "description"),
    TITLE: ("title", "ticket title", "headline"),
    PRIORITY: ("priority", "prio"),
    SIZE: ("size", "t-shirt size"),
    CATEGORY: ("type", "request type", "category", "ticket type", "kind of request"),
}  # fmt: skip
MAX_CORRECTION = 2000  # characters: longer is a paste
# Fields whose value can follow the name with no verb: "priority high", "env staging only".
_BARE_VALUE_TYPES = (AnswerType.CHOICE, AnswerType.DATE, AnswerType.NUMBER)

_LEAD_IN = re.compile(
    r"^(?:(?:actually|oh|oops|sorry|correction|small correction|quick correction|wait|update"
    r"|also|and|btw|one more thing|ah|hmm|no|nope|ok|okay|so|please|pls|hey|fyi|one thing)"
    r"\b[\s,:;!.-]*)+",
    re.IGNORECASE,
)
_IS = (
    r"(?:is|are|should be|will be|would be|needs to be|has to be|must be|becomes|is now|are now"
    r"|moved to|moves to|changed to|changes to|now|=)"
)
_SET = r"(?:change|set|make|move|update|switch|push|bring|put)"
_ARROW = r"(?::|=|->|→|=>)"
_PRIORITY_WORDS: dict[str, Priority] = {
    "p1": Priority.P1, "critical": Priority.P1, "urgent": Priority.P1, "highest": Priority.P1,
    "blocker": Priority.P1, "p2": Priority.P2, "high": Priority.P2, "p3": Priority.P3,
    "medium": Priority.P3, "normal": Priority.P3, "p4": Priority.P4, "low": Priority.P4,
    "lowest": Priority.P4,
}  # fmt: skip
_SIZE_WORDS: dict[str, Size] = {
    "s": Size.S, "small": Size.S, "m": Size.M, "medium": Size.M, "l": Size.L, "large": Size.L,
    "big": Size.L, "xl": Size.XL, "extra large": Size.XL, "huge": Size.XL,
}  # fmt: skip
# Words that say how a thing is, not what it is called: "service is down" names no service.
_NOT_NAMES = frozenset(
    """down up slow broken fine ok okay failing flaky dead gone fast new old live there here
    critical important urgent ready done unclear unknown without with it is the of to a an
    for""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Correction:
    """A message read as a change of one field: ``text`` is the new value as typed;
    ``replaced`` the value it replaces ("billing" in "billing-api, not billing"); ``add`` says
    the value adds to a list rather than replacing it."""

    field: str
    text: str
    replaced: str = ""
    add: bool = False


@dataclass(frozen=True)
class Change:
    """One field changed by a correction, its value before and after, typed for rendering."""

    name: str
    label: str
    old: Any
    new: Any
    type: AnswerType = AnswerType.TEXT
    unit: str = ""


def aliases(template: RequestTemplate) -> dict[str, str]:
    """How people name each field of ``template`` (lowercase phrase -> field name)."""
    table: dict[str, str] = {}
    for name, words in SYNONYMS.items():
        for word in words:
            table[word] = name
    for spec in template.fields:
        names = {spec.label.lower(), spec.name.replace("_", " ")}
        if spec.name.endswith(("_url", "_link")):
            stem = spec.name.rsplit("_", 1)[0].replace("_", " ")
            names |= {f"{stem} link", f"{stem} url", f"{stem} links", "link", "url"}
        for alias in names:
            table.setdefault(alias.strip(), spec.name)
    return table


def _alternation(table: dict[str, str]) -> str:
    words = sorted(table, key=len, reverse=True)
    return "|".join(r"[\s-]+".join(re.escape(w) for w in word.split()) for word in words)


def find(text: str, template: RequestTemplate, today: date) -> Correction | None:
    """The correction ``text`` makes, or None when it is no correction."""
    if len(text) > MAX_CORRECTION:
        return None  # a paste, not a correction
    if unsure.read(text) is not None:
        return None  # "not sure tbh" is no rename of "sure" to "tbh"
    # Spaces made single; line breaks kept ("criteria:\n- a\n- b" lists two).
    plain = "\n".join(" ".join(line.split()) for line in plain_text(text).splitlines())
    body = _LEAD_IN.sub("", plain.replace("’", "'").strip()).strip()
    if not body:
        return None
    table = aliases(template)
    names = _alternation(table)
    lowered = body.lower()
    the = r"(?:(?:the|our|my|a|an|new|updated)\s+)?"
    forms = (
        rf"^{the}(?P<alias>{names})\s*{_ARROW}\s*(?P<value>.+)$",
        rf"^{the}(?P<alias>{names})\s+{_IS}\s+(?P<value>.+)$",
        rf"^{_SET}\s+{the}(?P<alias>{names})\s+(?:to|as|=|:|into)\s+(?P<value>.+)$",
        rf"^(?:add|also)\s+(?P<value>.+?)\s+(?:to|as)\s+{the}(?P<alias>{names})$",
        rf"^(?:add|also add)\s+{the}(?P<alias>{names})\s*:?\s+(?P<value>.+)$",
    )
    for index, form in enumerate(forms):
        m = re.match(form, lowered, re.DOTALL)
        if m is None:
            continue
        field = table[" ".join(m.group("alias").replace("-", " ").split())]
        value = body[m.start("value") : m.end("value")].strip(" .!")
        if _plausible(field, value, template, today):
            return Correction(field, value, add=index >= 3)
    m = re.match(rf"^{the}(?P<alias>{names})\s+(?P<value>.+)$", lowered, re.DOTALL)
    if m is not None:
        field = table[" ".join(m.group("alias").replace("-", " ").split())]
        spec = spec_of(template, field)
        bare = field in (PRIORITY, SIZE) or (spec is not None and spec.type in _BARE_VALUE_TYPES)
        value = body[m.start("value") : m.end("value")].strip(" .!")
        if bare and _plausible(field, value, template, today):
            return Correction(field, value)
    m = re.match(
        r"^(?:make it|it'?s|it is|mark it as|mark it|set it to)\s+(?:a\s+)?(?P<value>p[1-4]"
        r"|critical|urgent|high|medium|normal|low)(?:\s+priority|\s+prio)?$",
        lowered,
    )
    if m is not None and (m.group("value").startswith("p") or "prio" in lowered):
        return Correction(PRIORITY, m.group("value"))
    return _rename(body, template)


_RENAME = re.compile(
    r"^(?:(?:it'?s|it is|this is|that'?s|that is|should be|we meant|i meant|meant)\s+)?"
    r"(?:(?:for|on|in)\s+)?(?:the\s+)?(?P<new>[\w./-]+(?:(?:\s*,\s*|\s+and\s+)[\w./-]+)*)"
    r"\s*,?\s+not\s+(?:for\s+|on\s+|in\s+)?(?:the\s+)?(?P<old>[\w./-]+)$",
    re.IGNORECASE,
)
_RENAME_BUT = re.compile(
    r"^not\s+(?:for\s+|on\s+|in\s+)?(?:the\s+)?(?P<old>[\w./-]+)\s*,?\s+(?:but\s+)?(?:for\s+)?"
    r"(?:the\s+)?(?P<new>[\w./-]+(?:(?:\s*,\s*|\s+and\s+)[\w./-]+)*)$",
    re.IGNORECASE,
)


def _rename(body: str, template: RequestTemplate) -> Correction | None:
    """ "it's for billing-api, not billing": the field that holds (or would hold) the old
    value. Resolved against the ticket in ``apply``; here the field is a guess."""
    m = _RENAME.match(body.strip(" .!")) or _RENAME_BUT.match(body.strip(" .!"))
    if m is None:
        return None
    old, new = m.group("old"), m.group("new")
    if old.lower() == new.lower():
        return None
    return Correction("", new, replaced=old)


def _plausible(field: str, value: str, template: RequestTemplate, today: date) -> bool:
    """Whether ``value`` can be a value of ``field`` (so "service is down" is no correction)."""
    if not value:
        return False
    if field == PRIORITY:
        return _priority(value) is not None
    if field == SIZE:
        return _size(value) is not None
    if field == "services":
        items = [item.lower().strip("`") for item in split_list(value)]
        return bool(items) and all(
            re.fullmatch(r"[\w./-]+(?: [\w./-]+)?", item)
            and not _NOT_NAMES.intersection(item.split())
            for item in items
        )
    if field.endswith(("_url", "_link")):  # "link is in the channel" gives no link
        return bool(re.search(r"https?://|\w\.\w", value))
    spec = spec_of(template, field)
    if spec is not None and spec.type in _BARE_VALUE_TYPES:
        return not isinstance(parse_answer(spec, value, today), AnswerError)
    return True


def _priority(text: str) -> Priority | None:
    words = re.sub(r"\b(?:priority|prio)\b", " ", text.lower()).split()
    return _PRIORITY_WORDS.get(" ".join(words))


def _size(text: str) -> Size | None:
    words = re.sub(r"\bsize\b|\(.*\)", " ", text.lower()).split()
    return _SIZE_WORDS.get(" ".join(words))


def resolve(
    correction: Correction, ticket: Ticket, template: RequestTemplate, today: date
) -> Correction | None:
    """A rename with its field found: the list or choice field holding the old value, else
    services (people rename services far more than anything else)."""
    if correction.field:
        return correction
    old = correction.replaced.lower()
    if parse_deadline(correction.text, today) and parse_deadline(correction.replaced, today):
        return Correction("deadline", correction.text)  # "it's Friday, not Thursday"
    for spec in template.fields:
        value = ticket.get(spec.name)
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and v.lower() == old for v in values):
            return Correction(spec.name, correction.text, correction.replaced)
        if spec.type is AnswerType.CHOICE and spec.options:
            said = [o for o in spec.options if old in (o.value.lower(), *o.keywords)]
            if said and not isinstance(parse_answer(spec, correction.text, today), AnswerError):
                return Correction(spec.name, correction.text, correction.replaced)
    if len(correction.text.split()) <= 3:
        return Correction("services", correction.text, correction.replaced)
    return None


# -- applying -----------------------------------------------------------------------------------

# The core fields of _core.yaml, and the problem (set by the engine, never asked).
_CORE_SPECS = {
    "problem": FieldSpec("problem", "Problem", "", AnswerType.TEXT),
    **shipped_core_fields(),
}


def spec_of(template: RequestTemplate, name: str) -> FieldSpec | None:
    """The field ``name`` as ``template`` asks it, or the core field's plain definition."""
    return template.field(name) or _CORE_SPECS.get(name)


def label_of(template: RequestTemplate, name: str) -> str:
    spec = spec_of(template, name)
    if spec is not None:
        return spec.label
    return {TITLE: "Title", PRIORITY: "Priority", SIZE: "Size", CATEGORY: "Request type"}.get(
        name, name.replace("_", " ").capitalize()
    )


def apply(
    correction: Correction, ticket: Ticket, template: RequestTemplate, today: date
) -> list[Change] | AnswerError:
    """Change the field ``correction`` names; what changed (nothing when the value is the same),
    or why the new value could not be read. A request type change is the engine's to make."""
    name, text = correction.field, correction.text
    label = label_of(template, name)
    if name in (PRIORITY, SIZE, TITLE):
        old = ticket.get(name)
        new: Any = {PRIORITY: _priority, SIZE: _size}.get(name, lambda t: t.strip())(text)
        if new is None or not str(new):
            return AnswerError(f"I couldn't read {quoted(text)} as a {label.lower()}.")
        ticket.set(name, new)
        return [] if new == old else [Change(name, label, old, new)]
    spec = spec_of(template, name)
    if spec is None:
        return AnswerError(f"I don't know the field “{label}”.")
    if name == "deadline":
        return _deadline(ticket, spec, text, today)
    old = ticket.get(name)
    if spec.type is AnswerType.CHOICE and spec.name == "environment" and not spec.multiple:
        spec = DEFAULT_ENVIRONMENT
    parsed = parse_answer(spec, text, today)
    if isinstance(parsed, AnswerError):
        return parsed
    new = parsed.value
    if isinstance(old, list) and isinstance(new, list):
        new = _merged(old, new, correction)
    if new == old:
        return []
    ticket.set(name, new)
    return [Change(name, label, old, new, spec.type, spec.unit)]


def _merged(old: list[Any], new: list[Any], correction: Correction) -> list[Any]:
    replaced = correction.replaced.lower()
    if replaced and any(str(v).lower() == replaced for v in old):
        merged: list[Any] = []
        for value in old:
            merged.extend(new if str(value).lower() == replaced else [value])
        return list(dict.fromkeys(merged))
    if correction.add:
        return list(dict.fromkeys([*old, *new]))
    return new


def _deadline(
    ticket: Ticket, spec: FieldSpec, text: str, today: date
) -> list[Change] | AnswerError:
    parsed = parse_answer(spec, text, today)
    if isinstance(parsed, AnswerError):
        return parsed
    old: Any = "no deadline" if ticket.no_deadline else ticket.deadline
    ticket.deadline, ticket.no_deadline = parsed.value, parsed.no_deadline
    new: Any = "no deadline" if parsed.no_deadline else parsed.value
    if new == old:
        return []
    return [Change("deadline", spec.label, old, new, AnswerType.DATE)]
