"""Engines, sessions and migrations.

``make_engine`` accepts the URLs people paste: ``sqlite:///path.db``, ``postgres://...``,
``postgresql://...`` and ``postgresql+psycopg://...`` (both PostgreSQL spellings are driven by
psycopg 3). SQLite is the embedded default of one process: WAL mode, foreign keys on, a 10 s
busy timeout, every transaction opened with ``BEGIN IMMEDIATE`` (a reader never fails as it
upgrades to a writer), and one pooled connection per engine, so the process's threads queue
for it in arrival order (SQLAlchemy's pool) rather than in SQLite's busy handler, which sleeps in
growing steps between tries. An ``urgent`` engine's connection (what people wait on: the replay
check before an ack, the pacer's tokens) takes the file's write lock before the work's
(``_WriteTurn``). A second process on the file (a CLI command) still waits in the busy handler.

Migrations live in ``storage/migrations`` (shipped inside the package, no ``alembic.ini``):
``upgrade(engine)`` brings a database to the newest schema.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 10
# Connections per engine (PostgreSQL): the work of hundreds of concurrent requests shares them
# (each holds one only for a short transaction, never across a model or Slack call).
# PostgreSQL's default max_connections is 100: two replicas and a worker, each with its work
# engine (16) and two urgent ones (replay checks 5, pacing 10: bot.bootstrap), use at most 3 x 31.
CONNECTIONS = 16
URGENT_CONNECTIONS = 5  # an urgent engine's (make_engine), unless told otherwise
# How long a statement of the work waits for a free connection before it fails (SQLAlchemy:
# 30 s). Under overload (more work than CPU: benchmarks/README.md, fourth round) a worker's
# hundreds of jobs come back from the model together and queue for its connections; a job
# that fails there tells its person "sorry", one that waits longer only answers later. An
# urgent engine's statements (an ack's replay check, a pace token) keep SQLAlchemy's 30 s:
# Slack has given up on an ack long before, and a token that fails sends its call unpaced.
CHECKOUT_WAIT_S = 120.0
URGENT_CHECKOUT_WAIT_S = 30.0
MIGRATION_LOCK_KEY = 0x1A7A4E_0001  # pg_advisory_xact_lock key held while migrating


def normalise_url(url: str | URL) -> URL:
    """The URL with PostgreSQL spellings mapped to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(
    url: str | URL,
    *,
    urgent: bool = False,
    connections: int | None = None,
    pre_ping: bool = True,
    wait_s: float | None = None,
) -> Engine:
    """An engine for ``url``, configured for concurrent use (see the module docstring).

    ``urgent``: a small engine of its own for the short statements that people wait on: the
    replay check between a Slack request and its ack, and the pacer's token for each Web API
    call. It has its own connections, so it never waits for one behind the work, and on
    SQLite its transactions take the write lock before the work's. ``connections``
    (PostgreSQL; SQLite has one): the most the engine opens at once. ``pre_ping``
    (PostgreSQL): test each connection with a round trip as it leaves the pool, so one that
    died since (a database restart) is replaced instead of failing the statement; turn it off
    only where a failed statement costs nothing (the pacer then sends one call unpaced) and
    the round trip matters. ``wait_s``: how long a statement waits for a free connection
    before it fails (default: ``CHECKOUT_WAIT_S``, or ``URGENT_CHECKOUT_WAIT_S``)."""
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    # Each connection is opened when first needed and then kept: under load, connections
    # closed on return and opened again (overflow) cost a PostgreSQL backend and a login each.
    most = connections or (URGENT_CONNECTIONS if urgent else CONNECTIONS)
    if wait_s is None:
        wait_s = URGENT_CHECKOUT_WAIT_S if urgent else CHECKOUT_WAIT_S
    pool: dict[str, Any] = {"pool_size": most, "max_overflow": 0, "pool_timeout": wait_s}
    if backend == "sqlite":
        return _sqlite_engine(parsed, {**pool, "pool_size": 1}, urgent)
    if backend == "postgresql":
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
        return create_engine(
            parsed,
            pool_pre_ping=pre_ping,
            connect_args=connect_args,
            hide_parameters=True,
            **pool,
        )
    return create_engine(parsed, hide_parameters=True)


