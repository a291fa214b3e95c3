"""One workspace's view of the asks (intake.scoping), on the in-memory store and on the SQL
unit of work: another workspace's ask is not found, whatever the caller passes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intake import events
from intake.assistant import RuleAssistant
from intake.clock import FixedClock
from intake.conversation import Source, Thread
from intake.engine import IntakeEngine
from intake.lifecycle import Action
from intake.milestone_service import MilestoneService
from intake.ports import UnitOfWorkFactory
from intake.review import ReviewService
from intake.scoping import OtherWorkspace, TeamUnitOfWork
from intake.service import IntakeService, NotFound
from intake.templates import load_templates
from storage.uow import SqlUnitOfWorkFactory
from tests.dbfixtures import MEMORY_AND_DATABASES, memory_or_sql
from tests.fakes.memory_store import InMemoryStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(params=MEMORY_AND_DATABASES)
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWorkFactory]:
    """The in-memory fake, and the SQL unit of work on SQLite and PostgreSQL."""
    uow: UnitOfWorkFactory
    with memory_or_sql(request, tmp_path, InMemoryStore, SqlUnitOfWorkFactory) as uow:
        yield uow


def service_on(factory: UnitOfWorkFactory) -> IntakeService:
    engine = IntakeEngine(load_templates(), RuleAssistant())
    return IntakeService(factory, engine, FixedClock(NOW))


def submitted(service: IntakeService, team_id: str, text: str) -> int:
    outcome = service.start(
        team_id=team_id,
        requester="W0ALICE",
        text=text,
        source=Source.DM,
        tz="UTC",
        thread=Thread(f"D{team_id}", f"{len(text)}.000100"),
    )
    assert outcome is not None and outcome.ticket.id is not None
    service.submit(ask_id=outcome.ticket.id, user="W0ALICE", force=True)
    return outcome.ticket.id


def test_a_scoped_service_sees_its_workspaces_asks_only(factory: UnitOfWorkFactory) -> None:
    service = service_on(factory)
    one = submitted(service, "T1", "we need a postgres db for zebrabill asap")
    two = submitted(service, "T2", "we need a postgres db for yakroster asap")
    t1, t2 = service.for_team("T1"), service.for_team("T2")

    assert [t.id for t in t1.list()] == [one]
    assert t1.list(team_id="T2") == []
    assert t1.get(one).ticket.team_id == "T1"
    with pytest.raises(NotFound):
        t1.get(two)
    found = t1.find("PLAT-1")
    assert found is not None and found.ticket.id == one
    assert t1.find("PLAT-1", "T2") is None
    two_found = t2.find("plat-1")
    assert two_found is not None and two_found.ticket.id == two
    thread = service.get(two).thread
    assert thread is not None
    assert t1.by_thread("T2", thread) is None
    with pytest.raises(NotFound):
        t1.submit(ask_id=two, user="W0ALICE")
    with pytest.raises(NotFound):
        t1.cancel(ask_id=two, user="W0ALICE")
    # Scoping a scoped service narrows it further; it never widens.
    assert t1.for_team("T2").list() == []
    assert service.list() != [] and len(service.list()) == 2  # operator tools see all


def test_review_and_milestone_use_cases_are_scoped_too(factory: UnitOfWorkFactory) -> None:
    service = service_on(factory)
    one = submitted(service, "T1", "we need a postgres db for zebrabill asap")
    clock = FixedClock(NOW)
    reviews = ReviewService(factory, clock).for_team("T2")
    with pytest.raises(NotFound):
        reviews.check(ask_id=one, actor="W0LEE", is_lead=True, action=Action.APPROVE)
    with pytest.raises(NotFound):
        reviews.decline(ask_id=one, actor="W0LEE", is_lead=True, reason="no")
    assert reviews.find_visible("PLAT-1", team_id="T2", user="W0LEE", is_lead=True) is None
    assert reviews.find_visible("PLAT-1", team_id="T1", user="W0LEE", is_lead=True) is None
    assert reviews.audit(one) == []
    milestones = MilestoneService(factory, clock).for_team("T2")
    with pytest.raises(NotFound):
        milestones.check(ask_id=one, actor="W0LEE", is_lead=True)
    with pytest.raises(NotFound):
        milestones.confirm_done(one, "W0ALICE")
    # The ask is untouched, and its own workspace can act on it.
    assert service.get(one).ticket.status.value == "submitted"
    decision = (
        ReviewService(factory, clock)
        .for_team("T1")
        .decline(ask_id=one, actor="W0LEE", is_lead=True, reason="duplicate")
    )
    assert decision.ticket.status.value == "declined"


def test_a_scoped_unit_of_work_refuses_to_write_another_workspaces_ask(
    factory: UnitOfWorkFactory,
) -> None:
    service = service_on(factory)
    one = submitted(service, "T1", "we need a postgres db for zebrabill asap")
    with TeamUnitOfWork(factory(), "T1") as uow:
        conversation = uow.asks.get(one)
        assert conversation is not None
        conversation.ticket.team_id = "T2"
        with pytest.raises(OtherWorkspace):
            uow.asks.save(conversation)
        with pytest.raises(OtherWorkspace):
            uow.next_number("T2")


def test_integration_events_say_which_workspace_the_ask_is_in() -> None:
    service = service_on(InMemoryStore())
    one = submitted(service, "T1", "we need a postgres db for zebrabill asap")
    ticket = service.get(one).ticket
    event = events.status_changed(ticket, ticket.history[-1])
    assert (event["ask_id"], event["team_id"]) == ("PLAT-1", "T1")
