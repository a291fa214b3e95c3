"""The intake use cases over the in-memory ports: persistence before replies, dedupe, IDs,
ownership and resuming."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake.assistant import RuleAssistant
from intake.clock import FixedClock
from intake.conversation import Phase, Source, Thread
from intake.engine import IntakeEngine
from intake.replies import Submitted
from intake.service import IntakeService, NotAllowed, Outcome
from intake.templates import load_templates
from tests.fakes.memory_store import InMemoryStore

TEAM = "T1"
THREAD = Thread("D1", "100.1")
ASK = "we need a postgres db for billing asap"


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


def make_service(store: InMemoryStore) -> IntakeService:
    engine = IntakeEngine(load_templates(), RuleAssistant())
    return IntakeService(store, engine, FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))


def start(
    service: IntakeService, text: str = ASK, thread: Thread = THREAD, key: str | None = None
) -> Outcome | None:
    return service.start(
        team_id=TEAM,
        requester="U1",
        text=text,
        source=Source.DM,
        tz="UTC",
        thread=thread,
        dedupe_key=key,
    )


def test_every_answer_is_stored_before_the_reply(store: InMemoryStore) -> None:
    service = make_service(store)
    outcome = start(service)
    assert outcome is not None
    service.answer(team_id=TEAM, thread=THREAD, user="U1", text="production")
    stored = service.get(outcome.ticket.id or 0)
    assert stored.ticket.environment == ["production"]
    with store() as uow:
        lines = [text for _at, _author, text in uow.transcript(outcome.ticket.id or 0)]  # type: ignore[attr-defined]
    assert lines == [ASK, "production"]


def test_a_delivery_handled_before_does_nothing(store: InMemoryStore) -> None:
    service = make_service(store)
    assert start(service, key="msg:D1:100.1") is not None
    assert start(service, key="msg:D1:100.1") is None
    assert len(service.list()) == 1


def test_only_the_requesters_messages_are_answers(store: InMemoryStore) -> None:
    service = make_service(store)
    start(service)
    assert service.answer(team_id=TEAM, thread=THREAD, user="U2", text="staging") is None
    assert service.answer(team_id="T2", thread=THREAD, user="U1", text="staging") is None, (
        "other workspace"
    )
    with pytest.raises(NotAllowed, match="Only the person who opened this intake"):
        service.choose(ask_id=1, user="U2", field="environment", value="staging")


def test_submitted_asks_get_consecutive_ids(store: InMemoryStore) -> None:
    service = make_service(store)
    keys = []
    for n in range(3):
        outcome = start(service, thread=Thread("D1", f"200.{n}"))
        assert outcome is not None
        submitted = service.submit(ask_id=outcome.ticket.id or 0, user="U1", force=True)
        assert isinstance(submitted.replies[0], Submitted)
        keys.append(submitted.ticket.key)
    assert keys == ["PLAT-1", "PLAT-2", "PLAT-3"]
    assert service.find("plat-2", TEAM) is not None


def test_an_intake_resumes_after_a_restart(store: InMemoryStore) -> None:
    first = make_service(store)
    start(first)
    first.answer(team_id=TEAM, thread=THREAD, user="U1", text="staging")
    restarted = make_service(store)  # a new process on the same storage
    outcome = restarted.answer(team_id=TEAM, thread=THREAD, user="U1", text="200 GB")
    assert outcome is not None
    assert outcome.conversation.ticket.environment == ["staging"]
    assert outcome.conversation.questions_asked == 3
    assert outcome.conversation.phase is Phase.ASKING


def test_a_long_paste_is_kept_whole_in_the_transcript_and_summarised_in_its_field(
    store: InMemoryStore,
) -> None:
    service = make_service(store)
    outcome = start(service, "we need a postgres db for billing in production, about 100GB")
    assert outcome is not None and outcome.conversation.pending == "impact"
    paste = "Invoices are stuck since Monday. Finance can't close the month.\n" + "\n".join(
        f"2026-11-23 09:{i:02d}:00 ERROR invoice-{i} failed: timeout after 412s" for i in range(40)
    )
    service.answer(team_id=TEAM, thread=THREAD, user="U1", text=paste)
    stored = service.get(outcome.ticket.id or 0).ticket
    assert stored.impact == "Invoices are stuck since Monday."
    assert "whole text is in the ask's conversation" in stored.answer_notes["impact"]
    with store() as uow:
        lines = [text for _at, _author, text in uow.transcript(outcome.ticket.id or 0)]  # type: ignore[attr-defined]
    assert lines[-1] == paste
