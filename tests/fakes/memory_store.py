"""In-memory implementations of the storage ports, for fast service-layer tests (the ask
repository is in ``tests.fakes.memory_asks``).

    store = InMemoryStore()           # an intake.ports.UnitOfWorkFactory: store() -> a UoW
    service = IntakeService(store, engine, clock)

They keep the semantics of the SQL implementation (``storage``), checked by the same contract
tests (tests/storage/test_contract.py):

* a unit of work is a transaction: nothing it does is visible to others before ``commit()``,
  and leaving the ``with`` block without ``commit()`` discards it;
* reads return copies: changing a returned object changes nothing until ``save()``;
* ``claim()`` and ``next_number()`` behave like row locks: a second unit of work claiming the
  same key (or numbering the same workspace) waits until the first one commits or rolls back;
* ``save()`` is optimistic: when another unit of work committed the ask after it was read here,
  ``save()`` or ``commit()`` raises ``ConcurrentUpdate``;
* history is append-only; milestones are replaced; ``key`` and thread are unique;
* ``record_audit()`` and ``enqueue_event()`` are part of the transaction (kept on commit,
  dropped on rollback); an event's ``id`` is unique. ``InMemoryStore(events_enabled=False)``
  queues no events. Committed events are in ``InMemoryStore.events()`` (nothing delivers
  them).

Pure Python: no SQLAlchemy.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from intake.conversation import Conversation
from intake.ports import AskRepository, ConcurrentUpdate
from intake.ticket import AuditEntry
from tests.fakes.memory_asks import AskNotFound, InMemoryAskRepository, aware, utc

PROCESSED_KEY_MAX = 255
LOCK_TIMEOUT_S = 10.0


def _processed_key(key: str) -> str:
    if len(key) <= PROCESSED_KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass
class _Stored:
    conversation: Conversation
    version: int


@dataclass(frozen=True)
class TranscriptLine:
    ask_id: int
    at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class AuditLine:
    ask_id: int
    entry: AuditEntry


@dataclass(frozen=True)
class QueuedEvent:
    """An integration event as the outbox holds it."""

    ask_id: int
    event_id: str
    payload: dict[str, Any]
    at: datetime


class InMemoryStore:
    """The committed state, shared by the units of work it hands out (thread-safe).
    ``events_enabled=False`` (no webhook configured): ``enqueue_event()`` queues nothing."""

    def __init__(
        self, *, lock_timeout: float = LOCK_TIMEOUT_S, events_enabled: bool = True
    ) -> None:
        self.lock_timeout = lock_timeout
        self.events_enabled = events_enabled
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._asks: dict[int, _Stored] = {}
        self._claimed: set[str] = set()
        self._counters: dict[str, int] = {}  # team -> the number the next submit gets
        self._transcript: list[TranscriptLine] = []
        self._audit: list[AuditLine] = []
        self._outbox: list[QueuedEvent] = []
        self._locks: dict[str, InMemoryUnitOfWork] = {}

    def events(self, ask_id: int | None = None) -> list[dict[str, Any]]:
        """Committed events (of one ask, or all), in the order they were queued (not in the
        port; for tests)."""
        with self._cond:
            return [
                copy.deepcopy(queued.payload)
                for queued in self._outbox
                if ask_id is None or queued.ask_id == ask_id
            ]

    def __call__(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)

    def unit_of_work(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)

    # Called with self._cond held.
    def _lock(self, name: str, owner: InMemoryUnitOfWork) -> None:
        deadline = time.monotonic() + self.lock_timeout
        while (holder := self._locks.get(name)) is not None and holder is not owner:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"waited {self.lock_timeout}s for {name!r}")
            self._cond.wait(remaining)
        self._locks[name] = owner

    def _unlock_all(self, owner: InMemoryUnitOfWork) -> None:
        for name in [name for name, holder in self._locks.items() if holder is owner]:
            del self._locks[name]
        self._cond.notify_all()


class InMemoryUnitOfWork:
    """One transaction against an ``InMemoryStore``."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store if store is not None else InMemoryStore()
        self.asks: AskRepository = InMemoryAskRepository(self)
        self._open = False
        # Committed asks as first read here, and the version read (0 for asks added here).
        # Kept across commit() - like the SQL session's rows - and forgotten on rollback().
        self._snapshots: dict[int, Conversation] = {}
        self._read_versions: dict[int, int] = {}
        self._reset()

    def _reset(self) -> None:
        """Forget the transaction's writes."""
        self._staged: dict[int, Conversation] = {}
        self._claims: set[str] = set()
        self._counters: dict[str, int] = {}
        self._transcript: list[TranscriptLine] = []
        self._audit: list[AuditLine] = []
        self._outbox: list[QueuedEvent] = []

    def __enter__(self) -> Self:
        if self._open:
            raise RuntimeError("this unit of work is already open")
        self._open = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()
        self._open = False

    # -- reads (with store._cond held) ----------------------------------------------------

    def _read(self, ask_id: int) -> Conversation | None:
        if ask_id in self._staged:
            return self._staged[ask_id]
        if ask_id in self._snapshots:
            return self._snapshots[ask_id]
        stored = self.store._asks.get(ask_id)
        if stored is None:
            return None
        self._snapshots[ask_id] = stored.conversation
        self._read_versions[ask_id] = stored.version
        return stored.conversation

    def _visible(self) -> list[Conversation]:
        ids = set(self.store._asks) | set(self._staged)
        found = (self._read(ask_id) for ask_id in sorted(ids))
        return [c for c in found if c is not None]

    def _check_version(self, ask_id: int) -> None:
        read = self._read_versions.get(ask_id, 0)
        stored = self.store._asks.get(ask_id)
        if (stored.version if stored is not None else 0) != read:
            raise ConcurrentUpdate(ask_id)

    def _check_unique(self, conversation: Conversation) -> None:
        ticket = conversation.ticket
        others = {
            ask_id: stored.conversation
            for ask_id, stored in self.store._asks.items()
            if ask_id != ticket.id
        }
        others.update({i: c for i, c in self._staged.items() if i != ticket.id})
        for other in others.values():
            same_team = other.ticket.team_id == ticket.team_id
            if ticket.key is not None and same_team and other.ticket.key == ticket.key:
                raise ValueError(f"duplicate key {ticket.key!r}")
            if (
                conversation.thread is not None
                and other.thread == conversation.thread
                and other.ticket.team_id == ticket.team_id
            ):
                raise ValueError(f"thread {conversation.thread} already has an intake")

    # -- the port -----------------------------------------------------------------------------

    def commit(self) -> None:
        store = self.store
        with store._cond:
            for ask_id, conversation in self._staged.items():
                self._check_version(ask_id)
                self._check_unique(conversation)
            self._check_events_unique()
            for ask_id, conversation in self._staged.items():
                version = self._read_versions.get(ask_id, 0) + 1
                store._asks[ask_id] = _Stored(conversation, version)
            store._claimed |= self._claims
            store._counters.update(self._counters)
            store._transcript.extend(self._transcript)
            store._audit.extend(self._audit)
            store._outbox.extend(self._outbox)
            for ask_id in self._staged:
                self._snapshots[ask_id] = store._asks[ask_id].conversation
                self._read_versions[ask_id] = store._asks[ask_id].version
            store._unlock_all(self)
            self._reset()

    def rollback(self) -> None:
        with self.store._cond:
            self.store._unlock_all(self)
            self._reset()
            self._snapshots.clear()
            self._read_versions.clear()

    def claim(self, key: str) -> bool:
        stored_key = _processed_key(key)
        store = self.store
        with store._cond:
            if stored_key in self._claims or stored_key in store._claimed:
                return False
            lock = f"claim:{stored_key}"
            store._lock(lock, self)
            if stored_key in store._claimed:  # committed while we waited
                del store._locks[lock]
                store._cond.notify_all()
                return False
            self._claims.add(stored_key)
            return True

    def next_number(self, team_id: str) -> int:
        store = self.store
        with store._cond:
            store._lock(f"counter:{team_id}", self)
            number = self._counters.get(team_id, store._counters.get(team_id, 1))
            self._counters[team_id] = number + 1
            return number

    def record_message(self, ask_id: int, author: str, text: str, at: datetime) -> None:
        with self.store._cond:
            if self._read(ask_id) is None:
                raise AskNotFound(ask_id)
            self._transcript.append(TranscriptLine(ask_id, at, author, text))

    def transcript(self, ask_id: int) -> list[tuple[datetime, str, str]]:
        """The ask's transcript as ``(at, author, text)``, oldest first (not in the port)."""
        with self.store._cond:
            lines = [
                line
                for line in [*self.store._transcript, *self._transcript]
                if line.ask_id == ask_id
            ]
        lines.sort(key=lambda line: line.at)
        return [(line.at, line.author, line.text) for line in lines]

    def record_audit(self, ask_id: int, entry: AuditEntry) -> None:
        aware(entry.at)
        with self.store._cond:
            if self._read(ask_id) is None:
                raise AskNotFound(ask_id)
            self._audit.append(AuditLine(ask_id, dataclasses.replace(entry, at=utc(entry.at))))

    def audit(self, ask_id: int) -> list[AuditEntry]:
        with self.store._cond:
            lines = [line for line in [*self.store._audit, *self._audit] if line.ask_id == ask_id]
        lines.sort(key=lambda line: line.entry.at)  # stable: same time, order of recording
        return [line.entry for line in lines]

    def enqueue_event(self, ask_id: int, event: dict[str, Any], at: datetime) -> None:
        event_id = event.get("id")
        if not isinstance(event_id, str) or not event_id:
            raise ValueError("an integration event needs a non-empty string 'id'")
        payload = json.loads(json.dumps(event))  # what a JSON column gives back
        aware(at)
        if not self.store.events_enabled:
            return
        with self.store._cond:
            if self._read(ask_id) is None:
                raise AskNotFound(ask_id)
            if any(q.event_id == event_id for q in [*self.store._outbox, *self._outbox]):
                raise ValueError(f"duplicate event id {event_id!r}")
            self._outbox.append(QueuedEvent(ask_id, event_id, payload, utc(at)))

    def _check_events_unique(self) -> None:
        """With store._cond held: every event id at most once (a unique column in SQL)."""
        seen: set[str] = set()
        for queued in [*self.store._outbox, *self._outbox]:
            if queued.event_id in seen:
                raise ValueError(f"duplicate event id {queued.event_id!r}")
            seen.add(queued.event_id)


class MemoryVectorStore:
    """``VectorStore`` in memory."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[str, str, list[float]]] = {}

    def get_many(self, ask_ids: Iterable[int], model: str) -> dict[int, tuple[str, list[float]]]:
        found = {}
        for ask_id in ask_ids:
            row = self.rows.get(ask_id)
            if row is not None and row[0] == model:
                found[ask_id] = (row[1], list(row[2]))
        return found

    def put(self, ask_id: int, model: str, source: str, vector: Sequence[float]) -> None:
        self.rows[ask_id] = (model, source, list(vector))
