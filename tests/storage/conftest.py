"""Backends for the contract tests: the in-memory fake and the SQL unit of work on each
database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

import storage
from intake.ports import ConcurrentUpdate, UnitOfWork, UnitOfWorkFactory
from storage.models import QueueItemRow
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.dbfixtures import MEMORY_AND_DATABASES, memory_or_sql
from tests.fakes import memory_asks, memory_store


@dataclass
class Backend:
    name: str
    uow_factory: UnitOfWorkFactory
    concurrent_update: type[Exception]
    duplicate: type[Exception]
    missing_ask: type[Exception]  # writing a child row (audit) of an unknown ask

    def __call__(self) -> UnitOfWork:
        uow: UnitOfWork = self.uow_factory()
        return uow

    def transcript(self, ask_id: int) -> list[tuple[datetime, str, str]]:
        with self.uow_factory() as uow:
            assert isinstance(uow, SqlUnitOfWork | memory_store.InMemoryUnitOfWork)
            return uow.transcript(ask_id)

    def events(self, ask_id: int | None = None) -> list[dict[str, Any]]:
        """Committed integration events (of one ask, or all), in queue order."""
        factory = self.uow_factory
        if isinstance(factory, memory_store.InMemoryStore):
            return factory.events(ask_id)
        assert isinstance(factory, SqlUnitOfWorkFactory)
        query = select(QueueItemRow.payload).order_by(QueueItemRow.id)
        if ask_id is not None:
            query = query.where(QueueItemRow.order_key == f"webhook:ask:{ask_id}")
        with factory.engine.connect() as connection:
            return list(connection.scalars(query))

    def set_events_enabled(self, enabled: bool) -> None:
        """Switch event queuing (as INTAKE_WEBHOOK_URL set or not) for later units of work."""
        factory = self.uow_factory
        assert isinstance(factory, memory_store.InMemoryStore | SqlUnitOfWorkFactory)
        if isinstance(factory, SqlUnitOfWorkFactory):
            factory.event_kinds = ("webhook",) if enabled else ()
        else:
            factory.events_enabled = enabled


@pytest.fixture(params=MEMORY_AND_DATABASES)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The ports' implementation under test: ``memory`` (tests.fakes.memory_store), ``sqlite`` and
    ``postgresql`` (storage)."""

    def memory() -> Backend:
        return Backend(
            "memory",
            memory_store.InMemoryStore(),
            ConcurrentUpdate,
            ValueError,
            memory_asks.AskNotFound,
        )

    def sql(engine: Engine) -> Backend:
        return Backend(
            request.param,
            SqlUnitOfWorkFactory(engine, event_kinds=["webhook"]),
            storage.ConcurrentUpdate,
            IntegrityError,
            IntegrityError,
        )

    with memory_or_sql(request, tmp_path, memory, sql) as backend:
        yield backend
