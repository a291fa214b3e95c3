"""One workspace's view of the asks, for the multi-workspace install.

Ask IDs in buttons and forms are database ids, and keys (``PLAT-1``) repeat in every workspace.
``for_team(service, "T1")`` gives the use cases a unit of work whose repository holds T1's
asks only, whatever a caller passes: another workspace's ask is "not found" (``get`` and
``by_key`` answer None, ``list`` leaves it out, ``add`` and ``save`` refuse it). The services
offer it as ``IntakeService.for_team`` (and the same on ``ReviewService`` and
``MilestoneService``); the Slack adapter uses it for every request in multi-workspace mode.

The check sits in the repository, below every use case, so a use case added later is scoped
too. It wraps any ``UnitOfWorkFactory`` (SQL or in-memory).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar, Unpack

from intake.conversation import Conversation, Thread
from intake.ports import AskFilters, AskRepository, UnitOfWork, UnitOfWorkFactory
from intake.ticket import AuditEntry, Status, Ticket


class OtherWorkspace(ValueError):
    """A write of an ask that belongs to another workspace than the unit of work's."""


class TeamAsks:
    """``AskRepository`` of one workspace, on top of one of every workspace."""

    def __init__(self, inner: AskRepository, team_id: str) -> None:
        self.inner = inner
        self.team_id = team_id

    def _mine(self, conversation: Conversation | None) -> Conversation | None:
        if conversation is None or conversation.ticket.team_id != self.team_id:
            return None
        return conversation

    def add(self, conversation: Conversation) -> None:
        if conversation.ticket.team_id != self.team_id:
            raise OtherWorkspace(f"an ask of {conversation.ticket.team_id!r}, not {self.team_id!r}")
        self.inner.add(conversation)

    def get(self, ask_id: int) -> Conversation | None:
        return self._mine(self.inner.get(ask_id))

    def by_thread(self, team_id: str, thread: Thread) -> Conversation | None:
        if team_id != self.team_id:
            return None
        return self._mine(self.inner.by_thread(team_id, thread))

    def by_key(self, key: str, team_id: str | None = None) -> Conversation | None:
        if team_id not in (None, self.team_id):
            return None
        return self._mine(self.inner.by_key(key, self.team_id))

    def save(self, conversation: Conversation) -> None:
        if conversation.ticket.team_id != self.team_id:
            raise OtherWorkspace(f"ask {conversation.ticket.id} is not {self.team_id!r}'s")
        self.inner.save(conversation)

    def list(self, **filters: Unpack[AskFilters]) -> list[Ticket]:
        if filters.get("team_id") not in (None, self.team_id):
            return []
        mine: AskFilters = {**filters, "team_id": self.team_id}
        found = self.inner.list(**mine)
        return [ticket for ticket in found if ticket.team_id == self.team_id]

    def versions(self, *, team_id: str, statuses: Sequence[Status]) -> dict[int, int]:
        if team_id != self.team_id:
            return {}
        return self.inner.versions(team_id=self.team_id, statuses=statuses)


class TeamUnitOfWork:
    """A unit of work whose ``asks`` are one workspace's; the rest is the inner one's."""

    asks: AskRepository

    def __init__(self, inner: UnitOfWork, team_id: str) -> None:
        self.inner = inner
        self.team_id = team_id

    def __enter__(self) -> Self:
        self.inner.__enter__()
        self.asks = TeamAsks(self.inner.asks, self.team_id)
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)

    def commit(self) -> None:
        self.inner.commit()

    def rollback(self) -> None:
        self.inner.rollback()

    def claim(self, key: str) -> bool:
        return self.inner.claim(key)

    def next_number(self, team_id: str) -> int:
        if team_id != self.team_id:
            raise OtherWorkspace(f"a number of {team_id!r}, not {self.team_id!r}")
        return self.inner.next_number(team_id)

    def record_message(self, ask_id: int, author: str, text: str, at: datetime) -> None:
        self.inner.record_message(ask_id, author, text, at)

    def record_audit(self, ask_id: int, entry: AuditEntry) -> None:
        self.inner.record_audit(ask_id, entry)

    def audit(self, ask_id: int) -> list[AuditEntry]:
        if self.asks.get(ask_id) is None:
            return []
        return self.inner.audit(ask_id)

    def enqueue_event(self, ask_id: int, event: dict[str, Any], at: datetime) -> None:
        self.inner.enqueue_event(ask_id, event, at)


class TeamUnitOfWorkFactory:
    """``UnitOfWorkFactory`` of one workspace's units of work."""

    def __init__(self, inner: UnitOfWorkFactory, team_id: str) -> None:
        self.inner = inner
        self.team_id = team_id

    def __call__(self) -> UnitOfWork:
        return TeamUnitOfWork(self.inner(), self.team_id)


class HasUnitsOfWork(Protocol):
    uow_factory: UnitOfWorkFactory


Service = TypeVar("Service", bound=HasUnitsOfWork)


def for_team(service: Service, team_id: str) -> Service:
    """A copy of ``service`` that sees only ``team_id``'s asks (see the module docstring)."""
    scoped = copy.copy(service)
    # Scoping a scoped service nests (T1's asks that are T2's: none): it never widens.
    scoped.uow_factory = TeamUnitOfWorkFactory(service.uow_factory, team_id)
    return scoped


class TeamScoped:
    """A service of use cases that ``for_team`` narrows to one workspace's asks."""

    uow_factory: UnitOfWorkFactory

    def for_team(self, team_id: str) -> Self:
        """These use cases on ``team_id``'s asks only: another workspace's ask is not found.
        What a Slack request runs in multi-workspace mode."""
        return for_team(self, team_id)
