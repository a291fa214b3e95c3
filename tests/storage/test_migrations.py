"""The shipped Alembic migrations: they apply and revert cleanly, and agree with the models."""

from __future__ import annotations

import copy
import threading
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, inspect, select, text

import storage
from intake.conversation import Thread
from intake.ticket import AuditEntry
from storage import queue
from storage.db import MIGRATIONS_DIR, alembic_config
from storage.models import Base, QueueItemRow
from storage.models.columns import JSONType, UTCDateTime
from tests.storage.samples import T0, full_conversation


def _diff(engine: Engine, metadata: MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    engine = storage.make_engine(empty_database_url)
    try:
        assert _tables(engine) == set()
        assert storage.current_revision(engine) is None

        storage.upgrade(engine)
        assert _tables(engine) == set(Base.metadata.tables) | {"alembic_version"}
        assert storage.current_revision(engine) == storage.head_revision()
        assert _diff(engine, Base.metadata) == []

        storage.downgrade(engine, "base")
        assert _tables(engine) <= {"alembic_version"}
        assert storage.current_revision(engine) is None

        storage.upgrade(engine)
        assert _tables(engine) == set(Base.metadata.tables) | {"alembic_version"}
        assert storage.current_revision(engine) == storage.head_revision()
        storage.upgrade(engine)  # at head already: nothing to do
        assert storage.current_revision(engine) == storage.head_revision()
    finally:
        engine.dispose()


def test_upgrade_by_url(empty_database_url: str) -> None:
    storage.upgrade(empty_database_url)
    engine = storage.make_engine(empty_database_url)
    try:
        assert storage.current_revision(engine) == storage.head_revision()
    finally:
        engine.dispose()


def test_models_and_migrations_agree(engine: Engine) -> None:
    assert _diff(engine, Base.metadata) == []


def test_drift_would_be_noticed(engine: Engine) -> None:
    """The comparison above is not vacuous: it sees a column, a type and a table change."""
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["asks"].append_column(Column("extra", Integer))
    drifted.tables["counters"].c.team_id.type = String(20)
    Table("unmigrated", drifted, Column("id", Integer, primary_key=True))
    kinds = {diff[0] if isinstance(diff, tuple) else diff[0][0] for diff in _diff(engine, drifted)}  # type: ignore[index]
    assert {"add_column", "add_table", "modify_type"} <= kinds


def test_migrations_ship_inside_the_package() -> None:
    package = __import__("storage").__file__
    assert package is not None
    assert MIGRATIONS_DIR.parent.samefile(__import__("pathlib").Path(package).parent)
    for name in (
        "env.py",
        "script.py.mako",
        "versions/0001_initial.py",
        "versions/0002_review.py",
        "versions/0003_followthrough.py",
        "versions/0004_assistant.py",
        "versions/0005_installations.py",
        "versions/0006_slack_jobs.py",
        "versions/0007_pace_take_function.py",
        "versions/0008_ask_messages.py",
        "versions/0009_answer_notes.py",
        "versions/0010_plan_warning.py",
        "versions/0011_queue.py",
        "versions/0012_webhooks_on_queue.py",
        "versions/0013_slack_messages_on_queue.py",
        "versions/0014_tracker_links.py",
        "versions/0015_drop_slack_jobs.py",
    ):
        assert (MIGRATIONS_DIR / name).is_file(), name
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == ["0015"]  # one line of history
    assert [script.revision for script in scripts.walk_revisions()] == [
        "0015",
        "0014",
        "0013",
        "0012",
        "0011",
        "0010",
        "0009",
        "0008",
        "0007",
        "0006",
        "0005",
        "0004",
        "0003",
        "0002",
        "0001",
    ]
    assert alembic_config().config_file_name is None  # no alembic.ini involved


def test_replicas_can_migrate_at_the_same_time(empty_database_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start_replica() -> None:
        try:
            barrier.wait(timeout=30)
            storage.upgrade(empty_database_url)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start_replica) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    engine = storage.make_engine(empty_database_url)
    try:
        assert storage.current_revision(engine) == storage.head_revision()
        assert _diff(engine, Base.metadata) == []
    finally:
        engine.dispose()


def test_review_migration_keeps_asks_both_ways(empty_database_url: str) -> None:
    """0002 adds and drops columns in place: going down to 0001 and up again keeps every ask
    (no table is recreated, so no ON DELETE CASCADE fires) and only loses the review data."""
    engine = storage.make_engine(empty_database_url)
    try:
        storage.upgrade(engine)
        uow_factory = storage.SqlUnitOfWorkFactory(engine, event_kinds=["webhook"])
        original = full_conversation()
        with uow_factory() as uow:
            uow.asks.add(original)
            assert original.ticket.id is not None
            uow.record_audit(original.ticket.id, AuditEntry(T0, "U1", "approve", "ok"))
            uow.enqueue_event(original.ticket.id, {"id": "e1"}, T0)
            uow.commit()
        ask_id = original.ticket.id

        storage.downgrade(engine, "0001")
        assert storage.current_revision(engine) == "0001"
        assert {"audit", "webhook_outbox"} & _tables(engine) == set()
        columns = {c["name"] for c in inspect(engine).get_columns("asks")}
        assert {"owner", "decided_at"} & columns == set()
        with engine.connect() as connection:
            for table in ("asks", "conversations", "milestones", "history"):
                count = connection.scalar(text(f"SELECT count(*) FROM {table}"))
                assert count == (3 if table == "milestones" else 2 if table == "history" else 1)

        storage.upgrade(engine)
        with uow_factory() as uow:
            loaded = uow.asks.get(ask_id)
            assert loaded is not None
            assert uow.audit(ask_id) == []
        expected = copy.deepcopy(original)
        expected.ticket.owner = expected.ticket.decided_at = None
        expected.card = expected.seen = None
        # Going below 0003 loses the follow-through data too, and below 0008 the answer notes.
        expected.ticket.done_requested_at = None
        expected.ticket.answer_notes = {}
        for milestone in expected.ticket.milestones:
            milestone.reason, milestone.log = "", []
        assert loaded == expected
    finally:
        engine.dispose()


def test_followthrough_migration_keeps_asks_both_ways(empty_database_url: str) -> None:
    """0003 adds and drops in place: down to 0002 and up again keeps every ask and milestone
    and only loses the follow-through data; existing milestones get the column defaults."""
    engine = storage.make_engine(empty_database_url)
    try:
        storage.upgrade(engine)
        uow_factory = storage.SqlUnitOfWorkFactory(engine)
        original = full_conversation()
        with uow_factory() as uow:
            uow.asks.add(original)
            uow.commit()
        ask_id = original.ticket.id
        assert ask_id is not None
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO job_runs (job, period, claimed_at, claimed_by)"
                    " VALUES ('digest', '2026-W48', CURRENT_TIMESTAMP, 'r1')"
                )
            )

        new_tables = {"job_runs", "slack_outbox", "people", "pace"}
        storage.downgrade(engine, "0002")
        assert storage.current_revision(engine) == "0002"
        assert new_tables & _tables(engine) == set()
        assert "done_requested_at" not in {c["name"] for c in inspect(engine).get_columns("asks")}
        milestone_columns = {c["name"] for c in inspect(engine).get_columns("milestones")}
        assert {"reason", "log"} & milestone_columns == set()
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM milestones")) == 3
            assert connection.scalar(text("SELECT count(*) FROM history")) == 2

        storage.upgrade(engine)
        assert new_tables - {"slack_outbox"} <= _tables(engine)  # 0013 moved it into the queue
        assert _diff(engine, Base.metadata) == []
        with uow_factory() as uow:
            loaded = uow.asks.get(ask_id)
        expected = copy.deepcopy(original)
        expected.ticket.done_requested_at = None
        expected.ticket.answer_notes = {}  # added by 0008, below which it went
        for milestone in expected.ticket.milestones:
            milestone.reason, milestone.log = "", []
        assert loaded == expected
    finally:
        engine.dispose()


