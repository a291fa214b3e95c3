"""Rule-based reading of free text: request type, fields, urgency and links. No network, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from intake.templates.model import FieldSpec, RequestTemplate, TemplateSet


class Urgency(StrEnum):
    NONE = "none"
    HIGH = "high"  # asap, urgent, soon
    CRITICAL = "critical"  # outage, blocker, sev1, production down


@dataclass
class Extraction:
    """What one message said. ``values`` maps field names (core or request-type) to parsed values
    of the field's type: str, list[str], date, float, or a user ID. A field absent from ``values``
    was not mentioned. ``no_deadline`` is True when the text says there is no deadline."""

    values: dict[str, Any] = field(default_factory=dict)
    no_deadline: bool = False
    urgency: Urgency = Urgency.NONE
    links: list[str] = field(default_factory=list)


@dataclass
class ParsedAnswer:
    """A typed answer to one question: ``value`` of the field's type (``None`` with
    ``no_deadline`` for a date question answered "no deadline")."""

    value: Any
    no_deadline: bool = False


@dataclass
class AnswerError:
    """Why a typed answer could not be read, worded for the person, with an example."""

    message: str


def classify(text: str, templates: TemplateSet) -> tuple[str, float]:
    """The best-matching request type id for ``text`` and a score in [0, 1]; "other" when no
    template's keywords match."""
    raise NotImplementedError


def extract(text: str, template: RequestTemplate, today: date) -> Extraction:
    """Every field of ``template`` (and the core fields) that ``text`` states, with dates read
    relative to ``today`` (the requester's local date)."""
    raise NotImplementedError


def parse_answer(spec: FieldSpec, text: str, today: date) -> ParsedAnswer | AnswerError:
    """Read ``text`` as the answer to the question ``spec`` asks."""
    raise NotImplementedError
