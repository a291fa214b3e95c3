"""The delivery side of the webhook outbox (storage.outbox), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import Engine, select

from intake.conversation import Thread
from storage import SqlUnitOfWorkFactory
from storage.models import OutboxRow
from storage.outbox import (
    LEASE,
    MAX_BACKOFF,
    OutboxItem,
    backoff,
    delivered,
    due,
    failed,
    oldest_pending_age,
    pending_count,
    purge_delivered,
    release,
)
from tests.storage.samples import T0, minimal_conversation
from tests.storage.threads import in_threads


def add_asks(uow_factory: SqlUnitOfWorkFactory, count: int) -> list[int]:
    ids = []
    with uow_factory() as uow:
        for n in range(count):
            conversation = minimal_conversation(thread=Thread("C1", f"{n}.0"))
            uow.asks.add(conversation)
            assert conversation.ticket.id is not None
            ids.append(conversation.ticket.id)
        uow.commit()
    return ids


def enqueue(
    uow_factory: SqlUnitOfWorkFactory, *events: tuple[int, str], at: timedelta = timedelta(0)
) -> None:
    with uow_factory() as uow:
        for ask_id, event_id in events:
            uow.enqueue_event(ask_id, {"id": event_id, "ask": ask_id}, T0 + at)
        uow.commit()


def ids(items: list[OutboxItem]) -> list[str]:
    return [item.event_id for item in items]


def row(engine: Engine, event_id: str) -> OutboxRow:
    with engine.connect() as connection:
        found = connection.execute(
            select(OutboxRow.__table__).where(OutboxRow.event_id == event_id)
        ).one()
    return found  # type: ignore[return-value]


def test_backoff_doubles_up_to_ten_minutes() -> None:
    waits = [backoff(n).total_seconds() for n in range(1, 13)]
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, 600]
    assert backoff(10_000) == MAX_BACKOFF == timedelta(minutes=10)


def test_due_gives_the_oldest_undelivered_event_of_each_ask(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    a, b, c = add_asks(uow_factory, 3)
    enqueue(uow_factory, (a, "a1"), (b, "b1"), (a, "a2"))
    enqueue(uow_factory, (b, "b2"), (a, "a3"))
    enqueue(uow_factory, (c, "c1"), at=timedelta(seconds=30))  # not due before T0 + 30 s

    items = due(engine, T0)
    assert ids(items) == ["a1", "b1"]
    assert items[0] == OutboxItem(items[0].id, a, "a1", {"id": "a1", "ask": a}, 0)
    assert due(engine, T0) == []  # claimed: nobody else gets them meanwhile
    assert pending_count(engine) == 6

    delivered(engine, items[0].id, T0)
    assert ids(due(engine, T0)) == ["a2"]  # a's next; b1 is still claimed
    assert ids(due(engine, T0 + LEASE - timedelta(microseconds=1))) == ["c1"]
    assert ids(due(engine, T0 + LEASE)) == ["b1", "a2"]  # their leases ran out
    assert row(engine, "a1").delivered_at == T0
    assert pending_count(engine) == 5


def test_limit_and_excluded_asks(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    asks = add_asks(uow_factory, 5)
    enqueue(uow_factory, *[(ask_id, f"e{n}") for n, ask_id in enumerate(asks)])
    assert ids(due(engine, T0, limit=2, exclude_asks={asks[0]})) == ["e1", "e2"]
    assert ids(due(engine, T0, limit=10, exclude_asks=[asks[3]])) == ["e0", "e4"]
    assert ids(due(engine, T0)) == ["e3"]


def test_a_failing_event_holds_back_its_ask_only(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    a, b = add_asks(uow_factory, 2)
    enqueue(uow_factory, (a, "a1"), (a, "a2"), (b, "b1"), (b, "b2"))
    now = T0
    for attempt in range(1, 31):  # never dropped, however often it fails
        items = {item.event_id: item for item in due(engine, now)}
        assert "a2" not in items
        if "a1" in items:
            assert items["a1"].attempts == attempt - 1
            wait = failed(engine, items["a1"].id, f"HTTP 500 #{attempt}", now)
            assert wait == backoff(attempt)
        for name in ("b1", "b2"):
            if name in items:
                delivered(engine, items[name].id, now)
        failing = row(engine, "a1")
        assert failing.attempts == attempt and failing.last_error == f"HTTP 500 #{attempt}"
        assert failing.next_attempt_at == now + backoff(attempt)
        early = due(engine, now + backoff(attempt) - timedelta(microseconds=1))
        assert {item.ask_id for item in early} <= {b}
        for item in early:
            delivered(engine, item.id, now)
        now += backoff(attempt)
    assert row(engine, "b2").delivered_at is not None
    assert pending_count(engine) == 2
    (retry,) = due(engine, now)
    assert retry.event_id == "a1" and retry.attempts == 30
    delivered(engine, retry.id, now)
    assert ids(due(engine, now)) == ["a2"]


def test_failed_after_delivered_changes_nothing(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    (a,) = add_asks(uow_factory, 1)
    enqueue(uow_factory, (a, "a1"))
    (item,) = due(engine, T0)
    delivered(engine, item.id, T0)
    delivered(engine, item.id, T0 + timedelta(hours=1))  # the first delivery time stays
    assert failed(engine, item.id, "late", T0) is None  # a slow duplicate's failure
    stored = row(engine, "a1")
    assert (stored.delivered_at, stored.attempts, stored.last_error) == (T0, 0, None)
    assert failed(engine, 424242, "unknown", T0) is None


def test_long_errors_are_shortened(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    (a,) = add_asks(uow_factory, 1)
    enqueue(uow_factory, (a, "a1"))
    (item,) = due(engine, T0)
    failed(engine, item.id, "x" * 10_000, T0)
    assert len(row(engine, "a1").last_error or "") == 2000


def test_release_gives_claims_back(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    a, b = add_asks(uow_factory, 2)
    enqueue(uow_factory, (a, "a1"), (b, "b1"))
    items = due(engine, T0)
    release(engine, [items[1].id], T0)
    release(engine, [], T0)
    assert ids(due(engine, T0)) == ["b1"]


def test_pending_count_and_oldest_pending_age(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    assert pending_count(engine) == 0
    assert oldest_pending_age(engine, T0) is None
    a, b = add_asks(uow_factory, 2)
    enqueue(uow_factory, (a, "a1"))
    enqueue(uow_factory, (b, "b1"), at=timedelta(seconds=10))
    assert pending_count(engine) == 2
    assert oldest_pending_age(engine, T0 + timedelta(seconds=25)) == 25.0
    (first, second) = due(engine, T0 + timedelta(seconds=10))
    delivered(engine, first.id, T0 + timedelta(seconds=26))
    assert pending_count(engine) == 1
    assert oldest_pending_age(engine, T0 + timedelta(seconds=25)) == 15.0
    delivered(engine, second.id, T0 + timedelta(seconds=27))
    assert pending_count(engine) == 0 and oldest_pending_age(engine, T0) is None

    assert purge_delivered(engine, T0 + timedelta(seconds=27)) == 1  # a1 only
    assert purge_delivered(engine, T0 + timedelta(days=1)) == 1
    with engine.connect() as connection:
        assert connection.scalars(select(OutboxRow.id)).all() == []


def test_concurrent_senders_never_hold_the_same_event(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    senders = 8
    asks = add_asks(uow_factory, 6)
    expected: dict[int, list[str]] = defaultdict(list)
    for n in range(5):
        batch = [(ask_id, f"{ask_id}-{n}") for ask_id in asks]
        enqueue(uow_factory, *batch)
        for ask_id, event_id in batch:
            expected[ask_id].append(event_id)

    sent: dict[int, list[str]] = defaultdict(list)
    holding: set[int] = set()
    lock = threading.Lock()

    def sender() -> None:
        idle = 0
        while idle < 20:
            items = due(engine, T0, limit=3)
            if not items:
                idle += 1
                threading.Event().wait(0.01)
                continue
            idle = 0
            for item in items:
                with lock:
                    assert item.id not in holding, f"{item.event_id} claimed twice"
                    holding.add(item.id)
                    sent[item.ask_id].append(item.event_id)
                delivered(engine, item.id, T0)
                with lock:
                    holding.discard(item.id)

    in_threads(senders, sender)
    assert dict(sent) == dict(expected)  # each event once, in order per ask
    assert pending_count(engine) == 0
