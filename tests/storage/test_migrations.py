"""The shipped Alembic migrations: they apply and revert cleanly, and agree with the models."""

from __future__ import annotations

import copy
import logging
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, inspect, text

import storage
from intake.ticket import AuditEntry
from storage.db import MIGRATIONS_DIR, alembic_config
from storage.models import Base
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
        "versions/0012_drop_slack_jobs.py",
    ):
        assert (MIGRATIONS_DIR / name).is_file(), name
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == ["0012"]  # one line of history
    assert [script.revision for script in scripts.walk_revisions()] == [
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
        uow_factory = storage.SqlUnitOfWorkFactory(engine)
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
        assert new_tables <= _tables(engine)
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


def test_deferred_work_moves_to_commands_and_old_requests_are_dropped_with_a_count(
    empty_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """0012 drops ``slack_jobs``: a stored raw Slack request cannot become a typed command, so
    a request still there is dropped, and the log says how many (the upgrade note says to
    drain the workers first). Going down recreates the table, empty."""
    engine = storage.make_engine(empty_database_url)
    try:
        storage.upgrade(engine, "0011")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO slack_jobs (body, content_type, created_at, attempts) "
                    "VALUES ('payload=1', 'application/x-www-form-urlencoded', :at, 0)"
                ),
                {"at": T0},
            )
        with caplog.at_level(logging.WARNING):
            storage.upgrade(engine)
        assert "dropping 1 deferred Slack request(s)" in caplog.text
        assert "slack_jobs" not in _tables(engine)
        storage.downgrade(engine, "0011")
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM slack_jobs")) == 0
        storage.upgrade(engine)
        assert storage.current_revision(engine) == "0012"
    finally:
        engine.dispose()
