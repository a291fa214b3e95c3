"""``SqlAskRepository``: ``intake.ports.AskRepository`` on SQLAlchemy.

Maps rows to fresh domain objects on every read (changing a returned object changes nothing
until ``save()``), and domain objects back to rows on ``save()``, with ``storage.ask_rows``
(how each field is stored); ``save()`` advances the row's version.

Optimistic concurrency: a row remembers the version it was read at. When another transaction
saved the ask since, ``save()`` (or ``commit()``) raises ``ConcurrentUpdate``; the caller's
transaction is then unusable and should be abandoned (leave the ``with`` block) and retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Unpack

from sqlalchemy import func, select
from sqlalchemy.orm import Session, raiseload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from intake.conversation import Conversation, Thread
from intake.ports import AskFilters, ConcurrentUpdate
from intake.ticket import Status, Ticket
from storage.ask_rows import to_conversation, to_ticket, write_ask
from storage.models import AskRow, ConversationRow


class AskNotFound(LookupError):
    """``save()`` of an ask that is not stored (never added, or deleted)."""


class SqlAskRepository:
    """Asks in the session's transaction. Rows read here are kept (with the version they were
    read at) until the transaction ends, so ``save()`` detects concurrent changes."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[int, AskRow] = {}

    def reset(self) -> None:
        """Forget rows read so far (after a rollback)."""
        self._rows.clear()

    def _keep(self, row: AskRow | None) -> AskRow | None:
        if row is not None:
            self._rows[row.id] = row
        return row

    def _flush(self, ask_id: int | None) -> None:
        try:
            self.session.flush()
        except StaleDataError as error:
            raise ConcurrentUpdate(ask_id) from error

    def add(self, conversation: Conversation) -> None:
        ticket = conversation.ticket
        if ticket.id is not None:
            raise ValueError(f"ask {ticket.id} is already stored; use save()")
        now = datetime.now(UTC)
        if ticket.created_at is None:
            ticket.created_at = now
        row = AskRow(created_at=ticket.created_at, milestones=[], history=[])
        write_ask(row, conversation, now)
        self.session.add(row)
        self._flush(None)
        ticket.id = row.id
        self._keep(row)

    def get(self, ask_id: int) -> Conversation | None:
        row = self._keep(self.session.get(AskRow, ask_id))
        return to_conversation(row) if row is not None else None

    def by_thread(self, team_id: str, thread: Thread) -> Conversation | None:
        row = self.session.scalar(
            select(AskRow)
            .join(AskRow.conversation)
            .where(
                ConversationRow.team_id == team_id,
                ConversationRow.channel == thread.channel,
                ConversationRow.thread_ts == thread.ts,
            )
        )
        row = self._keep(row)
        return to_conversation(row) if row is not None else None

    def by_key(self, key: str, team_id: str | None = None) -> Conversation | None:
        query = select(AskRow).where(func.upper(AskRow.key) == key.strip().upper())
        if team_id is not None:
            query = query.where(AskRow.team_id == team_id)
        row = self.session.scalars(query.order_by(AskRow.id).limit(1)).first()
        row = self._keep(row)
        return to_conversation(row) if row is not None else None

    def save(self, conversation: Conversation) -> None:
        ask_id = conversation.ticket.id
        if ask_id is None:
            raise ValueError("save() of an ask that was never added")
        row = self._rows.get(ask_id) or self._keep(self.session.get(AskRow, ask_id))
        if row is None:
            raise AskNotFound(ask_id)
        write_ask(row, conversation, datetime.now(UTC))
        self._flush(ask_id)

    def list(self, **filters: Unpack[AskFilters]) -> list[Ticket]:
        # Whole tickets in a fixed number of queries, however many asks: one for the asks, one
        # each for their milestones, history and tracker issue (no per-ask lazy loads); brief:
        # the asks and their tracker issues (a brief ticket keeps its tracker link).
        # A ticket needs nothing of the conversation row (the mapper would load it too).
        brief = filters.get("brief", False)
        load = raiseload if brief else selectinload
        query = (
            select(AskRow)
            .options(raiseload(AskRow.conversation), load(AskRow.milestones), load(AskRow.history))
            .order_by(AskRow.created_at.desc(), AskRow.id.desc())
        )
        if (team_id := filters.get("team_id")) is not None:
            query = query.where(AskRow.team_id == team_id)
        if (requester := filters.get("requester")) is not None:
            query = query.where(AskRow.requester == requester)
        if (statuses := filters.get("statuses")) is not None:
            query = query.where(AskRow.status.in_([Status(s).value for s in statuses]))
        if (ids := filters.get("ids")) is not None:
            query = query.where(AskRow.id.in_(list(ids)))
        if (limit := filters.get("limit")) is not None:
            query = query.limit(limit)
        return [to_ticket(row, brief=brief) for row in self.session.scalars(query)]

    def versions(self, *, team_id: str, statuses: Sequence[Status]) -> dict[int, int]:
        query = select(AskRow.id, AskRow.version_id).where(
            AskRow.team_id == team_id, AskRow.status.in_([Status(s).value for s in statuses])
        )
        return {ask_id: version for ask_id, version in self.session.execute(query).all()}
