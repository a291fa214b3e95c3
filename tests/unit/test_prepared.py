"""A slow (LLM) assistant is consulted outside every transaction; its answers are replayed
inside it, and what it cost is added to the ask."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from intake.assistant import DraftProposal, RuleAssistant
from intake.clock import FixedClock
from intake.conversation import Conversation, Phase, Source, Thread
from intake.engine import IntakeEngine
from intake.extraction import Extraction
from intake.prepared import Replayer
from intake.replies import Draft, Question
from intake.service import IntakeService
from intake.templates import load_templates
from intake.templates.model import FieldSpec, RequestTemplate, TemplateSet
from intake.ticket import LlmUsage
from tests.fakes.memory_store import InMemoryStore, InMemoryUnitOfWork

TEMPLATES = load_templates()
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class CountingFactory:
    """The store as a unit-of-work factory that knows how many transactions are open."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.open = 0

    def __call__(self) -> Any:
        factory = self

        class Counted(InMemoryUnitOfWork):
            def __enter__(self) -> Counted:
                factory.open += 1
                return super().__enter__()

            def __exit__(self, *exc: object) -> None:
                factory.open -= 1
                super().__exit__(*exc)  # type: ignore[arg-type]

        return Counted(self.store)


class SlowAssistant:
    """Rules underneath, but it words questions its own way, and records whether a
    transaction was open when it was called (an LLM call must never hold one)."""

    def __init__(self, transactions: CountingFactory) -> None:
        self.rules = RuleAssistant()
        self.transactions = transactions
        self.calls: list[tuple[str, int]] = []

    def _called(self, name: str) -> None:
        self.calls.append((name, self.transactions.open))

    def classify(self, text: str, templates: TemplateSet) -> str:
        self._called("classify")
        return self.rules.classify(text, templates)

    def extract(self, text: str, template: RequestTemplate, today: date) -> Extraction:
        self._called("extract")
        return self.rules.extract(text, template, today)

    def next_field(self, conversation: Conversation, candidates: Sequence[FieldSpec]) -> FieldSpec:
        self._called("next_field")
        return candidates[-1]  # not the template's order: the replay must keep this choice

    def word_question(self, conversation: Conversation, spec: FieldSpec) -> str:
        self._called("word_question")
        return f"LLM: {spec.question}"

    def propose_draft(
        self, conversation: Conversation, template: RequestTemplate, today: date
    ) -> DraftProposal:
        self._called("propose_draft")
        proposal = self.rules.propose_draft(conversation, template, today)
        proposal.risks = ["Month-end close slips if the database is late"]
        return proposal

    def summarise_thread(self, messages: Sequence[str]) -> str:
        return self.rules.summarise_thread(messages)

    @contextmanager
    def metering(self, spent_tokens: int) -> Iterator[LlmUsage]:
        usage = LlmUsage()
        yield usage
        usage.add(LlmUsage(calls=2, prompt_tokens=100, completion_tokens=20, cost_usd=0.001))


def make(store: InMemoryStore) -> tuple[IntakeService, SlowAssistant]:
    transactions = CountingFactory(store)
    assistant = SlowAssistant(transactions)
    service = IntakeService(transactions, IntakeEngine(TEMPLATES, assistant), FixedClock(NOW))
    return service, assistant


def test_the_assistant_is_never_called_inside_a_transaction() -> None:
    service, assistant = make(InMemoryStore())
    outcome = service.start(
        team_id="T1", requester="U1", text="postgres db for billing", source=Source.DM, tz="UTC"
    )
    assert outcome is not None and outcome.ticket.id is not None
    ask_id = outcome.ticket.id
    service.attach_thread(ask_id, Thread("D1", "1.0"))
    service.answer(team_id="T1", thread=Thread("D1", "1.0"), user="U1", text="done")
    assert assistant.calls, "the assistant was consulted"
    assert all(open_ == 0 for _, open_ in assistant.calls), assistant.calls


def test_answers_recorded_outside_are_what_the_transaction_uses() -> None:
    store = InMemoryStore()
    service, _ = make(store)
    outcome = service.start(
        team_id="T1", requester="U1", text="postgres db for billing", source=Source.DM, tz="UTC"
    )
    assert outcome is not None
    question = next(r for r in outcome.replies if isinstance(r, Question))
    assert question.text.startswith("LLM: ")
    stored = service.get(outcome.ticket.id or 0)
    assert stored.pending == question.spec.name  # the assistant's choice, not the first field
    assert stored.ticket.usage == LlmUsage(2, 100, 20, 0.001)

    service.attach_thread(stored.ticket.id or 0, Thread("D1", "1.0"))
    done = service.answer(team_id="T1", thread=Thread("D1", "1.0"), user="U1", text="done")
    assert done is not None and isinstance(done.replies[-1], Draft)
    stored = service.get(stored.ticket.id or 0)
    assert stored.phase is Phase.DRAFTED
    assert stored.ticket.risks == ["Month-end close slips if the database is late"]
    assert stored.ticket.usage.tokens == 240  # both calls' usage is on the ask


def test_a_call_the_dry_run_did_not_make_is_answered_by_rules() -> None:
    replayer = Replayer({})
    template = TEMPLATES.get("database")
    found = replayer.extract("postgres for billing in prod", template, date(2026, 11, 23))
    assert found.values["services"] == ["billing"]
    assert replayer.misses == 1
