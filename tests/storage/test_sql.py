"""What the SQL implementation adds to the port contract: how rows are kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, delete, event, func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from intake.conversation import Thread
from intake.ticket import AuditEntry, HistoryEntry, Milestone, Status
from storage import ConcurrentUpdate, SqlUnitOfWorkFactory
from storage.ask_rows import (
    decode_json,
    decode_milestone_log,
    encode_json,
    encode_milestone_log,
    key_number,
)
from storage.models import (
    AskRow,
    AuditRow,
    ConversationRow,
    HistoryRow,
    MilestoneRow,
    ProcessedKeyRow,
    TranscriptRow,
)
from tests.storage.samples import LONG_PASTE, T0, add, full_conversation, minimal_conversation


def test_save_keeps_row_ids(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    ask_id = add(uow_factory, full_conversation())

    def ids(model: type[MilestoneRow] | type[HistoryRow]) -> list[int]:
        with engine.connect() as connection:
            query = select(model.id).where(model.ask_id == ask_id).order_by(model.id)
            return list(connection.scalars(query))

    milestones, history = ids(MilestoneRow), ids(HistoryRow)
    assert len(milestones) == 3 and len(history) == 2

    with uow_factory() as uow:
        conversation = uow.asks.get(ask_id)
        assert conversation is not None
        conversation.ticket.milestones[0].title = "renamed"
        conversation.ticket.milestones.append(Milestone(title="fourth"))
        conversation.ticket.history.append(
            HistoryEntry(T0 + timedelta(days=1), "U9", Status.SUBMITTED, Status.ACCEPTED)
        )
        uow.asks.save(conversation)
        uow.commit()

    new_milestones, new_history = ids(MilestoneRow), ids(HistoryRow)
    assert new_milestones[:3] == milestones and len(new_milestones) == 4
    assert new_history[:2] == history and len(new_history) == 3

    with uow_factory() as uow:
        conversation = uow.asks.get(ask_id)
        assert conversation is not None
        del conversation.ticket.milestones[1:]
        uow.asks.save(conversation)
        uow.commit()
    assert ids(MilestoneRow) == milestones[:1]


def test_number_is_the_keys_suffix(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    draft = add(uow_factory, minimal_conversation())
    submitted = add(uow_factory, minimal_conversation(key="PLAT-12", thread=Thread("C", "1")))
    with engine.connect() as connection:
        numbers = {i: n for i, n in connection.execute(select(AskRow.id, AskRow.number))}
    assert numbers == {draft: None, submitted: 12}
    assert key_number("PLAT-007") == 7 and key_number("PLAT") is None and key_number(None) is None

    with pytest.raises(IntegrityError), uow_factory() as uow:  # same workspace, same number
        uow.asks.add(minimal_conversation(key="OPS-12"))
    with uow_factory() as uow:  # another workspace may have its 12
        uow.asks.add(minimal_conversation(team_id="T2", key="OPS-12"))
        uow.commit()


def test_fields_are_stored_as_tagged_json(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    conversation = minimal_conversation()
    conversation.ticket.fields = {"go_live": date(2025, 4, 1), "plain": "2025-04-01"}
    ask_id = add(uow_factory, conversation)
    with engine.connect() as connection:
        raw = connection.scalar(select(AskRow.fields).where(AskRow.id == ask_id))
    assert raw == {"go_live": {"$date": "2025-04-01"}, "plain": "2025-04-01"}

    value = {
        "d": date(2025, 1, 2),
        "dt": datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
        "l": [date(2025, 1, 3), {"$x": 1}],
        "t": (1, 2),
    }
    assert decode_json(encode_json(value)) == {**value, "t": [1, 2]}


def test_times_are_utc_and_naive_times_are_refused(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    berlin = timezone(timedelta(hours=2))
    conversation = minimal_conversation(created_at=datetime(2025, 6, 1, 12, 0, tzinfo=berlin))
    ask_id = add(uow_factory, conversation)
    with uow_factory() as uow:
        loaded = uow.asks.get(ask_id)
    assert loaded is not None and loaded.ticket.created_at is not None
    assert loaded.ticket.created_at.tzinfo is not None
    assert loaded.ticket.created_at.utcoffset() == timedelta(0)
    assert loaded.ticket.created_at == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    with engine.connect() as connection:
        row = connection.execute(select(AskRow.created_at, AskRow.updated_at)).one()
    assert all(value.utcoffset() == timedelta(0) for value in row)

    with pytest.raises((ValueError, StatementError), match="naive"), uow_factory() as uow:
        uow.record_message(ask_id, "U1", "hi", datetime(2025, 6, 1, 12, 0))


def test_concurrent_update_surfaces_at_save(uow_factory: SqlUnitOfWorkFactory) -> None:
    ask_id = add(uow_factory, minimal_conversation())
    with uow_factory() as stale:
        old = stale.asks.get(ask_id)
        stale.commit()
        with uow_factory() as other:
            newer = other.asks.get(ask_id)
            assert newer is not None
            newer.ticket.title = "newer"
            other.asks.save(newer)
            other.commit()
        assert old is not None
        old.ticket.milestones.append(Milestone(title="only a child row changed"))
        with pytest.raises(ConcurrentUpdate) as caught:
            stale.asks.save(old)
        assert caught.value.ask_id == ask_id


def test_save_without_reading_first(uow_factory: SqlUnitOfWorkFactory) -> None:
    ask_id = add(uow_factory, minimal_conversation())
    with uow_factory() as uow:
        conversation = uow.asks.get(ask_id)
    assert conversation is not None
    conversation.ticket.title = "saved by a later unit of work"
    with uow_factory() as uow:
        uow.asks.save(conversation)
        uow.commit()
    with uow_factory() as uow:
        assert uow.asks.get(ask_id).ticket.title == conversation.ticket.title  # type: ignore[union-attr]


def test_version_advances_on_every_save(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    ask_id = add(uow_factory, minimal_conversation())

    def version() -> int | None:
        with engine.connect() as connection:
            return connection.scalar(select(AskRow.version_id).where(AskRow.id == ask_id))

    assert version() == 1
    for expected in (2, 3):
        with uow_factory() as uow:
            conversation = uow.asks.get(ask_id)
            assert conversation is not None
            uow.asks.save(conversation)  # even without changes
            uow.commit()
        assert version() == expected


def test_long_claim_keys_are_hashed(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    long_key = "block_actions:" + "x" * 500
    with uow_factory() as uow:
        assert uow.claim(long_key) and uow.claim("short")
        uow.commit()
    with engine.connect() as connection:
        keys = set(connection.scalars(select(ProcessedKeyRow.key)))
    assert "short" in keys
    (hashed,) = keys - {"short"}
    assert hashed.startswith("sha256:") and len(hashed) == 71


def test_transcript_keeps_long_text_whole(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    ask_id = add(uow_factory, minimal_conversation())
    with uow_factory() as uow:
        uow.record_message(ask_id, "U1", LONG_PASTE, T0)
        uow.commit()
    with engine.connect() as connection:
        length = connection.scalar(select(func.length(TranscriptRow.text)))
        text_ = connection.scalar(select(TranscriptRow.text))
    assert length == 40_000 and text_ == LONG_PASTE


def test_foreign_keys_are_enforced(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    with pytest.raises(IntegrityError), uow_factory() as uow:
        uow.record_message(424242, "U1", "no such ask", T0)

    ask_id = add(uow_factory, full_conversation())
    with uow_factory() as uow:
        uow.record_message(ask_id, "U1", "hello", T0)
        uow.record_audit(ask_id, AuditEntry(T0, "U1", "approve", "ok"))
        uow.commit()
    with engine.begin() as connection:
        connection.execute(delete(AskRow).where(AskRow.id == ask_id))
    with engine.connect() as connection:
        for model in (MilestoneRow, HistoryRow, TranscriptRow, AuditRow):
            count = connection.scalar(select(func.count()).select_from(model))
            assert count == 0, model.__tablename__
        assert connection.scalar(select(func.count()).select_from(ConversationRow)) == 0


def test_thread_columns(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    ask_id = add(uow_factory, minimal_conversation(team_id="T7", thread=Thread("C9", "1.5")))
    cli = add(uow_factory, minimal_conversation(team_id="T7"))
    another_cli = add(uow_factory, minimal_conversation(team_id="T7"))  # NULL threads don't clash
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT ask_id, team_id, channel, thread_ts FROM conversations ORDER BY ask_id")
        ).all()
    assert [tuple(row) for row in rows] == [
        (ask_id, "T7", "C9", "1.5"),
        (cli, "T7", None, None),
        (another_cli, "T7", None, None),
    ]


def test_review_columns(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    ask_id = add(uow_factory, full_conversation())
    plain = add(uow_factory, minimal_conversation())
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT a.id, a.owner, c.card_channel, c.card_ts, c.seen FROM asks a "
                "JOIN conversations c ON c.ask_id = a.id ORDER BY a.id"
            )
        ).all()
        decided = connection.scalar(select(AskRow.decided_at).where(AskRow.id == ask_id))
    (_, owner, channel, ts, seen), (_, *empty) = rows
    assert (owner, channel, ts) == ("U300", "C0REVIEW", "1700000001.000400")
    if isinstance(seen, str):  # SQLite hands raw JSON text to text() queries
        seen = __import__("json").loads(seen)
    assert seen["$dict"]["$odd key"] == {"$dict": {"$date": "a user's text, not a tag"}}
    assert empty == [None, None, None, None]
    assert decided is not None and decided.utcoffset() == timedelta(0)
    assert plain != ask_id


def test_list_loads_whole_tickets_in_a_fixed_number_of_queries(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def listed() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            with uow_factory() as uow:
                tickets = uow.asks.list()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert all(len(t.milestones) == 3 and len(t.history) == 2 for t in tickets)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    add(uow_factory, full_conversation())
    one = listed()
    for n in range(9):
        add(uow_factory, full_conversation(thread=Thread("C", f"{n}.0"), key=f"PLAT-{n + 20}"))
    assert listed() == one <= 4  # asks, conversations, milestones, history


def test_milestone_log_is_stored_as_plain_json(
    uow_factory: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    ask_id = add(uow_factory, full_conversation())
    with engine.connect() as connection:
        rows = connection.execute(
            select(MilestoneRow.reason, MilestoneRow.log)
            .where(MilestoneRow.ask_id == ask_id)
            .order_by(MilestoneRow.position)
        ).all()
    assert [(reason, log) for reason, log in rows[:2]] == [("", []), ("", [])]
    reason, log = rows[2]
    assert reason.startswith("Vendor quota pending")
    assert log[1] == {
        "at": "2025-03-06T17:00:00+00:00",  # 12:00 at UTC-5, kept in UTC
        "actor": "U300",
        "what": "status",
        "old": "on_track",
        "new": "at_risk",
        "reason": log[1]["reason"],
    }
    assert decode_milestone_log(log) == full_conversation().ticket.milestones[2].log
    assert encode_milestone_log(decode_milestone_log(log)) == log
    with engine.connect() as connection:
        stored = connection.scalar(select(AskRow.done_requested_at).where(AskRow.id == ask_id))
    assert stored == T0 + timedelta(days=40)


def test_milestones_added_before_0003_get_defaults(engine: Engine) -> None:
    """Rows written without the new columns (as before the migration) read as no reason and
    an empty log: the server defaults."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO asks (id, team_id, status, requester, category, title, problem,"
                " impact, desired_outcome, acceptance_criteria, out_of_scope, environment,"
                " services, links, fields, no_deadline, created_at, updated_at, version_id)"
                " VALUES (7, 'T1', 'accepted', 'U1', 'other', 't', '', '', '', '[]', '[]',"
                " '[]', '[]', '[]', '{}', false, :at, :at, 1)"
            ),
            {"at": T0.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO conversations (ask_id, team_id, source, tz, phase, asked, skipped,"
                " urgency) VALUES (7, 'T1', 'cli', 'UTC', 'submitted', '[]', '[]', 'none')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO milestones (ask_id, position, title, done_criterion, status)"
                " VALUES (7, 0, 'old one', '', 'on_track')"
            )
        )
    uow_factory = SqlUnitOfWorkFactory(engine)
    with uow_factory() as uow:
        loaded = uow.asks.get(7)
    assert loaded is not None
    (milestone,) = loaded.ticket.milestones
    assert (milestone.title, milestone.reason, milestone.log) == ("old one", "", [])
    assert loaded.ticket.done_requested_at is None
