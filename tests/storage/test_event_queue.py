"""Integration events fan out to their subscribers through the durable queue
(``SqlUnitOfWork.enqueue_event``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select

from intake.conversation import Thread
from storage import SqlUnitOfWorkFactory, queue
from storage.models import QueueItemRow
from tests.storage.samples import T0, minimal_conversation


def add_asks(factory: SqlUnitOfWorkFactory, *teams: str) -> list[int]:
    ids = []
    with factory() as uow:
        for n, team in enumerate(teams):
            conversation = minimal_conversation(team_id=team, thread=Thread("C1", f"{n}.0"))
            uow.asks.add(conversation)
            assert conversation.ticket.id is not None
            ids.append(conversation.ticket.id)
        uow.commit()
    return ids


def event(event_id: str, team: str) -> dict[str, object]:
    return {"id": event_id, "team_id": team, "type": "ask.status_changed"}


def test_each_subscriber_gets_each_event_in_order_per_ask(engine: Engine) -> None:
    factory = SqlUnitOfWorkFactory(engine, event_kinds=["webhook", "tracker"])
    a, b = add_asks(factory, "T1", "T2")
    at = datetime(2025, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with factory() as uow:
        uow.enqueue_event(a, event("a1", "T1"), at)
        uow.enqueue_event(b, event("b1", "T2"), at)
        uow.enqueue_event(a, event("a2", "T1"), at)
        uow.commit()

    with engine.connect() as connection:
        rows = connection.execute(select(QueueItemRow.__table__).order_by("id")).all()
    assert [(r.kind, r.key, r.order_key, r.team_id) for r in rows] == [
        ("webhook", "webhook:a1", f"webhook:ask:{a}", "T1"),
        ("tracker", "tracker:a1", f"tracker:ask:{a}", "T1"),
        ("webhook", "webhook:b1", f"webhook:ask:{b}", "T2"),
        ("tracker", "tracker:b1", f"tracker:ask:{b}", "T2"),
        ("webhook", "webhook:a2", f"webhook:ask:{a}", "T1"),
        ("tracker", "tracker:a2", f"tracker:ask:{a}", "T1"),
    ]
    for row in rows:
        assert row.payload == event(row.key.split(":", 1)[1], row.team_id)
        assert row.created_at == row.run_at == at and row.run_at.utcoffset() == timedelta(0)
        assert (row.attempts, row.max_attempts, row.done_at) == (0, None, None)  # never dropped

    # Each subscriber has its own order per ask: a slow tracker never holds the webhook back.
    first = queue.claim(engine, at, 10)
    assert sorted(item.key or "" for item in first) == sorted(
        ["webhook:a1", "tracker:a1", "webhook:b1", "tracker:b1"]
    )
    webhook_a1 = next(item for item in first if item.key == "webhook:a1")
    queue.done(engine, webhook_a1.id, at)
    assert [item.key for item in queue.claim(engine, at, 10)] == ["webhook:a2"]


def test_commits_that_queue_events_wake_the_runner_once(engine: Engine) -> None:
    calls: list[int] = []
    factory = SqlUnitOfWorkFactory(
        engine, event_kinds=["webhook"], on_queued=lambda: calls.append(1)
    )
    (ask_id,) = add_asks(factory, "T1")
    assert calls == []  # nothing queued
    with factory() as uow:
        uow.enqueue_event(ask_id, {"id": "e1"}, T0)
        uow.enqueue_event(ask_id, {"id": "e2"}, T0)
        uow.commit()
    assert calls == [1]  # once per commit
    with factory() as uow:
        uow.enqueue_event(ask_id, {"id": "e3"}, T0)
        uow.rollback()
        uow.commit()
    with factory() as uow:
        uow.enqueue_event(ask_id, {"id": "e4"}, T0)
        # left without commit
    assert calls == [1]
    assert queue.pending(engine)["webhook"][0] == 2


def test_without_subscribers_nothing_is_queued(engine: Engine) -> None:
    calls: list[int] = []
    factory = SqlUnitOfWorkFactory(engine, on_queued=lambda: calls.append(1))
    (ask_id,) = add_asks(factory, "T1")
    with factory() as uow:
        uow.enqueue_event(ask_id, {"id": "e1"}, T0)
        uow.commit()
    assert calls == []
    assert queue.pending(engine) == {}
