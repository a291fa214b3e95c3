"""Database fixtures (a pytest plugin, registered in tests/conftest.py).

``database_url`` runs a test once per database, ids ``sqlite`` and ``postgresql``, each time on
a fresh, migrated, empty database:

* SQLite: a file in the test's ``tmp_path`` (a copy of one migrated per session);
* PostgreSQL: when ``INTAKE_TEST_DATABASE_URL`` is set (for example
  ``postgresql://postgres@127.0.0.1:5432/test``), one throwaway database per test session
  (``intake_test_<pid>_<random>``), migrated once, emptied (``TRUNCATE ... RESTART IDENTITY``)
  before each test and dropped at the end.

Without ``INTAKE_TEST_DATABASE_URL``, or when its server does not answer, the ``postgresql``
tests are skipped - unless ``INTAKE_TEST_STRICT=1`` or ``CI=true`` (``tests.strict``), where
they fail: CI must not pass by skipping them. They carry the ``postgres`` marker
(``-m "not postgres"``).

Also: ``engine`` and ``uow_factory`` (a ``SqlUnitOfWorkFactory``) on ``database_url``, and
``empty_database_url`` (a database with no tables at all, for migration tests).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from storage.db import make_engine, normalise_url, upgrade
from storage.models import Base
from storage.uow import SqlUnitOfWorkFactory
from tests.strict import unavailable

POSTGRES_URL_ENV = "INTAKE_TEST_DATABASE_URL"
POSTGRES_SKIP_REASON = (
    "PostgreSQL tests need INTAKE_TEST_DATABASE_URL "
    "(e.g. postgresql://postgres@127.0.0.1:5432/test); .ci/run sets it"
)
DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
# For a port with an in-memory fake as well: the fake, then each database (see memory_or_sql).
MEMORY_AND_DATABASES = [pytest.param("memory", id="memory"), *DATABASES]
Store = TypeVar("Store")


def _url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


class PostgresServer:
    """Creates and drops throwaway databases on the server of ``INTAKE_TEST_DATABASE_URL``."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.admin = create_engine(
            self.url,
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
            connect_args={"connect_timeout": 5},
        )
        self.created: list[URL] = []

    def problem(self) -> str | None:
        """Why the server cannot be used, or None."""
        try:
            with self.admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:
            shown = self.url.render_as_string(hide_password=True)
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            return f"PostgreSQL at {shown} does not answer ({type(error).__name__}: {first_line})"
        return None

    def create(self) -> URL:
        name = f"intake_test_{os.getpid()}_{secrets.token_hex(4)}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = self.url.set(database=name)
        self.created.append(url)
        return url

    def drop(self, url: URL) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        if url in self.created:
            self.created.remove(url)

    def close(self) -> None:
        for url in list(self.created):
            self.drop(url)
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not url:
        unavailable(POSTGRES_SKIP_REASON)
    server = PostgresServer(url)
    try:
        problem = server.problem()
        if problem:
            unavailable(problem)
        yield server
    finally:
        server.close()


class _PostgresDatabase:
    """The session's migrated database, emptied before each test."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.engine = create_engine(url, poolclass=NullPool)
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        self._truncate = text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")

    def empty(self) -> None:
        with self.engine.begin() as connection:
            # A test that leaked an open transaction would otherwise hang the next one.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(self._truncate)


@pytest.fixture(scope="session")
def _postgres_database(postgres_server: PostgresServer) -> Iterator[_PostgresDatabase]:
    url = postgres_server.create()
    upgrade(url)
    database = _PostgresDatabase(url)
    yield database
    database.engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


def provide_database_url(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> str:
    """A fresh, migrated, empty database of ``kind`` ("sqlite" or "postgresql") for the
    requesting test. For fixtures that parametrise over more than ``DATABASES``."""
    if kind == "sqlite":
        path = tmp_path / "intake.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    if kind == "postgresql":
        database: _PostgresDatabase = request.getfixturevalue("_postgres_database")
        database.empty()
        return _url_string(database.url)
    raise ValueError(f"unknown database kind {kind!r}")


@contextmanager
def memory_or_sql(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    memory: Callable[[], Store],
    sql: Callable[[Engine], Store],
) -> Iterator[Store]:
    """For fixtures parametrised over ``MEMORY_AND_DATABASES``: ``memory()`` for "memory",
    else ``sql(engine)`` on a fresh database of that kind, the engine disposed afterwards."""
    if request.param == "memory":
        yield memory()
        return
    engine = make_engine(provide_database_url(request, request.param, tmp_path))
    try:
        yield sql(engine)
    finally:
        engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated, empty database (see the module docstring)."""
    return provide_database_url(request, request.param, tmp_path)


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any tables (not migrated), for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create()
    try:
        yield _url_string(url)
    finally:
        server.drop(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(engine)
