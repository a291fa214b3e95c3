"""Engines, sessions and health checks (storage.db)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, exc, text
from sqlalchemy.exc import OperationalError

from storage import (
    current_revision,
    db,
    head_revision,
    make_engine,
    normalise_url,
    ping,
    session_factory,
)
from storage.db import CHECKOUT_WAIT_S
from tests.storage import procs


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///data/intake.db", "sqlite+pysqlite"),
        ("sqlite://", "sqlite+pysqlite"),
        ("postgres://u:p@db:5432/intake", "postgresql+psycopg"),
        ("postgresql://u:p@db:5432/intake", "postgresql+psycopg"),
        ("postgresql+psycopg://u:p@db:5432/intake", "postgresql+psycopg"),
    ],
)
def test_urls_are_normalised(given: str, driver: str) -> None:
    url = normalise_url(given)
    engine = make_engine(given)
    try:
        assert f"{engine.dialect.name}+{engine.dialect.driver}" == driver
        if driver.startswith("postgresql"):
            assert url.drivername == "postgresql+psycopg"
            assert (url.username, url.password, url.host, url.port, url.database) == (
                "u",
                "p",
                "db",
                5432,
                "intake",
            )
    finally:
        engine.dispose()


def test_engine_settings(engine: Engine) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        else:
            assert engine.dialect.driver == "psycopg"
            assert engine.pool._pre_ping
            assert connection.execute(text("SELECT 1")).scalar() == 1


def test_a_statement_waits_for_a_busy_pool_as_long_as_told_then_fails(
    database_url: str,
) -> None:
    """Every connection in use: the next statement waits ``wait_s`` for one (by default
    CHECKOUT_WAIT_S, far longer than SQLAlchemy's 30 s), then fails with the pool's error."""
    assert CHECKOUT_WAIT_S >= 120
    engine = make_engine(database_url, connections=1, wait_s=0.3)
    try:
        with engine.connect():
            started = time.monotonic()
            with pytest.raises(exc.TimeoutError):
                engine.connect()
            assert time.monotonic() - started >= 0.3
        with engine.connect() as connection:  # given back: usable again at once
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_sqlite_file_in_a_new_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "intake.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert ping(engine)
        assert path.exists()
    finally:
        engine.dispose()


def test_transactions_take_the_write_lock_at_begin(engine: Engine) -> None:
    """SQLite: a transaction that has only read already holds the write lock (BEGIN
    IMMEDIATE), so a second writer waits at BEGIN instead of failing at its first write.
    PostgreSQL: readers and writers don't block each other."""
    # SQLite: one connection per engine (this process's threads queue for it); the second
    # writer is another process's engine.
    other = make_engine(engine.url) if engine.dialect.name == "sqlite" else engine
    with engine.connect() as first, other.connect() as second:
        first.execute(text("SELECT count(*) FROM asks"))  # opens the transaction
        if engine.dialect.name == "sqlite":
            raw = second.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(OperationalError, match="locked"):
                second.execute(text("SELECT count(*) FROM asks"))
            second.rollback()
            raw.execute("PRAGMA busy_timeout = 10000")
            first.rollback()
            second.execute(text("SELECT count(*) FROM asks"))  # free again
        else:
            second.execute(text("SELECT count(*) FROM asks"))
        first.rollback()
        second.rollback()
    if other is not engine:
        other.dispose()


def test_many_threads_writing_at_once_all_succeed_without_waiting_in_sqlite(
    tmp_path: Path,
) -> None:
    """SQLite: the threads of one process queue for its connection, not in SQLite's busy
    handler (here told to give up after 1 ms)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")

    @event.listens_for(engine, "connect")
    def impatient(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 1")

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (thread INTEGER, n INTEGER)"))
    failures: list[BaseException] = []

    def write(thread: int) -> None:
        try:
            for n in range(10):
                with engine.begin() as connection:
                    connection.execute(text("INSERT INTO t VALUES (:t, :n)"), {"t": thread, "n": n})
                    time.sleep(0.001)  # hold the write lock a little
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM t")) == 200
    engine.dispose()


def test_sqlite_an_urgent_write_goes_before_the_work_waiting_ahead_of_it(tmp_path: Path) -> None:
    """The replay check before an ack and the pacer's tokens (urgent engines) do not queue for
    SQLite's write lock behind the work of this process."""
    path = tmp_path / "turns.db"
    work, urgent = make_engine(f"sqlite:///{path}"), make_engine(f"sqlite:///{path}", urgent=True)
    turn = db._TURNS[path.resolve()]

    def write(engine: Engine, name: str) -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (:name)"), {"name": name})

    with work.begin() as held:  # the work in progress holds the write lock
        held.execute(text("CREATE TABLE t (name TEXT)"))
        queued = threading.Thread(target=write, args=(work, "work"))
        queued.start()
        time.sleep(0.1)  # the work waits for its engine's connection
        ack = threading.Thread(target=write, args=(urgent, "ack"))
        ack.start()
        deadline = time.monotonic() + 5
        while not turn._urgent_waiting:
            assert time.monotonic() < deadline, "the urgent write never waited"
            time.sleep(0.001)
    queued.join(5)
    ack.join(5)
    with work.connect() as connection:
        assert connection.scalars(text("SELECT name FROM t ORDER BY rowid")).all() == [
            "ack",
            "work",
        ]
    work.dispose()
    urgent.dispose()


def test_ping(engine: Engine, tmp_path: Path) -> None:
    assert ping(engine) is True
    refused = make_engine("postgresql://nobody@127.0.0.1:1/none")
    directory = make_engine(f"sqlite:///{tmp_path}")  # a directory is no database
    try:
        assert ping(refused) is False
        assert ping(directory) is False
    finally:
        refused.dispose()
        directory.dispose()


def test_sessions_keep_objects_after_commit(engine: Engine) -> None:
    sessions = session_factory(engine)
    assert sessions.kw["expire_on_commit"] is False


def test_fresh_databases_are_at_the_newest_revision(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_claim_and_number_across_processes(database_url: str) -> None:
    """Replicas are processes: exactly one wins a key, and numbers stay unique."""
    count = 4
    outcomes = procs.run_together(
        procs.claim_and_number, database_url, "Ev-x", "T-proc", count=count
    )
    assert sorted(won for won, _ in outcomes) == [False] * (count - 1) + [True]
    assert sorted(number for _, number in outcomes) == list(range(1, count + 1))


def test_sqlite_library_supports_returning() -> None:
    # UPDATE ... RETURNING (next_number) needs SQLite 3.35+.
    assert sqlite3.sqlite_version_info >= (3, 35)