class _WriteTurn:
    """This process's turn at an SQLite file's write lock, between its engines' connections:
    held from BEGIN until the connection is back in its pool; an urgent connection waiting
    goes first. A thread that holds it already passes (SQLite itself then decides)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._holder: int | None = None
        self._urgent_waiting = 0

    def take(self, urgent: bool) -> bool:
        """Wait for the turn; False when this thread holds it already."""
        me = threading.get_ident()
        with self._changed:
            if self._holder == me:
                return False
            self._urgent_waiting += urgent
            while self._holder is not None or (self._urgent_waiting and not urgent):
                self._changed.wait()
            self._urgent_waiting -= urgent
            self._holder = me
            return True

    def give(self) -> None:
        with self._changed:
            self._holder = None
            self._changed.notify_all()


_TURNS: dict[Path, _WriteTurn] = {}
_TURNS_LOCK = threading.Lock()


def _sqlite_engine(url: URL, pool: dict[str, Any], urgent: bool) -> Engine:
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        pool = {}  # in memory: SQLAlchemy's own pool for it
    engine = create_engine(url, hide_parameters=True, **pool)
    with _TURNS_LOCK:  # one per file in this process, shared by its engines
        turn = _TURNS.setdefault(path.resolve(), _WriteTurn()) if path else _WriteTurn()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module; _on_begin emits it (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if path is not None:
                _enable_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Take the write lock up front: a deferred transaction that reads and then writes
        # fails with "database is locked" instead of waiting when another writer got there.
        info = connection.connection.info
        if turn.take(urgent):
            info["turn"] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if info.pop("turn", False):
                turn.give()
            raise

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop("turn", False):
            turn.give()

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (it stays so). SQLite answers "database is locked" at once,
    without waiting, when another connection holds a lock meanwhile (a fresh file opened by
    several processes): retry until the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay usable after commit (``expire_on_commit=False``)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends normally, rolled back
    when it raises. For a scheduler run: ``claim_run`` and its ``enqueue_message`` calls
    either all stay or all go. (SQLite: the transaction holds the write lock from its start;
    keep it short.)"""
    with session_factory(engine)() as session, session.begin():
        yield session


HEALTH_WAIT_S = 2.0


def health_engine(engine: Engine) -> Engine:
    """A small engine of its own for /healthz on ``engine``'s database: one connection (a
    second when two checks meet), never waiting long for it, and on SQLite no write lock
    (``SELECT 1`` outside a transaction: it answers while the work holds the lock). So a
    busy bot still answers its health check at once, and a database that does not answer
    fails it within seconds instead of holding the probe."""
    url = engine.url
    pool: dict[str, Any] = {"pool_size": 1, "max_overflow": 1, "pool_timeout": HEALTH_WAIT_S}
    if url.get_backend_name() == "sqlite":
        if _sqlite_file(url) is None:
            return engine  # in memory: only this engine sees that database
        return create_engine(url, hide_parameters=True, **pool)
    if url.get_backend_name() == "postgresql":
        timeout_ms = int(HEALTH_WAIT_S * 1000)
        connect_args = {
            "connect_timeout": max(1, int(HEALTH_WAIT_S)),
            "options": f"-c statement_timeout={timeout_ms}",
        }
        return create_engine(url, hide_parameters=True, connect_args=connect_args, **pool)
    return engine


def ping(engine: Engine) -> bool:
    """Whether the database answers ``SELECT 1`` (for /healthz: on ``health_engine``)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True


# -- migrations ------------------------------------------------------------------------------


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped migrations; with ``connection``, commands run
    on it (inside its transaction) instead of opening their own."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration revision."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _run(engine_or_url: Engine | str | URL, action: str, revision: str) -> None:
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Replicas starting together migrate one after the other; the later ones then
                # find the schema current. (On SQLite, BEGIN IMMEDIATE already serialises.)
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            config = alembic_config(connection)
            if action == "upgrade":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: the newest), in one transaction.
    Safe to call on every start, also from several processes at once."""
    _run(engine_or_url, "upgrade", revision)


def downgrade(engine_or_url: Engine | str | URL, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (default: nothing left)."""
    _run(engine_or_url, "downgrade", revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
