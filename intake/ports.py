"""What the domain needs from storage, as protocols. ``storage`` implements them with
SQLAlchemy; tests of the service layer may use the in-memory fakes of
``tests.fakes.memory_store``."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol, Self, TypedDict, Unpack

from intake.conversation import Conversation, Thread
from intake.ticket import AuditEntry, Status, Ticket


class ConcurrentUpdate(Exception):
    """Another transaction changed this ask after it was read here (optimistic concurrency).
    The unit of work is abandoned; the use case may be run again on fresh data."""

    def __init__(self, ask_id: int | None) -> None:
        which = f"ask {ask_id}" if ask_id is not None else "an ask"
        super().__init__(f"{which} was changed by someone else since it was read")
        self.ask_id = ask_id


class AskFilters(TypedDict, total=False):
    """What ``AskRepository.list`` keeps: a filter left out (or None) keeps every ask."""

    team_id: str | None
    requester: str | None
    statuses: Sequence[Status] | None
    # Without their milestones and history (empty lists), for callers that only show or
    # compare what an ask is about: cheaper to load.
    brief: bool
    ids: Collection[int] | None  # only the asks with these ids
    limit: int | None  # only the newest this many


class AskRepository(Protocol):
    def add(self, conversation: Conversation) -> None:
        """Store a new conversation and its ticket; sets ``ticket.id``."""

    def get(self, ask_id: int) -> Conversation | None: ...

    def by_thread(self, team_id: str, thread: Thread) -> Conversation | None:
        """The conversation whose intake thread this is, if any."""

    def by_key(self, key: str, team_id: str | None = None) -> Conversation | None:
        """By human ID (``PLAT-12``), case-insensitive; keys are unique per workspace."""

    def save(self, conversation: Conversation) -> None:
        """Write back every change to the conversation and its ticket (fields, milestones,
        history)."""

    def list(self, **filters: Unpack[AskFilters]) -> list[Ticket]:
        """Tickets that pass every filter given (see ``AskFilters``), newest first."""

    def versions(self, *, team_id: str, statuses: Sequence[Status]) -> dict[int, int]:
        """``{ask id: version}`` of one workspace's asks in ``statuses``. An ask's version
        changes whenever it is saved, so what a caller loaded of these asks stays true for as
        long as this answer stays the same (one small query instead of loading them again)."""


class UnitOfWork(Protocol):
    """One transaction. Leaving the ``with`` block without ``commit()`` rolls back."""

    asks: AskRepository

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def claim(self, key: str) -> bool:
        """Record that the inbound delivery ``key`` (an event, a message, a click) is handled.
        False when it was claimed before, by this process or any other replica, in which case
        the caller does nothing. Becomes permanent with ``commit()``."""

    def next_number(self, team_id: str) -> int:
        """The next human ID number of a workspace (1, 2, ...), unique under concurrency."""

    def record_message(self, ask_id: int, author: str, text: str, at: datetime) -> None:
        """Append a line to the ask's transcript: every answer is kept verbatim."""

    def record_audit(self, ask_id: int, entry: AuditEntry) -> None:
        """Append to the ask's audit trail (every attempted action, allowed or not)."""

    def audit(self, ask_id: int) -> list[AuditEntry]:
        """The ask's audit trail, oldest first."""

    def enqueue_event(self, ask_id: int, event: dict[str, Any], at: datetime) -> None:
        """Queue an integration event (webhook) in this transaction: it is delivered after
        commit, in order per ask, retried until the receiver takes it."""


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class TokenLedger(Protocol):
    """LLM tokens spent per day, shared by every replica (for the per-day budget)."""

    def spent(self, day: date) -> int:
        """Tokens spent on ``day`` (UTC) so far."""

    def add(self, day: date, tokens: int) -> None:
        """Record ``tokens`` more spent on ``day``."""


class VectorStore(Protocol):
    """Each ask's embedding, with the text it was made from (re-embedded when that changes)."""

    def get_many(self, ask_ids: Iterable[int], model: str) -> dict[int, tuple[str, list[float]]]:
        """``{ask_id: (source text, vector)}`` for the asks that have one for ``model``."""

    def put(self, ask_id: int, model: str, source: str, vector: Sequence[float]) -> None: ...
