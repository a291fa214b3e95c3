"""What a request type is: the data a platform team edits in YAML, as typed objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from intake.ticket import Size


class AnswerType(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    DATE = "date"
    LIST = "list"
    USER = "user"
    NUMBER = "number"


@dataclass(frozen=True)
class Option:
    """One answer of a choice question; ``keywords`` let free text pick it ("pg": PostgreSQL)."""

    value: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldSpec:
    """A question the bot may ask, and how the answer is read.

    ``name`` is either a core ticket field (services, environment, deadline, impact,
    desired_outcome, acceptance_criteria, out_of_scope) or a field the request type adds.
    ``multiple`` applies to choice fields whose answer is a list (environment).
    ``ask`` says whether the bot asks for it when missing (required fields are always asked).
    ``closed`` marks a choice whose options are all the answers there are (yes/no, a severity
    scale): an answer naming none of them is asked once more. Other choices are suggestions:
    what people type that matches no option ("the k8s.io zone") is kept as typed.
    """

    name: str
    label: str
    question: str
    type: AnswerType
    required: bool = False
    ask: bool = True
    options: tuple[Option, ...] = ()
    multiple: bool = False
    help: str = ""
    unit: str = ""
    closed: bool = False


@dataclass(frozen=True)
class MilestoneTemplate:
    title: str
    done_criterion: str
    weight: float = 1.0


@dataclass(frozen=True)
class RequestTemplate:
    """A request type. ``fields`` are in the order the bot asks them."""

    id: str
    name: str
    description: str
    keywords: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    milestones: tuple[MilestoneTemplate, ...]
    default_size: Size = Size.M
    title_format: str = ""
    source: str = ""

    def field(self, name: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None

    @property
    def required(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for spec in self.fields if spec.required)


@dataclass(frozen=True)
class TemplateSet:
    """Every request type known, keyed by id, with "other" as the fallback."""

    templates: dict[str, RequestTemplate] = field(default_factory=dict)

    FALLBACK = "other"

    def get(self, template_id: str) -> RequestTemplate:
        return self.templates.get(template_id) or self.templates[self.FALLBACK]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.templates.values())

    def __len__(self) -> int:
        return len(self.templates)
