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
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
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


class _Keyed:
    """The assistant protocol over ``inner``, every answer going through ``_answer`` under a key
    that names the call and what its answer may depend on."""

    def __init__(self, inner: Assistant) -> None:
        self.inner = inner

    def _answer(self, key: Key, call: Callable[[], T]) -> T:
        raise NotImplementedError

    def classify(self, text: str, templates: TemplateSet) -> str:
        return self._answer(("classify", text), lambda: self.inner.classify(text, templates))

    def extract(self, text: str, template: RequestTemplate, today: date) -> Extraction:
        key = ("extract", text, template.id, today)
        return self._answer(key, lambda: self.inner.extract(text, template, today))

    def next_field(self, conversation: Conversation, candidates: Sequence[FieldSpec]) -> FieldSpec:
        key = ("next_field", _state(conversation), tuple(c.name for c in candidates))
        return self._answer(key, lambda: self.inner.next_field(conversation, candidates))

    def word_question(self, conversation: Conversation, spec: FieldSpec) -> str:
        key = ("word_question", _state(conversation), spec.name)
        return self._answer(key, lambda: self.inner.word_question(conversation, spec))

    def propose_draft(
        self, conversation: Conversation, template: RequestTemplate, today: date
    ) -> DraftProposal:
        key = ("propose_draft", _state(conversation), template.id, today)
        return self._answer(key, lambda: self.inner.propose_draft(conversation, template, today))

    def summarise_thread(self, messages: Sequence[str]) -> str:
        return self.inner.summarise_thread(messages)

    def metering(self, spent_tokens: int) -> AbstractContextManager[LlmUsage]:
        return self.inner.metering(spent_tokens)


class Recorder(_Keyed):
    """Passes every call to the assistant and keeps a copy of each answer."""

    def __init__(self, inner: Assistant) -> None:
        super().__init__(inner)
        self.answers: dict[Key, Any] = {}

    def _answer(self, key: Key, call: Callable[[], T]) -> T:
        answer = call()
        self.answers[key] = copy.deepcopy(answer)
        return answer


class Replayer(_Keyed):
    """Answers from a ``Recorder``'s answers; from the rule assistant on a miss (and costs
    nothing: its metering counts no usage)."""

    def __init__(self, answers: dict[Key, Any]) -> None:
        super().__init__(RuleAssistant())
        self.answers = answers
        self.misses = 0

    def _answer(self, key: Key, call: Callable[[], T]) -> T:
        if key in self.answers:
            return copy.deepcopy(self.answers[key])  # type: ignore[no-any-return]
        self.misses += 1
        return call()
