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

``enqueue_event()`` fans an integration event out to its subscribers: one item of the durable
queue (``storage.queue``) per subscriber kind given to the factory (``event_kinds``, e.g.
``["webhook"]``), in the same transaction, so the event exists exactly when the change it
reports was committed; the queue's runner hands each to its kind's handler afterwards
(``bot.webhooks`` for ``webhook``). With no kinds nothing is queued.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any, Self, cast

from sqlalchemy import CursorResult, Engine, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from intake.ports import AskRepository, ConcurrentUpdate
from intake.ticket import AuditEntry
from storage import queue
from storage.db import session_factory
from storage.models import (
    PROCESSED_KEY_MAX,
    AskRow,
    AuditRow,
    CounterRow,
    ProcessedKeyRow,
    TranscriptRow,
)
from storage.repository import AskNotFound, SqlAskRepository

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
        event_kinds: Collection[str] = (),
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._session: Session | None = None
        self.event_kinds = tuple(event_kinds)
        self._on_queued = on_queued
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

    def __exit__(self, *exc: object) -> None:
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
        if queued and self._on_queued is not None:
            self._on_queued()

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
        """One queue item per subscriber kind, due at ``at``, never given up: key
        ``<kind>:<event id>``, in order per ask (``<kind>:ask:<ask id>``), in the event's
        workspace. Nothing without kinds. ``AskNotFound`` for an unknown ask; ValueError when
        the event was queued already."""
        event_id, payload = event_payload(event)
        if not self.event_kinds:
            return
        found = select(AskRow.id).where(AskRow.id == ask_id)
        if self.session.get_bind().dialect.name == "postgresql":
            # Queue an ask's events one transaction at a time, so their ids (the delivery
            # order) follow the commit order even when a transaction does not also save the
            # ask. (NO KEY: children of the ask may still be inserted meanwhile. SQLite's
            # BEGIN IMMEDIATE serialises every transaction anyway.)
            found = found.with_for_update(key_share=True)
        if self.session.execute(found).scalar_one_or_none() is None:
            raise AskNotFound(ask_id)
        team_id = payload.get("team_id")
        for kind in self.event_kinds:
            if not queue.enqueue(
                self.session,
                kind,
                payload,
                at=at,
                key=f"{kind}:{event_id}",
                order_key=f"{kind}:ask:{ask_id}",
                team_id=team_id if isinstance(team_id, str) else None,
            ):
                raise ValueError(f"the event {event_id!r} is queued already")
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

    ``event_kinds``: the subscribers each integration event is queued for (none: nothing is
    queued). ``on_queued`` is called after each commit that queued events (the runner's
    ``notify``, to run them without waiting for the next poll)."""

    def __init__(
        self,
        engine: Engine,
        *,
        event_kinds: Collection[str] = (),
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self.event_kinds = tuple(event_kinds)
        self.on_queued = on_queued

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, event_kinds=self.event_kinds, on_queued=self.on_queued)