def _webhook_outbox() -> Table:
    """``webhook_outbox`` as 0002 made it (before 0012 moved it into the queue)."""
    return Table(
        "webhook_outbox",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("ask_id", Integer),
        Column("event_id", String(255)),
        Column("payload", JSONType),
        Column("created_at", UTCDateTime),
        Column("attempts", Integer),
        Column("next_attempt_at", UTCDateTime),
        Column("delivered_at", UTCDateTime),
        Column("last_error", Text),
    )


def test_webhook_migration_moves_the_outbox_into_the_queue_and_back(
    empty_database_url: str,
) -> None:
    """0012: undelivered events become pending ``webhook`` items where they stood (order per
    ask, failed attempts, next attempt, last error), delivered ones done items; the
    downgrade moves them back."""
    engine = storage.make_engine(empty_database_url)
    outbox = _webhook_outbox()
    later = T0 + timedelta(seconds=8)
    try:
        storage.upgrade(engine, "0011")
        uow_factory = storage.SqlUnitOfWorkFactory(engine)
        asks = [full_conversation(), full_conversation(team_id="T2", thread=Thread("C2", "2.0"))]
        with uow_factory() as uow:
            for conversation in asks:
                uow.asks.add(conversation)
            uow.commit()
        a, b = (conversation.ticket.id for conversation in asks)
        rows = [  # (ask, event, attempts, next attempt, delivered, error), in outbox order
            (a, "a0", 0, T0, T0, None),
            (a, "a1", 3, later, None, "HTTP 500"),
            (b, "b1", 0, T0, None, None),
            (a, "a2", 0, T0, None, None),
        ]
        with engine.begin() as connection:
            for ask_id, event_id, attempts, next_at, delivered, error in rows:
                connection.execute(
                    outbox.insert().values(
                        ask_id=ask_id, event_id=event_id, payload={"id": event_id},
                        created_at=T0, attempts=attempts, next_attempt_at=next_at,
                        delivered_at=delivered, last_error=error,
                    )
                )  # fmt: skip

        storage.upgrade(engine)
        assert "webhook_outbox" not in _tables(engine)
        assert _diff(engine, Base.metadata) == []
        with engine.connect() as connection:
            items = connection.execute(select(QueueItemRow.__table__).order_by("id")).all()
        assert [
            (i.kind, i.key, i.order_key, i.team_id, i.payload, i.attempts, i.max_attempts)
            for i in items
        ] == [
            ("webhook", "webhook:a0", f"webhook:ask:{a}", "T001", {"id": "a0"}, 0, None),
            ("webhook", "webhook:a1", f"webhook:ask:{a}", "T001", {"id": "a1"}, 3, None),
            ("webhook", "webhook:b1", f"webhook:ask:{b}", "T2", {"id": "b1"}, 0, None),
            ("webhook", "webhook:a2", f"webhook:ask:{a}", "T001", {"id": "a2"}, 0, None),
        ]
        assert [(i.done_at, i.run_at, i.last_error) for i in items[:2]] == [
            (T0, T0, None),
            (None, later, "HTTP 500"),
        ]
        assert queue.pending(engine) == {"webhook": (3, T0)}
        # a1 waits for its next attempt and holds a2 back; b1 goes now.
        assert [item.key for item in queue.claim(engine, T0, 10)] == ["webhook:b1"]
        (retry,) = queue.claim(engine, later, 10)
        assert (retry.key, retry.attempts) == ("webhook:a1", 4)  # the count goes on
        queue.release(engine, [retry.id], later)

        storage.downgrade(engine, "0011")
        with engine.connect() as connection:
            back = connection.execute(select(outbox).order_by(outbox.c.id)).all()
            left = connection.scalar(text("SELECT count(*) FROM queue_items"))
        assert [(r.ask_id, r.event_id, r.delivered_at) for r in back] == [
            (a, "a0", T0),
            (a, "a1", None),
            (b, "b1", None),
            (a, "a2", None),
        ]
        assert left == 0
        storage.upgrade(engine)
        assert queue.pending(engine)["webhook"][0] == 3
    finally:
        engine.dispose()


