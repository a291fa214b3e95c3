"""Slow assistant calls made before a transaction, replayed inside it.

An LLM call can take seconds; a database transaction must not wait for one (SQLite would hold
its write lock, PostgreSQL a pooled connection). So a use case runs the engine twice: first on a
copy of the conversation with a ``Recorder`` (outside any transaction: the LLM calls happen
here), then inside the transaction with a ``Replayer`` that answers every call from what was
recorded. A call the dry run did not make (another replica changed the ask in between) is
answered by the rule assistant, so the transaction never waits on the network.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

from intake.assistant import Assistant, DraftProposal, RuleAssistant
from intake.conversation import Conversation
from intake.extraction import Extraction
from intake.templates.model import FieldSpec, RequestTemplate, TemplateSet
from intake.ticket import LlmUsage

T = TypeVar("T")
Key = tuple[Any, ...]


def _state(conversation: Conversation) -> str:
    """What an assistant's answer about ``conversation`` may depend on."""
    return repr((conversation.ticket, conversation.pending, conversation.asked,
                 conversation.skipped, conversation.urgency))  # fmt: skip


class Recorder:
    """Passes every call to ``inner`` and keeps a copy of each answer."""

    def __init__(self, inner: Assistant) -> None:
        self.inner = inner
        self.answers: dict[Key, Any] = {}

    def _keep(self, key: Key, call: Callable[[], T]) -> T:
        answer = call()
        self.answers[key] = copy.deepcopy(answer)
        return answer

    def classify(self, text: str, templates: TemplateSet) -> str:
        return self._keep(("classify", text), lambda: self.inner.classify(text, templates))

    def extract(self, text: str, template: RequestTemplate, today: date) -> Extraction:
        key = ("extract", text, template.id, today)
        return self._keep(key, lambda: self.inner.extract(text, template, today))

    def next_field(self, conversation: Conversation, candidates: Sequence[FieldSpec]) -> FieldSpec:
        key = ("next_field", _state(conversation), tuple(c.name for c in candidates))
        return self._keep(key, lambda: self.inner.next_field(conversation, candidates))

    def word_question(self, conversation: Conversation, spec: FieldSpec) -> str:
        key = ("word_question", _state(conversation), spec.name)
        return self._keep(key, lambda: self.inner.word_question(conversation, spec))

    def propose_draft(
        self, conversation: Conversation, template: RequestTemplate, today: date
    ) -> DraftProposal:
        key = ("propose_draft", _state(conversation), template.id, today)
        return self._keep(key, lambda: self.inner.propose_draft(conversation, template, today))

    def summarise_thread(self, messages: Sequence[str]) -> str:
        return self.inner.summarise_thread(messages)

    def metering(self, spent_tokens: int) -> Any:
        return self.inner.metering(spent_tokens)


class Replayer:
    """Answers from a ``Recorder``'s answers; from the rule assistant on a miss."""

    def __init__(self, answers: dict[Key, Any]) -> None:
        self.answers = answers
        self.rules = RuleAssistant()
        self.misses = 0

    def _replay(self, key: Key, fallback: Callable[[], T]) -> T:
        if key in self.answers:
            return copy.deepcopy(self.answers[key])  # type: ignore[no-any-return]
        self.misses += 1
        return fallback()

    def classify(self, text: str, templates: TemplateSet) -> str:
        return self._replay(("classify", text), lambda: self.rules.classify(text, templates))

    def extract(self, text: str, template: RequestTemplate, today: date) -> Extraction:
        key = ("extract", text, template.id, today)
        return self._replay(key, lambda: self.rules.extract(text, template, today))

    def next_field(self, conversation: Conversation, candidates: Sequence[FieldSpec]) -> FieldSpec:
        key = ("next_field", _state(conversation), tuple(c.name for c in candidates))
        return self._replay(key, lambda: self.rules.next_field(conversation, candidates))

    def word_question(self, conversation: Conversation, spec: FieldSpec) -> str:
        key = ("word_question", _state(conversation), spec.name)
        return self._replay(key, lambda: self.rules.word_question(conversation, spec))

    def propose_draft(
        self, conversation: Conversation, template: RequestTemplate, today: date
    ) -> DraftProposal:
        key = ("propose_draft", _state(conversation), template.id, today)
        return self._replay(key, lambda: self.rules.propose_draft(conversation, template, today))

    def summarise_thread(self, messages: Sequence[str]) -> str:
        return self.rules.summarise_thread(messages)

    @contextmanager
    def metering(self, spent_tokens: int) -> Iterator[LlmUsage]:
        yield LlmUsage()
