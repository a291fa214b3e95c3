"""What the intake engine says back, as data. The Slack adapter and the terminal chat each render
these their own way; neither decides what to say."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.corrections import Change
from intake.readiness import Readiness
from intake.templates.model import AnswerType, FieldSpec
from intake.ticket import Ticket


@dataclass(frozen=True)
class Fact:
    """One field's value, with its type (and a number's unit) so a renderer can show dates,
    lists, people and amounts."""

    name: str
    label: str
    value: Any
    type: AnswerType
    unit: str = ""

    @classmethod
    def of(cls, spec: FieldSpec, value: Any) -> Fact:
        return cls(spec.name, spec.label, value, spec.type, spec.unit)


@dataclass(frozen=True)
class Understood:
    """The one short message after the opening ask: what the bot took from it."""

    request_type: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class Question:
    spec: FieldSpec
    number: int  # 1-based, counts questions asked in this intake
    text: str
    problem: str = ""  # why the last answer was not taken, when it was not


@dataclass(frozen=True)
class Draft:
    ticket: Ticket
    readiness: Readiness
    changed: tuple[str, ...] = ()  # labels of fields a later message changed


@dataclass(frozen=True)
class Corrected:
    """The requester corrected fields by saying so ("actually the deadline is Friday"): what
    changed, from what to what. The conversation goes on after it (the next question, or
    the refreshed draft)."""

    changes: tuple[Change, ...]


@dataclass(frozen=True)
class NotReady:
    """Submit was pressed on a draft that misses parts of the definition of ready."""

    ticket: Ticket
    readiness: Readiness


@dataclass(frozen=True)
class Submitted:
    ticket: Ticket


@dataclass(frozen=True)
class Resubmitted:
    """The requester answered the platform team's questions; the ask is back in review."""

    ticket: Ticket
    changed: tuple[str, ...] = ()  # labels of the fields the answer changed


@dataclass(frozen=True)
class Cancelled:
    ticket: Ticket


@dataclass(frozen=True)
class Joined:
    """The requester joined an existing ask (``target``) instead: this intake is closed."""

    ticket: Ticket
    target: Ticket


@dataclass(frozen=True)
class Notice:
    """A short private note: nothing changed, here is why and what to do."""

    text: str


Reply = (
    Understood
    | Question
    | Draft
    | Corrected
    | NotReady
    | Submitted
    | Resubmitted
    | Cancelled
    | Joined
    | Notice
)
