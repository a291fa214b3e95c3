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

``enqueue_event()`` writes a row of the webhook outbox in the same transaction, so an event
exists exactly when the change it reports was committed; ``storage.outbox`` (and the sender in
``bot.webhooks``) delivers it afterwards. With ``SqlUnitOfWorkFactory(engine,
events_enabled=False)`` (no webhook configured) nothing is queued.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, cast

from sqlalchemy import CursorResult, Engine, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from intake.ports import AskRepository, ConcurrentUpdate
from intake.ticket import AuditEntry
from storage.db import session_factory
from storage.models import (
    PROCESSED_KEY_MAX,
    AskRow,
    AuditRow,
    CounterRow,
    OutboxRow,
    ProcessedKeyRow,
    TranscriptRow,
)
from storage.repository import SqlAskRepository

_PROCESSED_KEYS = cast(Table, ProcessedKeyRow.__table__)
_COUNTERS = cast(Table, CounterRow.__table__)


def processed_key(key: str) -> str:
    """The stored form of an idempotency key: itself, or ``sha256:<hex>`` when too long."""
    if len(key) <= PROCESSED_KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def event_payload(event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(event id, a plain-JSON copy of the event)``; ValueError without a string ``id``,
    TypeError when the event is not JSON-able."""
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise ValueError("an integration event needs a non-empty string 'id'")
    payload = json.loads(json.dumps(event))
    assert isinstance(payload, dict)
    return event_id, payload


class SqlUnitOfWork:
    asks: AskRepository  # a SqlAskRepository on the unit of work's session

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        events_enabled: bool = True,
        on_events: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._session: Session | None = None
        self.events_enabled = events_enabled
        self._on_events = on_events
        self._queued = 0  # events queued in the open transaction

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
        self._queued = 0
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
        queued, self._queued = self._queued, 0
        if queued and self._on_events is not None:
            self._on_events()

    def rollback(self) -> None:
        self.session.rollback()
        self._repository.reset()
        self._queued = 0

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

    def record_audit(self, ask_id: int, entry: AuditEntry) -> None:
        self.session.add(
            AuditRow(
                ask_id=ask_id,
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                outcome=entry.outcome,
                note=entry.note,
            )
        )
        self.session.flush()

    def audit(self, ask_id: int) -> list[AuditEntry]:
        rows = self.session.scalars(
            select(AuditRow).where(AuditRow.ask_id == ask_id).order_by(AuditRow.at, AuditRow.id)
        )
        return [
            AuditEntry(at=r.at, actor=r.actor, action=r.action, outcome=r.outcome, note=r.note)
            for r in rows
        ]

    def enqueue_event(self, ask_id: int, event: dict[str, Any], at: datetime) -> None:
        """A webhook outbox row, due at ``at``; nothing when events are disabled. The event's
        ``id`` is unique: queuing the same event twice fails (``IntegrityError``)."""
        event_id, payload = event_payload(event)
        if not self.events_enabled:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            # Queue an ask's events one transaction at a time, so their ids (the delivery
            # order) follow the commit order even when a transaction does not also save the
            # ask. (NO KEY: children of the ask may still be inserted meanwhile. SQLite's
            # BEGIN IMMEDIATE serialises every transaction anyway.)
            self.session.execute(
                select(AskRow.id).where(AskRow.id == ask_id).with_for_update(key_share=True)
            )
        self.session.add(
            OutboxRow(
                ask_id=ask_id,
                event_id=event_id,
                payload=payload,
                created_at=at,
                attempts=0,
                next_attempt_at=at,
            )
        )
        self.session.flush()
        self._queued += 1

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
    """``intake.ports.UnitOfWorkFactory``: each call gives a new ``SqlUnitOfWork``.

    ``events_enabled=False`` (no webhook URL configured) makes ``enqueue_event()`` queue
    nothing. ``on_events`` is called after each commit that queued events (for example
    ``WebhookSender.notify``, to deliver them without waiting for the next poll)."""

    def __init__(
        self,
        engine: Engine,
        *,
        events_enabled: bool = True,
        on_events: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self.events_enabled = events_enabled
        self.on_events = on_events

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.sessions, events_enabled=self.events_enabled, on_events=self.on_events
        )
