"""The ask repository of the in-memory storage fake (``tests.fakes.memory_store``), and
the rules both share for what storage gives back: copies, UTC times, timezone-aware input."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Unpack

from intake.conversation import Conversation, Thread
from intake.ports import AskFilters
from intake.ticket import Status, Ticket

if TYPE_CHECKING:
    from tests.fakes.memory_store import InMemoryUnitOfWork


class AskNotFound(LookupError):
    """``save()`` (or ``record_message()``) for an ask that is not stored."""


def aware(at: datetime) -> None:
    """Refuse naive times, as the SQL storage does."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: storage needs timezone-aware times")


def utc(at: datetime) -> datetime:
    aware(at)
    return at.astimezone(UTC)


def _copy(conversation: Conversation) -> Conversation:
    return copy.deepcopy(conversation)


def _normalised(conversation: Conversation) -> Conversation:
    """A stored copy, read back the way the database gives it: history in time order and
    the ticket's times (and its milestones' change times) in UTC."""
    stored = _copy(conversation)
    ticket = stored.ticket
    ticket.history.sort(key=lambda entry: entry.at)
    for entry in ticket.history:
        entry.at = utc(entry.at)
    ticket.created_at = utc(ticket.created_at) if ticket.created_at else None
    ticket.submitted_at = utc(ticket.submitted_at) if ticket.submitted_at else None
    ticket.decided_at = utc(ticket.decided_at) if ticket.decided_at else None
    ticket.done_requested_at = utc(ticket.done_requested_at) if ticket.done_requested_at else None
    for milestone in ticket.milestones:
        milestone.log = [dataclasses.replace(c, at=utc(c.at)) for c in milestone.log]
    return stored


class InMemoryAskRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, conversation: Conversation) -> None:
        ticket = conversation.ticket
        if ticket.id is not None:
            raise ValueError(f"ask {ticket.id} is already stored; use save()")
        uow = self._uow
        with uow.store._cond:
            if ticket.created_at is None:
                ticket.created_at = datetime.now(UTC)
            ask_id = next(uow.store._ids)
            ticket.id = ask_id
            try:
                uow._check_unique(conversation)
            except ValueError:
                ticket.id = None
                raise
            uow._staged[ask_id] = _normalised(conversation)
            uow._read_versions[ask_id] = 0

    def get(self, ask_id: int) -> Conversation | None:
        with self._uow.store._cond:
            found = self._uow._read(ask_id)
            return _copy(found) if found is not None else None

    def by_thread(self, team_id: str, thread: Thread) -> Conversation | None:
        with self._uow.store._cond:
            for conversation in self._uow._visible():
                if conversation.ticket.team_id == team_id and conversation.thread == thread:
                    return _copy(conversation)
        return None

    def by_key(self, key: str, team_id: str | None = None) -> Conversation | None:
        wanted = key.strip().upper()
        with self._uow.store._cond:
            for conversation in self._uow._visible():
                if team_id is not None and conversation.ticket.team_id != team_id:
                    continue
                if (conversation.ticket.key or "").upper() == wanted:
                    return _copy(conversation)
        return None

    def save(self, conversation: Conversation) -> None:
        ask_id = conversation.ticket.id
        if ask_id is None:
            raise ValueError("save() of an ask that was never added")
        uow = self._uow
        with uow.store._cond:
            current = uow._read(ask_id)
            if current is None:
                raise AskNotFound(ask_id)
            uow._check_version(ask_id)
            stored = len(current.ticket.history)
            given = len(conversation.ticket.history)
            if given < stored:
                raise ValueError(
                    f"ask {ask_id}: history is append-only ({stored} entries stored, {given} given)"
                )
            uow._check_unique(conversation)
            updated = _copy(conversation)
            updated.ticket.history = _copy(current).ticket.history + updated.ticket.history[stored:]
            if updated.ticket.created_at is None:
                updated.ticket.created_at = current.ticket.created_at
            uow._staged[ask_id] = _normalised(updated)

    def list(self, **filters: Unpack[AskFilters]) -> list[Ticket]:
        team_id, requester = filters.get("team_id"), filters.get("requester")
        statuses, ids = filters.get("statuses"), filters.get("ids")
        wanted = {Status(s) for s in statuses} if statuses is not None else None
        only = set(ids) if ids is not None else None
        with self._uow.store._cond:
            tickets = [
                c.ticket
                for c in self._uow._visible()
                if (team_id is None or c.ticket.team_id == team_id)
                and (only is None or c.ticket.id in only)
                and (requester is None or c.ticket.requester == requester)
                and (wanted is None or c.ticket.status in wanted)
            ]
            tickets.sort(
                key=lambda t: (t.created_at or datetime.min.replace(tzinfo=UTC), t.id or 0),
                reverse=True,
            )
            found = [copy.deepcopy(t) for t in tickets[: filters.get("limit")]]
        if filters.get(
            "brief"
        ):  # as the SQL repository: what a brief list does not load stays empty
            for ticket in found:
                ticket.milestones, ticket.history = [], []
        return found

    def versions(self, *, team_id: str, statuses: Sequence[Status]) -> dict[int, int]:
        wanted = {Status(s) for s in statuses}
        uow = self._uow
        with uow.store._cond:
            found: dict[int, int] = {}
            for conversation in uow._visible():
                ticket = conversation.ticket
                if ticket.id is None or ticket.team_id != team_id or ticket.status not in wanted:
                    continue
                stored = uow.store._asks.get(ticket.id)
                # Changed in this unit of work: the version its commit will give it.
                staged = 1 if ticket.id in uow._staged else 0
                found[ticket.id] = (stored.version if stored is not None else 0) + staged
            return found
