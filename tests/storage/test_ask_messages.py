"""The registry of messages that show an ask (storage.ask_messages), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

import storage
from intake.conversation import Thread
from storage import ask_messages as registry
from storage.models import AskMessageRow
from storage.uow import SqlUnitOfWorkFactory
from tests.storage.samples import T0, full_conversation


def new_ask(uow_factory: SqlUnitOfWorkFactory, key: str, card: Thread | None = None) -> int:
    conversation = full_conversation(key=key, thread=Thread("D1", key))
    conversation.card = card
    with uow_factory() as uow:
        uow.asks.add(conversation)
        uow.commit()
    assert conversation.ticket.id is not None
    return conversation.ticket.id


def record(engine: Engine, ask: int, channel: str, ts: str, kind: str, at_s: int = 0) -> bool:
    return registry.record(
        engine,
        team_id="T001",
        ask_id=ask,
        channel=channel,
        ts=ts,
        kind=kind,
        viewer="U100" if kind != registry.REVIEW_CARD else None,
        at=T0 + timedelta(seconds=at_s),
    )


def test_messages_are_recorded_once_and_listed_per_ask(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    one, two = new_ask(uow_factory, "PLAT-1"), new_ask(uow_factory, "PLAT-2")
    assert record(engine, one, "C0REVIEW", "1.1", registry.REVIEW_CARD, 1)
    assert record(engine, one, "D1", "1.2", registry.SUBMITTED, 2)
    assert not record(engine, one, "D1", "1.2", registry.SUBMITTED, 3), "already recorded"
    # One nudge shows milestones of both asks.
    assert record(engine, one, "D2", "2.1", registry.NUDGE, 4)
    assert record(engine, two, "D2", "2.1", registry.NUDGE, 4)

    shown = registry.of_ask(engine, one)
    assert [(m.channel, m.ts, m.kind, m.viewer) for m in shown] == [
        ("C0REVIEW", "1.1", "review_card", None),
        ("D1", "1.2", "submitted", "U100"),
        ("D2", "2.1", "nudge", "U100"),
    ]
    assert shown[0].created_at == T0 + timedelta(seconds=1) and shown[0].team_id == "T001"
    assert registry.asks_in(engine, "D2", "2.1") == [one, two]

    assert shown[1].shown is None
    registry.mark_shown(engine, one, "D1", "1.2", "abc")
    assert [m.shown for m in registry.of_ask(engine, one)] == [None, "abc", None]
    registry.mark_shown(engine, one, "D1", "1.2", None)
    assert registry.of_ask(engine, one)[1].shown is None

    assert registry.forget(engine, "D2", "2.1") == 2, "a deleted message shows no ask"
    assert [m.ts for m in registry.of_ask(engine, one)] == ["1.1", "1.2"]
    assert registry.of_ask(engine, two) == []


def test_old_messages_of_a_kind_are_let_go(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    ask = new_ask(uow_factory, "PLAT-1")
    record(engine, ask, "D2", "1.1", registry.NUDGE, 0)
    record(engine, ask, "D2", "2.2", registry.NUDGE, 100)
    record(engine, ask, "C0REVIEW", "0.1", registry.REVIEW_CARD, 0)
    assert registry.forget_older(engine, registry.NUDGE, T0 + timedelta(seconds=50)) == 1
    assert [m.ts for m in registry.of_ask(engine, ask)] == ["0.1", "2.2"]


def test_bad_input_is_refused(engine: Engine, uow_factory: SqlUnitOfWorkFactory) -> None:
    ask = new_ask(uow_factory, "PLAT-1")
    with pytest.raises(ValueError, match="unknown kind"):
        record(engine, ask, "C1", "1.1", "digest")
    with pytest.raises(ValueError, match="naive"):
        registry.record(
            engine, team_id="T", ask_id=ask, channel="C", ts="1", kind="nudge", viewer=None,
            at=T0.replace(tzinfo=None),
        )  # fmt: skip
    with pytest.raises(IntegrityError):
        record(engine, ask + 100, "C1", "1.1", registry.NUDGE)  # no such ask


def test_recording_from_8_threads_keeps_one_row(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    ask = new_ask(uow_factory, "PLAT-1")
    results: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(record(engine, ask, "D1", "9.9", registry.OWNER_DM))
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert len(registry.of_ask(engine, ask)) == 1


def test_the_migration_enters_the_review_cards_already_posted(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    with_card = new_ask(uow_factory, "PLAT-1", card=Thread("C0REVIEW", "5.5"))
    new_ask(uow_factory, "PLAT-2")  # no card
    storage.downgrade(engine, "0007")
    storage.upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(select(AskMessageRow.ask_id, AskMessageRow.kind)).all()
    assert [tuple(r) for r in rows] == [(with_card, "review_card")]
    assert registry.of_ask(engine, with_card)[0].channel == "C0REVIEW"
