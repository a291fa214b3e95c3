"""Tracker links (storage.tracker_links), on SQLite and PostgreSQL: the keys are written
before the tracker is called and never change; a milestone keeps its sub-item (its suffix)
whatever is added or removed around it; the ask carries its tracker link when read."""

from __future__ import annotations

from sqlalchemy import Engine

from intake.conversation import Thread
from intake.tracker import TrackerKind, TrackerRef
from storage import tracker_links
from storage.db import transaction
from storage.uow import SqlUnitOfWorkFactory
from tests.storage.samples import T0, full_conversation


def new_ask(uow_factory: SqlUnitOfWorkFactory) -> int:
    conversation = full_conversation(key="PLAT-7", thread=Thread("D1", "1.0"))
    with uow_factory() as uow:
        uow.asks.add(conversation)
        uow.commit()
    assert conversation.ticket.id is not None
    return conversation.ticket.id


def prepare(engine: Engine, ask: int, plan: list[str], project: str = "acme/ci") -> dict[str, str]:
    """Title -> suffix of the sub-item each milestone of ``plan`` is paired with."""
    with transaction(engine) as session:
        links = tracker_links.prepare(
            session, ask_id=ask, team_id="T001", tracker=TrackerKind.GITHUB, project=project,
            issue_key=f"intake-T001-{ask}", title="Billing DB", milestones=plan, at=T0,
        )  # fmt: skip
    paired = tracker_links.match(plan, links.subs)
    return {plan[i]: link.suffix for i, link in paired.items()}


def test_a_milestone_keeps_its_sub_item_when_the_plan_changes_around_it(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    ask = new_ask(uow_factory)
    assert prepare(engine, ask, ["Staging", "Prod"]) == {"Staging": "m1", "Prod": "m2"}
    # "Staging" removed, "Backups" added: Prod stays m2, Backups is new (m3), never m1 again.
    assert prepare(engine, ask, ["Prod", "Backups"]) == {"Prod": "m2", "Backups": "m3"}
    # Two milestones with the same title are two sub-items, in order.
    again = prepare(engine, ask, ["Prod", "Backups", "Prod"])
    assert again == {"Prod": "m4", "Backups": "m3"}  # the second "Prod" is new
    found = tracker_links.read_links(engine, ask)
    assert found is not None
    assert [s.issue_key for s in found.subs] == [f"intake-T001-{ask}.m{n}" for n in (1, 2, 3, 4)]


def test_the_first_route_and_key_stay_and_the_ask_shows_its_link_once_recorded(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    ask = new_ask(uow_factory)
    prepare(engine, ask, ["Staging"])
    prepare(engine, ask, ["Staging"], project="acme/elsewhere")  # the routes changed since
    found = tracker_links.read_links(engine, ask)
    assert found is not None and found.project == "acme/ci" and found.issue.ref is None
    with uow_factory() as uow:
        conversation = uow.asks.get(ask)
        assert conversation is not None and conversation.ticket.tracker is None, "not yet"
    ref = TrackerRef(TrackerKind.GITHUB, "acme/ci", "42", "9001", "https://github.test/42")
    with transaction(engine) as session:
        tracker_links.record(session, ask, "", ref, T0)
        assert tracker_links.announce(session, ask, T0)
        assert not tracker_links.announce(session, ask, T0), "announced once"
        assert tracker_links.ask_of_key(session, f"intake-T001-{ask}") == (ask, "T001")
        assert tracker_links.ask_of_key(session, f"intake-T001-{ask}.m1") is None
    with uow_factory() as uow:
        conversation = uow.asks.get(ask)
        assert conversation is not None
        assert conversation.ticket.tracker is not None
        assert conversation.ticket.tracker.label == "acme/ci#42"
        assert conversation.ticket.tracker.url == "https://github.test/42"
        listed = uow.asks.list(brief=True)
        assert [t.tracker.label for t in listed if t.tracker] == ["acme/ci#42"]
