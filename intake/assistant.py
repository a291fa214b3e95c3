"""The assistant the intake engine consults: one interface, with the rule engine as the default.

An LLM-backed assistant implements the same protocol; whatever it returns is checked by the same
domain rules before it is used, and the rule assistant answers whenever it cannot.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from intake import extraction, planning
from intake.conversation import Conversation
from intake.extraction import Extraction
from intake.templates.model import FieldSpec, RequestTemplate, TemplateSet


class Assistant(Protocol):
    def classify(self, text: str, templates: TemplateSet) -> str:
        """The request type id for an opening ask."""

    def extract(self, text: str, template: RequestTemplate, today: date) -> Extraction:
        """Every field a message states."""

    def word_question(self, conversation: Conversation, spec: FieldSpec) -> str:
        """The question to ask for ``spec``, worded for this ask."""

    def complete_draft(
        self, conversation: Conversation, template: RequestTemplate, today: date
    ) -> None:
        """Fill what the requester was not asked: title, priority, size, milestone plan.
        Leaves anything already set alone."""


class RuleAssistant:
    """Keyword rules and templates: no network, always available."""

    def classify(self, text: str, templates: TemplateSet) -> str:
        template_id, _score = extraction.classify(text, templates)
        return template_id

    def extract(self, text: str, template: RequestTemplate, today: date) -> Extraction:
        return extraction.extract(text, template, today)

    def word_question(self, conversation: Conversation, spec: FieldSpec) -> str:
        return spec.question

    def complete_draft(
        self, conversation: Conversation, template: RequestTemplate, today: date
    ) -> None:
        ticket = conversation.ticket
        if not ticket.title:
            ticket.title = planning.propose_title(ticket, template)
        if ticket.priority is None:
            ticket.priority = planning.propose_priority(ticket, conversation.urgency, today)
        if ticket.size is None:
            ticket.size = planning.propose_size(ticket, template)
        if not ticket.milestones:
            ticket.milestones = planning.plan_milestones(
                template, today, ticket.deadline, ticket.size
            )
