"""Proposals the rule engine makes for a draft: title, priority and size (the milestone plan is
``intake.milestone_plan``)."""

from __future__ import annotations

import re
import string
from datetime import date
from typing import Any

from intake.extraction import Urgency
from intake.request_sentence import find_request, sentences
from intake.short_text import cut_at_word
from intake.templates.model import RequestTemplate
from intake.ticket import Priority, Size, Ticket

TITLE_LIMIT = 80

_SIZES = (Size.S, Size.M, Size.L, Size.XL)

# -- title --------------------------------------------------------------------------------------

# Words that only make sense next to the value that follows them ("for {services}").
_CONNECTORS = (
    "for", "on", "in", "to", "of", "at", "with", "from", "by", "into", "onto", "via", "about",
    "and", "&", "-", "–", "—", ":", "/", "+", ",",
)  # fmt: skip
_TRAILING_CONNECTOR = re.compile(
    r"(?:\s*(?:\b(?:for|on|in|to|of|at|with|from|by|into|onto|via|about|and)\b|[&:/+,\-–—]))+\s*$",
    re.IGNORECASE,
)
_LEADING_CONNECTOR = re.compile(r"^\s*(?:[&:/+,\-–—]\s*)+")


def _format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_format_value(v) for v in value if _format_value(v))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


def _fill(title_format: str, ticket: Ticket) -> tuple[str, int]:
    """``title_format`` with the ticket's values; a missing value takes the connector word
    before it along ("{engine} database for {services}" -> "PostgreSQL database"). Returns the
    text and how many placeholders were filled."""
    pieces: list[str] = []
    filled = 0
    for literal, name, _spec, _conv in string.Formatter().parse(title_format):
        pieces.append(literal)
        if name is None:
            continue
        value = _format_value(ticket.get(name))
        if value:
            pieces.append(value)
            filled += 1
            continue
        # Drop the connector right before the missing value: "... for " -> "...".
        joined = "".join(pieces)
        pieces = [_TRAILING_CONNECTOR.sub("", joined)]
    text = "".join(pieces)
    text = _TRAILING_CONNECTOR.sub("", text)
    text = _LEADING_CONNECTOR.sub("", text)
    text = re.sub(r"\s+([,:])", r"\1", " ".join(text.split()))
    return text.strip(), filled


def _cut(text: str, limit: int = TITLE_LIMIT) -> str:
    return cut_at_word(text, limit)


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _clean_values(title_format: str, ticket: Ticket, *, short: bool) -> bool:
    """Whether every value the format would show reads as a name (``short``: a few words), not
    a sentence someone typed ("About 230 people at once, each needing around 16 GB, maybe
    more" is an answer, not a title)."""
    for _literal, name, _spec, _conv in string.Formatter().parse(title_format):
        if name is None:
            continue
        value = _format_value(ticket.get(name))
        if not value:
            continue
        if re.search(r"[.!?;]\s|[.!?;]$|,.*,", value):
            return False
        if short and (len(value) > 40 or len(value.split()) > 6):
            return False
    return True


def _placeholders(title_format: str) -> int:
    return sum(1 for _l, name, _s, _c in string.Formatter().parse(title_format) if name)


_PRONOUNS = frozenset({"it", "that", "this", "them", "those", "these", "one"})
_PARTICLES = frozenset(
    {
        "down",
        "up",
        "out",
        "off",
        "back",
        "over",
        "into",
        "at",
        "on",
        "with",
        "about",
        "please",
        "for",
        "us",
        "me",
    }
)


def _names_its_object(phrase: str) -> bool:
    """Whether a request phrase says what it is about: "cut the artifact bucket's cost" does,
    "cut that down" and "fix it please" point elsewhere."""
    words = [w.strip(".,!?").lower() for w in phrase.split()[1:]]
    said = [w for w in words if w and w not in _PARTICLES]
    return not said or not all(w in _PRONOUNS for w in said)


