"""``SqlUnitOfWork``: ``intake.ports.UnitOfWork`` on a SQLAlchemy session.

One unit of work is one transaction::

    uow_factory = SqlUnitOfWorkFactory(make_engine(url))
    with uow_factory() as uow:
        if not uow.claim(event_id):
            return
        conversation = uow.asks.get(ask_id)
        ...
        uow.asks.save(conversation)
        uow.commit()

Leaving the block without ``commit()`` rolls back. ``claim()`` and ``next_number()`` are
single atomic statements (``INSERT ... ON CONFLICT DO NOTHING``, ``UPDATE ... RETURNING``), so
they are correct across threads, processes and replicas: on PostgreSQL a second claimer of the
same key (or submitter in the same workspace) waits for the first transaction to end; on SQLite
every transaction holds the write lock from its start (``BEGIN IMMEDIATE``), so units of work
run one at a time - keep them short.

``save()`` / ``commit()`` raise ``ConcurrentUpdate`` when the ask was changed by another
transaction since it was read in this one; abandon the unit of work and retry the use case.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, cast

from sqlalchemy import CursorResult, Engine, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from intake.ports import AskRepository, ConcurrentUpdate
from storage.db import session_factory
from storage.models import PROCESSED_KEY_MAX, CounterRow, ProcessedKeyRow, TranscriptRow
from storage.repository import SqlAskRepository

_PROCESSED_KEYS = cast(Table, ProcessedKeyRow.__table__)
_COUNTERS = cast(Table, CounterRow.__table__)


def processed_key(key: str) -> str:
    """The stored form of an idempotency key: itself, or ``sha256:<hex>`` when too long."""
    if len(key) <= PROCESSED_KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class SqlUnitOfWork:
    asks: AskRepository  # a SqlAskRepository on the unit of work's session

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        self._session = self._sessions()
        self._repository = SqlAskRepository(self._session)
        self.asks = self._repository
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()
        finally:
            session.close()
            self._repository.reset()

    def commit(self) -> None:
        try:
            self.session.commit()
        except StaleDataError as error:
            raise ConcurrentUpdate(None) from error

    def rollback(self) -> None:
        self.session.rollback()
        self._repository.reset()

    def _insert(self, table: Table) -> Any:
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            return postgresql.insert(table)
        if dialect == "sqlite":
            return sqlite.insert(table)
        raise NotImplementedError(f"storage supports PostgreSQL and SQLite, not {dialect}")

    def claim(self, key: str) -> bool:
        statement = (
            self._insert(_PROCESSED_KEYS)
            .values(key=processed_key(key), created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["key"])
            # SQLAlchemy keeps an INSERT's rowcount only when asked to.
            .execution_options(preserve_rowcount=True)
        )
        result = cast(CursorResult[Any], self.session.execute(statement))
        return result.rowcount == 1

    def next_number(self, team_id: str) -> int:
        self.session.execute(
            self._insert(_COUNTERS)
            .values(team_id=team_id, next_number=1)
            .on_conflict_do_nothing(index_elements=["team_id"])
        )
        taken = self.session.execute(
            update(_COUNTERS)
            .where(_COUNTERS.c.team_id == team_id)
            .values(next_number=_COUNTERS.c.next_number + 1)
            .returning(_COUNTERS.c.next_number)
        ).scalar_one()
        return int(taken) - 1

    def record_message(self, ask_id: int, author: str, text: str, at: datetime) -> None:
        self.session.add(TranscriptRow(ask_id=ask_id, author=author, text=text, at=at))
        self.session.flush()

    def transcript(self, ask_id: int) -> list[tuple[datetime, str, str]]:
        """The ask's transcript as ``(at, author, text)``, oldest first (not in the port;
        for exports and tests)."""
        rows = self.session.scalars(
            select(TranscriptRow)
            .where(TranscriptRow.ask_id == ask_id)
            .order_by(TranscriptRow.at, TranscriptRow.id)
        )
        return [(row.at, row.author, row.text) for row in rows]


class SqlUnitOfWorkFactory:
    """``intake.ports.UnitOfWorkFactory``: each call gives a new ``SqlUnitOfWork``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)