def test_the_upgrade_that_drops_deferred_requests_waits_until_none_is_left(
    empty_database_url: str,
) -> None:
    """0015 drops ``slack_jobs``: a stored raw Slack request cannot become a typed command, so
    while one is left the upgrade is refused, saying what to do, and the request is kept.
    Once it is gone the upgrade goes through; going down recreates the table, empty."""
    engine = storage.make_engine(empty_database_url)
    try:
        storage.upgrade(engine, "0014")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO slack_jobs (body, content_type, created_at, attempts) "
                    "VALUES ('payload=1', 'application/x-www-form-urlencoded', :at, 0)"
                ),
                {"at": T0},
            )
        with pytest.raises(storage.UpgradeRefused, match=r"1 deferred Slack request.*worker"):
            storage.upgrade(engine)
        assert storage.current_revision(engine) == "0014"
        with engine.begin() as connection:
            assert connection.scalar(text("SELECT count(*) FROM slack_jobs")) == 1
            connection.execute(text("DELETE FROM slack_jobs"))
        storage.upgrade(engine)
        assert "slack_jobs" not in _tables(engine)
        storage.downgrade(engine, "0014")
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM slack_jobs")) == 0
        storage.upgrade(engine)
        assert storage.current_revision(engine) == "0015"
    finally:
        engine.dispose()
