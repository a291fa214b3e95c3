"""Backends for the contract tests: the in-memory fake and the SQL unit of work on each
database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

import intake.fakes
import storage
from intake.ports import UnitOfWork, UnitOfWorkFactory
from storage.db import make_engine
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.dbfixtures import DATABASES, provide_database_url


@dataclass
class Backend:
    name: str
    uow_factory: UnitOfWorkFactory
    concurrent_update: type[Exception]
    duplicate: type[Exception]

    def __call__(self) -> UnitOfWork:
        uow: UnitOfWork = self.uow_factory()
        return uow

    def transcript(self, ask_id: int) -> list[tuple[datetime, str, str]]:
        with self.uow_factory() as uow:
            assert isinstance(uow, SqlUnitOfWork | intake.fakes.InMemoryUnitOfWork)
            return uow.transcript(ask_id)


@pytest.fixture(params=[pytest.param("memory", id="memory"), *DATABASES])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The ports' implementation under test: ``memory`` (intake.fakes), ``sqlite`` and
    ``postgresql`` (storage)."""
    if request.param == "memory":
        yield Backend(
            "memory", intake.fakes.InMemoryStore(), intake.fakes.ConcurrentUpdate, ValueError
        )
        return
    engine = make_engine(provide_database_url(request, request.param, tmp_path))
    try:
        yield Backend(
            request.param, SqlUnitOfWorkFactory(engine), storage.ConcurrentUpdate, IntegrityError
        )
    finally:
        engine.dispose()