def propose_title(ticket: Ticket, template: RequestTemplate) -> str:
    """A short title (at most 80 characters) that says what is asked for: the ask's own
    "verb + object" ("Upgrade the build machines off Ubuntu 18.04"), else the template's title
    format when its values read as names, else the thing the ask asks for, else the ask's
    first sentence. Never a later answer's sentence or the ask's context."""
    request = find_request(ticket.problem) if ticket.problem.strip() else None
    if request is not None and not _names_its_object(request.phrase):
        request = None  # "can we cut that down?": the object is in another sentence
    if request is not None and request.action and len(request.phrase.split()) >= 2:
        return _cut(request.phrase)
    form = template.title_format
    formatted, filled = _fill(form, ticket) if form else ("", 0)
    if filled and filled == _placeholders(form) and _clean_values(form, ticket, short=True):
        return _cut(_capitalize(formatted))
    if request is not None:
        return _cut(request.phrase)
    if filled and _clean_values(form, ticket, short=False):
        return _cut(_capitalize(formatted))
    service = ticket.services[0] if ticket.services else ""
    if service and template.id != "other" and len(service.split()) <= 3:
        return _cut(f"{template.name} for {service}")
    first = sentences(ticket.problem)  # Slack markup made readable, links left out
    if first:
        return _cut(_capitalize(first[0]))
    return _cut(template.name)


# -- priority and size --------------------------------------------------------------------------

_BUSINESS_IMPACT = re.compile(
    r"\b(?:customers?|revenue|outage|outages|money|sales|orders|payments? fail|sla|slas|churn"
    r"|paying users|downtime)\b",
    re.IGNORECASE,
)


def propose_priority(ticket: Ticket, urgency: Urgency, today: date) -> Priority:
    """P1..P4 from deadline proximity, urgency words and impact."""
    days_left = (ticket.deadline - today).days if ticket.deadline is not None else None
    if urgency is Urgency.CRITICAL or (days_left is not None and days_left <= 3):
        return Priority.P1
    if (
        urgency is Urgency.HIGH
        or (days_left is not None and days_left <= 14)
        or _BUSINESS_IMPACT.search(ticket.impact or "")
    ):
        return Priority.P2
    if ticket.no_deadline and not (ticket.impact or "").strip():
        return Priority.P4
    return Priority.P3


def _priority_reason(ticket: Ticket, urgency: Urgency, today: date) -> str:
    days_left = (ticket.deadline - today).days if ticket.deadline is not None else None
    if urgency is Urgency.CRITICAL:
        return "reads as an outage or blocker"
    if days_left is not None and days_left <= 14:
        return f"deadline in {days_left} day{'' if days_left == 1 else 's'}"
    if urgency is Urgency.HIGH:
        return "asked for urgently"
    if _BUSINESS_IMPACT.search(ticket.impact or ""):
        return "impact on customers or revenue"
    if ticket.no_deadline:
        return "no deadline"
    return "no urgency stated"


def rationale(ticket: Ticket, template: RequestTemplate, urgency: Urgency, today: date) -> str:
    """One line for the lead: why this request type, priority and size."""
    priority = ticket.priority or propose_priority(ticket, urgency, today)
    size = ticket.size or propose_size(ticket, template)
    spread = len(ticket.environment) >= 3 or len(ticket.services) >= 3
    size_reason = "3+ environments or services" if spread else f"usual for {template.name}"
    return (
        f"{template.name}; {priority.value}: {_priority_reason(ticket, urgency, today)}; "
        f"{size.value}: {size_reason}."
    )


def propose_size(ticket: Ticket, template: RequestTemplate) -> Size:
    """The template's size, one step bigger for 3+ environments or 3+ services (at most XL)."""
    index = _SIZES.index(template.default_size)
    if len(ticket.environment) >= 3 or len(ticket.services) >= 3:
        index += 1
    return _SIZES[min(index, len(_SIZES) - 1)]
