"""The structured outputs asked of the model: one Pydantic model per purpose.

The gateway sends each as a strict JSON schema (``llm.client.response_format``: the
``openai`` client's own conversion; every property required, no extra properties), so the
model answers with exactly these keys.
Allowed values (urgency, priority, size, ISO dates) are hints in the schema only: the models
accept any string, and ``llm.validate`` applies the domain rules value by value, so that
one bad value costs that value, not the whole answer.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from intake.extraction import Urgency
from intake.ticket import Priority, Size


class ClassifyReply(BaseModel):
    request_type: str = Field(description="The id of one of the listed request types.")


class ExtractedField(BaseModel):
    name: str = Field(description="A field name from the list in the message.")
    values: list[str] = Field(
        description="The value as stated: one item for a single value, one per list element."
    )


class ExtractionReply(BaseModel):
    fields: list[ExtractedField] = Field(description="Only the fields the ask states.")
    no_deadline: bool = Field(description="True only when the ask says there is no deadline.")
    urgency: str = Field(json_schema_extra={"enum": [u.value for u in Urgency]})


class NextFieldReply(BaseModel):
    name: str = Field(description="The name of one of the candidate fields.")


class QuestionReply(BaseModel):
    question: str = Field(description="One short question ending with '?'.")


class MilestoneReply(BaseModel):
    title: str
    due: str = Field(description="YYYY-MM-DD", json_schema_extra={"format": "date"})
    done_criterion: str


class DraftReply(BaseModel):
    title: str
    problem: str
    acceptance_criteria: list[str]
    out_of_scope: list[str]
    risks: list[str]
    milestones: list[MilestoneReply]
    priority: str = Field(json_schema_extra={"enum": [p.value for p in Priority]})
    size: str = Field(json_schema_extra={"enum": [s.value for s in Size]})
    rationale: str


class SummaryReply(BaseModel):
    summary: str = Field(description="The ask, in at most 8 plain sentences.")
