"""The assistant the intake engine consults: one interface, with the rule engine as the default.

An assistant returns data and the engine decides what to do with it: it never changes a
conversation itself, holds no tokens and takes no action. An LLM-backed assistant
(``llm.OpenAIAssistant``, in the adapter package ``llm``) implements the same protocol;
whatever it returns is checked by the same domain rules before it is used, and the rule
assistant answers whenever it cannot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from intake import milestone_plan, opening_facts, planning, request_types
from intake.conversation import Conversation
from intake.extraction import Extraction
from intake.slack_markup import plain_text
from intake.templates.model import FieldSpec, RequestTemplate, TemplateSet
from intake.ticket import LlmUsage, Milestone, Priority, Size

SUMMARY_LIMIT = 3000  # characters of a thread summary used as an opening ask


@dataclass
class DraftProposal:
    """What the assistant would write into a draft. Empty values mean "no proposal": the
    engine fills only what the requester has not given (see ``IntakeEngine``).

    ``problem`` is a rewritten problem statement (empty keeps the requester's words);
    ``rationale`` is one line for the lead on why this type, priority and size;
    ``plan_warning`` says why the milestone plan was merged (a deadline too tight for it)."""

    title: str = ""
    problem: str = ""
    acceptance_criteria: list[str] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    priority: Priority | None = None
    size: Size | None = None
    rationale: str = ""
    plan_warning: str = ""


class Assistant(Protocol):
    def classify(self, text: str, templates: TemplateSet) -> str:
        """The request type id for an opening ask."""

    def extract(self, text: str, template: RequestTemplate, today: date) -> Extraction:
        """Every field a message states."""

    def next_field(self, conversation: Conversation, candidates: Sequence[FieldSpec]) -> FieldSpec:
        """The most valuable field to ask for next, out of ``candidates`` (never empty, in
        the template's order)."""

    def word_question(self, conversation: Conversation, spec: FieldSpec) -> str:
        """The question to ask for ``spec``, worded for this ask."""

    def propose_draft(
        self, conversation: Conversation, template: RequestTemplate, today: date
    ) -> DraftProposal:
        """Title, problem statement, acceptance criteria, out of scope, risks, milestone plan,
        priority and size for the draft, from what the conversation holds."""

    def summarise_thread(self, messages: Sequence[str]) -> str:
        """An opening ask from a Slack thread's messages (oldest first)."""

    def metering(self, spent_tokens: int) -> AbstractContextManager[LlmUsage]:
        """Count, in the usage it yields, the tokens and cost of the calls this thread makes
        inside the block, for one ask that has already used ``spent_tokens``; an assistant
        with a per-ask budget answers from rules once the ask has used it up."""


class RuleAssistant:
    """Keyword rules and templates: no network, always available."""

    def classify(self, text: str, templates: TemplateSet) -> str:
        # Keywords of the whole ask, those of its request phrase counted twice.
        return request_types.classify(text, templates)

    def extract(self, text: str, template: RequestTemplate, today: date) -> Extraction:
        return opening_facts.read(text, template, today)

    def next_field(self, conversation: Conversation, candidates: Sequence[FieldSpec]) -> FieldSpec:
        return candidates[0]

    def word_question(self, conversation: Conversation, spec: FieldSpec) -> str:
        return spec.question

    def propose_draft(
        self, conversation: Conversation, template: RequestTemplate, today: date
    ) -> DraftProposal:
        ticket = conversation.ticket
        priority = ticket.priority or planning.propose_priority(ticket, conversation.urgency, today)
        size = ticket.size or planning.propose_size(ticket, template)
        plan = milestone_plan.plan(ticket, template, today, size)
        return DraftProposal(
            title=planning.propose_title(ticket, template),
            milestones=plan.milestones,
            priority=priority,
            size=size,
            rationale=planning.rationale(ticket, template, conversation.urgency, today),
            plan_warning=plan.warning,
        )

    @contextmanager
    def metering(self, spent_tokens: int) -> Iterator[LlmUsage]:
        yield LlmUsage()  # rules cost nothing

    def summarise_thread(self, messages: Sequence[str]) -> str:
        """The messages joined, oldest first, cut to ``SUMMARY_LIMIT`` characters."""
        lines = [plain_text(message).strip() for message in messages]
        text = "\n".join(line for line in lines if line)
        return text[:SUMMARY_LIMIT]
