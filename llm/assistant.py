"""``OpenAIAssistant``: the ``intake.assistant.Assistant`` protocol answered by a model.

Each method asks the model for structured output through the gateway, checks the answer with
the domain rules (``llm.validate``) and, on any failure (timeout, HTTP error after the
client's retries, open circuit, budget used up, refusal, malformed output, an answer that
breaks a rule), returns what ``RuleAssistant`` returns for the same call, logging one warning
line that says why (never the requester's words).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import TypeVar

from intake.assistant import DraftProposal, RuleAssistant
from intake.clock import Clock
from intake.conversation import Conversation
from intake.extraction import Extraction
from intake.ports import TokenLedger
from intake.templates.model import FieldSpec, RequestTemplate, TemplateSet
from intake.ticket import LlmUsage
from llm import prompts, validate
from llm.client import LlmConfig, LlmGateway, LlmUnavailable
from llm.schemas import (
    ClassifyReply,
    DraftReply,
    ExtractionReply,
    NextFieldReply,
    QuestionReply,
    SummaryReply,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


class OpenAIAssistant:
    """An ``Assistant`` backed by an OpenAI-compatible model, with ``RuleAssistant`` behind it.

    Give it a ``LlmConfig`` (and the shared ``TokenLedger``; ``clock`` is the monotonic clock
    of the circuit breaker) or an ``LlmGateway`` to share with an ``OpenAIEmbedder``."""

    def __init__(
        self,
        source: LlmConfig | LlmGateway,
        ledger: TokenLedger | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Clock | None = None,
        rules: RuleAssistant | None = None,
    ) -> None:
        if isinstance(source, LlmGateway):
            self.gateway = source
        else:
            self.gateway = LlmGateway(source, ledger, clock=clock, wall_clock=wall_clock)
        self.rules = rules or RuleAssistant()

    def _fallback(self, purpose: str, error: Exception) -> None:
        reason = error.reason if isinstance(error, LlmUnavailable | validate.Rejected) else None
        log.warning(
            "llm %s: %s; answering from rules", purpose, reason or f"error {type(error).__name__}"
        )

    def _or_rules(self, purpose: str, ask: Callable[[], T], rules: Callable[[], T]) -> T:
        """What ``ask`` gets from the model and checks; on any failure, what ``rules`` says."""
        try:
            return ask()
        except Exception as error:
            self._fallback(purpose, error)
            return rules()

    # -- the protocol ---------------------------------------------------------------------------

    def classify(self, text: str, templates: TemplateSet) -> str:
        def ask() -> str:
            reply = self.gateway.parse(prompts.classify(text, templates), ClassifyReply)
            return validate.request_type(reply.request_type, templates)

        return self._or_rules("classify", ask, lambda: self.rules.classify(text, templates))

    def extract(self, text: str, template: RequestTemplate, today: date) -> Extraction:
        rules = self.rules.extract(text, template, today)  # the model's answer is merged into it
        specs = list(validate.extractable_fields(template).values())

        def ask() -> Extraction:
            reply = self.gateway.parse(
                prompts.extract(text, template, specs, today), ExtractionReply
            )
            merged, dropped = validate.extraction(reply, template, today, rules)
            if dropped:
                log.warning("llm extract: dropped %s; the rules' values stand", ", ".join(dropped))
            return merged

        return self._or_rules("extract", ask, lambda: rules)

    def next_field(self, conversation: Conversation, candidates: Sequence[FieldSpec]) -> FieldSpec:
        def rules() -> FieldSpec:
            return self.rules.next_field(conversation, candidates)

        def ask() -> FieldSpec:
            reply = self.gateway.parse(prompts.next_field(conversation, candidates), NextFieldReply)
            return validate.next_field(reply.name, candidates)

        if len(candidates) <= 1:
            return rules()  # nothing to choose
        return self._or_rules("next_field", ask, rules)

    def word_question(self, conversation: Conversation, spec: FieldSpec) -> str:
        def ask() -> str:
            reply = self.gateway.parse(prompts.word_question(conversation, spec), QuestionReply)
            return validate.question(reply.question)

        return self._or_rules(
            "word_question", ask, lambda: self.rules.word_question(conversation, spec)
        )

    def propose_draft(
        self, conversation: Conversation, template: RequestTemplate, today: date
    ) -> DraftProposal:
        rules = self.rules.propose_draft(conversation, template, today)  # fills what is rejected
        ticket = conversation.ticket

        def ask() -> DraftProposal:
            reply = self.gateway.parse(
                prompts.propose_draft(conversation, template, today, validate.MAX_MILESTONES),
                DraftReply,
            )
            proposal, rejected = validate.draft(reply, rules, today, ticket.deadline, ticket.size)
            # What the requester chose stands (the rules' proposal keeps it too).
            proposal.priority = ticket.priority or proposal.priority
            proposal.size = ticket.size or proposal.size
            if rejected:
                log.warning(
                    "llm propose_draft: rejected %s; the rules' proposal used for those",
                    ", ".join(rejected),
                )
            return proposal

        return self._or_rules("propose_draft", ask, lambda: rules)

    def summarise_thread(self, messages: Sequence[str]) -> str:
        def rules() -> str:
            return self.rules.summarise_thread(messages)

        def ask() -> str:
            reply = self.gateway.parse(prompts.summarise_thread(messages), SummaryReply)
            return validate.summary(reply.summary)

        if not any(message.strip() for message in messages):
            return rules()
        return self._or_rules("summarise_thread", ask, rules)

    def metering(self, spent_tokens: int) -> AbstractContextManager[LlmUsage]:
        return self.gateway.metering(spent_tokens)
