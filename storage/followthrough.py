"""Storage for follow-through: scheduled job runs, the outbox of Slack messages, and people.

Milestone nudges, progress notes and weekly digests must reach each person exactly once,
however many replicas run a scheduler. The scheduler of every replica does, for each job and
period (``"nudges"``, ``"2026-W48"``)::

    with transaction(engine) as session:
        if claim_run(session, "nudges", "2026-W48", replica_id, now):  # one replica wins
            for person, text in work:
                enqueue_message(session, key=f"nudge:{team}:{person}:2026-W48", ...)
            finish_run(session, "nudges", "2026-W48", now)
    # commits here: the claim and every message, or (on an exception) none of them

and a sender, in every replica, repeats::

    for message in due_messages(engine, now):      # claimed for a lease: nobody else has it
        if message.sending_at is not None:          # an earlier send's outcome is unknown:
            ...look for it in the channel first     # see in_doubt() below
        mark_sending(engine, message.id, now)
        try: response = chat.postMessage(...)
        except ...: mark_failed(engine, message.id, str(error), now, retry_after=...)
        else: mark_sent(engine, message.id, response["ts"], response["channel"], now)

Guarantees, with any number of schedulers and senders in any number of processes:

* **one run per (job, period)**: ``claim_run`` is ``INSERT ... ON CONFLICT DO NOTHING`` on the
  unique ``(job, period)``; a second claimer waits for the first transaction and gets False
  when it committed (True when it rolled back);
* **each message once**: the message's ``key`` is unique, ``enqueue_message`` returns False
  for a key that exists (an idempotent re-run). The claim and the messages are written in one
  transaction, so a crashed run leaves neither;
* **no two senders at once**: ``due_messages`` claims rows in a short transaction
  (PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``; SQLite: the engine's
  ``BEGIN IMMEDIATE`` runs claims one at a time) and pushes ``next_attempt_at`` forward by a
  lease, so other senders skip them until it ends;
* **no blind resend after a crash**: ``mark_sending`` records that a send started. A row with
  ``sending_at`` but no ``ts`` (``in_doubt``) may or may not have been posted: after the
  lease it is handed out again *with* ``sending_at`` set, and the sender looks the message up
  (by its key, e.g. in the message metadata) before sending it again;
* **never dropped silently**: ``mark_failed`` schedules the next attempt after 2, 4, 8, ...
  seconds (at most 10 minutes), or after Slack's ``Retry-After``; past ``max_attempts`` it sets
  ``gave_up_at`` and the row stays, listed by ``given_up`` (for the log and the digest).

Scheduler-side functions take the caller's ``Session`` (so they join its transaction);
sender-side functions take an ``Engine`` and run their own short transaction. Every time is
passed in by the caller (tests control it) and must be timezone-aware.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import (
    CursorResult,
    Engine,
    Table,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.db import session_factory
from storage.models import MESSAGE_KEY_MAX, AskRow, JobRunRow, PersonRow, SlackOutboxRow
from storage.outbox import ERROR_MAX_CHARS, MAX_BACKOFF, backoff

LEASE: Final = timedelta(seconds=60)  # longer than any send (with its look-up) takes
MAX_ATTEMPTS: Final = 8
LANES: Final = ("bulk", "interactive")

_RUNS = cast(Table, JobRunRow.__table__)
_MESSAGES = cast(Table, SlackOutboxRow.__table__)
_PEOPLE = cast(Table, PersonRow.__table__)


def _aware(at: datetime, name: str = "time") -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive {name} {at!r}: storage needs timezone-aware times")


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"storage supports PostgreSQL and SQLite, not {dialect}")


def _inserted(session: Session, statement: Any) -> bool:
    """Run an ``INSERT ... ON CONFLICT DO NOTHING``; whether it inserted the row."""
    result = cast(
        CursorResult[Any],
        session.execute(statement.execution_options(preserve_rowcount=True)),
    )
    return result.rowcount == 1


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends normally, rolled back
    when it raises. For a scheduler run: ``claim_run`` and its ``enqueue_message`` calls
    either all stay or all go. (SQLite: the transaction holds the write lock from its start;
    keep it short.)"""
    with session_factory(engine)() as session, session.begin():
        yield session


# -- job runs ---------------------------------------------------------------------------------


def claim_run(session: Session, job: str, period: str, replica: str, at: datetime) -> bool:
    """Claim the run of ``job`` for ``period`` (``"2026-W48"``, ``"2026-11-23"``, ...) for
    ``replica``. True for exactly one caller across threads, processes and replicas: the
    first whose transaction commits. A concurrent second claimer waits for the first
    transaction to end (False when it committed, True when it rolled back)."""
    _aware(at)
    statement = (
        _insert(session, _RUNS)
        .values(job=job, period=period, claimed_at=at, claimed_by=replica, finished_at=None)
        .on_conflict_do_nothing(index_elements=["job", "period"])
    )
    return _inserted(session, statement)


def claimed(session: Session, job: str, period: str) -> bool:
    """Whether some run already claimed (``job``, ``period``): a cheap check before building
    a message that ``claim_run`` would then refuse."""
    return claimed_at(session, job, period) is not None


def claimed_at(session: Session, job: str, period: str) -> datetime | None:
    """When (``job``, ``period``) was claimed, or None."""
    return session.execute(
        select(JobRunRow.claimed_at).where(JobRunRow.job == job, JobRunRow.period == period)
    ).scalar_one_or_none()


INSTALLED_JOB: Final = "installed"


def installed_at(session: Session, replica: str, now: datetime) -> datetime:
    """When this install began: its first claimed run or its first ask, whichever came first.
    An install with neither begins ``now``: the claim recorded here marks the moment (the
    first replica's, across replicas), so scheduled work due before it is never caught up."""
    _aware(now)
    first_run = session.execute(select(func.min(JobRunRow.claimed_at))).scalar()
    first_ask = session.execute(select(func.min(AskRow.created_at))).scalar()
    known: list[datetime] = [at for at in (first_run, first_ask) if at is not None]
    if known:
        return min(known)
    claim_run(session, INSTALLED_JOB, "-", replica, now)
    first: datetime | None = session.execute(select(func.min(JobRunRow.claimed_at))).scalar()
    return first if first is not None else now


def finish_run(session: Session, job: str, period: str, at: datetime) -> None:
    """Record that the claimed run is complete (kept for inspection; claims never expire)."""
    _aware(at)
    session.execute(
        update(_RUNS).where(_RUNS.c.job == job, _RUNS.c.period == period).values(finished_at=at)
    )


# -- the outbox: writing ----------------------------------------------------------------------


def enqueue_message(
    session: Session,
    *,
    key: str,
    kind: str,
    team_id: str,
    channel: str,
    payload: dict[str, Any],
    at: datetime,
    not_before: datetime | None = None,
    thread_ts: str | None = None,
    lane: str = "bulk",
) -> bool:
    """Queue a message in the session's transaction; False (and nothing changes) when a
    message with ``key`` exists already, so a re-run queues nothing twice.

    ``key`` names the message uniquely, e.g. ``"nudge:T1:U123:2026-W48"`` (at most 255
    characters); ``kind`` is what it is (nudge, progress, digest, digest_detail, ...);
    ``channel`` a channel ID, or a user ID for a DM; ``payload`` the ``chat.postMessage``
    arguments the sender needs (``{"text": ..., "blocks": [...]}``; stored as a plain JSON
    copy, opaque to storage); ``not_before`` the earliest send time (a person's local 09:00);
    ``lane`` "bulk" or "interactive". ValueError for a bad key or lane, or naive times;
    TypeError when the payload is not JSON-able."""
    if not key or len(key) > MESSAGE_KEY_MAX:
        raise ValueError(f"a message key has 1 to {MESSAGE_KEY_MAX} characters: {key[:80]!r}")
    if lane not in LANES:
        raise ValueError(f"lane must be one of {LANES}, not {lane!r}")
    _aware(at)
    if not_before is not None:
        _aware(not_before, "not_before")
    stored = json.loads(json.dumps(payload))  # what the JSON column gives back
    statement = (
        _insert(session, _MESSAGES)
        .values(
            key=key,
            kind=kind,
            team_id=team_id,
            channel=channel,
            thread_ts=thread_ts,
            payload=stored,
            lane=lane,
            created_at=at,
            not_before=not_before,
            attempts=0,
            next_attempt_at=max(at, not_before) if not_before is not None else at,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return _inserted(session, statement)


# -- the outbox: sending ----------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMessage:
    """One queued message. ``attempts``: failed attempts before this one. ``sending_at``
    set: an earlier send started and its outcome was never recorded (it may have been
    posted): look it up before sending again. ``last_error`` and ``gave_up_at`` for
    reports."""

    id: int
    key: str
    kind: str
    team_id: str
    channel: str
    thread_ts: str | None
    payload: dict[str, Any]
    lane: str
    attempts: int
    sending_at: datetime | None
    last_error: str | None = None
    gave_up_at: datetime | None = None


_COLUMNS = (
    _MESSAGES.c.id,
    _MESSAGES.c.key,
    _MESSAGES.c.kind,
    _MESSAGES.c.team_id,
    _MESSAGES.c.channel,
    _MESSAGES.c.thread_ts,
    _MESSAGES.c.payload,
    _MESSAGES.c.lane,
    _MESSAGES.c.attempts,
    _MESSAGES.c.sending_at,
    _MESSAGES.c.last_error,
    _MESSAGES.c.gave_up_at,
)


def _message(row: Any) -> OutgoingMessage:
    """A row of ``_COLUMNS`` as an ``OutgoingMessage``."""
    return OutgoingMessage(
        id=row.id,
        key=row.key,
        kind=row.kind,
        team_id=row.team_id,
        channel=row.channel,
        thread_ts=row.thread_ts,
        payload=row.payload,
        lane=row.lane,
        attempts=row.attempts,
        sending_at=row.sending_at,
        last_error=row.last_error,
        gave_up_at=row.gave_up_at,
    )


_UNSENT = (_MESSAGES.c.sent_at.is_(None), _MESSAGES.c.gave_up_at.is_(None))


def _sendable(now: datetime) -> Any:
    return or_(_MESSAGES.c.not_before.is_(None), _MESSAGES.c.not_before <= now)


def due_messages(
    engine: Engine,
    now: datetime,
    limit: int = 50,
    lane: str | None = None,
    lease: timedelta = LEASE,
) -> list[OutgoingMessage]:
    """Claim and return up to ``limit`` messages to send now: not sent, not given up, due
    (``next_attempt_at <= now``) and past ``not_before``; interactive ones first, then in
    queue order. Only ``lane``'s when given. Claimed rows are not due again before
    ``now + lease`` (unless ``mark_failed`` or ``release_messages`` says so): no other
    sender gets them meanwhile."""
    _aware(now)
    if lane is not None and lane not in LANES:
        raise ValueError(f"lane must be one of {LANES}, not {lane!r}")
    query = (
        select(*_COLUMNS)
        .where(*_UNSENT, _MESSAGES.c.next_attempt_at <= now, _sendable(now))
        .order_by(case((_MESSAGES.c.lane == "interactive", 0), else_=1), _MESSAGES.c.id)
        .limit(limit)
        # PostgreSQL: rows another sender is claiming right now are skipped, not waited for.
        # (SQLite has no row locks: the engine's BEGIN IMMEDIATE serialises claims.)
        .with_for_update(skip_locked=True, of=_MESSAGES)
    )
    if lane is not None:
        query = query.where(_MESSAGES.c.lane == lane)
    with engine.begin() as connection:
        rows = connection.execute(query).all()
        if rows:
            connection.execute(
                update(_MESSAGES)
                .where(_MESSAGES.c.id.in_([row.id for row in rows]))
                .values(next_attempt_at=now + lease)
            )
    return [_message(row) for row in rows]


def mark_sending(engine: Engine, message_id: int, at: datetime) -> None:
    """A send of the message starts now. Until ``mark_sent`` or ``mark_failed``, its outcome
    is unknown (``in_doubt``)."""
    _aware(at)
    with engine.begin() as connection:
        connection.execute(
            update(_MESSAGES).where(_MESSAGES.c.id == message_id, *_UNSENT).values(sending_at=at)
        )


def mark_sent(engine: Engine, message_id: int, ts: str, channel_id: str, at: datetime) -> bool:
    """Slack took the message: keep its ``ts`` and the channel it answered with (for a DM,
    the D... channel). False when it was recorded as sent before (the first record stays).
    Also after a give-up: a message found posted is sent, whatever was concluded before."""
    _aware(at)
    with engine.begin() as connection:
        result = connection.execute(
            update(_MESSAGES)
            .where(_MESSAGES.c.id == message_id, _MESSAGES.c.sent_at.is_(None))
            .values(sent_at=at, ts=ts, channel_id_sent=channel_id)
        )
    return bool(result.rowcount)


def mark_failed(
    engine: Engine,
    message_id: int,
    error: str,
    at: datetime,
    *,
    retry_after: float | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    maybe_sent: bool = False,
) -> bool:
    """The attempt failed: count it and keep ``error`` (shortened). True when it will be
    retried: after ``retry_after`` seconds when Slack said so (a 429's ``Retry-After``), else
    after 2, 4, 8, ... s (at most 10 minutes). When this was attempt ``max_attempts``, the
    message is given up instead (``gave_up_at``; kept and listed by ``given_up``) and the
    answer is False - as it is for a message already sent, given up or unknown.

    The send is taken as not posted (``sending_at`` is cleared), as when Slack answered with
    an error. ``maybe_sent=True`` (a timeout: it may have been posted) keeps ``sending_at``,
    so the next attempt looks the message up first."""
    _aware(at)
    with engine.begin() as connection:
        attempts = connection.execute(
            select(_MESSAGES.c.attempts)
            .where(_MESSAGES.c.id == message_id, *_UNSENT)
            .with_for_update()
        ).scalar_one_or_none()
        if attempts is None:
            return False
        attempts = int(attempts) + 1
        values: dict[str, Any] = {"attempts": attempts, "last_error": error[:ERROR_MAX_CHARS]}
        if not maybe_sent:
            values["sending_at"] = None
        retried = attempts < max_attempts
        if retried:
            wait = (
                timedelta(seconds=max(retry_after, 0.0))
                if retry_after is not None
                else backoff(attempts)
            )
            values["next_attempt_at"] = at + wait
        else:
            values["gave_up_at"] = at
        connection.execute(update(_MESSAGES).where(_MESSAGES.c.id == message_id).values(values))
    return retried


def release_messages(engine: Engine, message_ids: Collection[int], at: datetime) -> None:
    """Give claimed messages back without counting an attempt: due again at ``at`` (a sender
    stopping, or the pacer asking to wait longer than the lease)."""
    _aware(at)
    if not message_ids:
        return
    with engine.begin() as connection:
        connection.execute(
            update(_MESSAGES)
            .where(_MESSAGES.c.id.in_(list(message_ids)), *_UNSENT)
            .values(next_attempt_at=at)
        )


def hand_back_unsent(engine: Engine, message_ids: Collection[int], at: datetime) -> int:
    """Give claimed messages back whose send never went out (a sender stopping before it
    posted them): due again at ``at``, no attempt counted, and not in doubt any more
    (``sending_at`` cleared: the next sender posts them without looking them up first).
    Messages sent meanwhile are left alone. How many were handed back."""
    _aware(at)
    if not message_ids:
        return 0
    with engine.begin() as connection:
        result = connection.execute(
            update(_MESSAGES)
            .where(_MESSAGES.c.id.in_(list(message_ids)), *_UNSENT)
            .values(next_attempt_at=at, sending_at=None)
        )
    return int(result.rowcount or 0)


def in_doubt(engine: Engine, now: datetime | None = None) -> list[OutgoingMessage]:
    """Messages whose send started (``mark_sending``) and was never recorded as sent or
    failed: a crash between sending and recording, or a send still under way. With
    ``now``, only those no sender holds any more (lease over: ``next_attempt_at <= now``).
    The sender resolves them by looking the message up in the channel: ``mark_sent`` when
    found, else it sends it. Not given up ones only; oldest first."""
    query = (
        select(*_COLUMNS)
        .where(*_UNSENT, _MESSAGES.c.sending_at.is_not(None), _MESSAGES.c.ts.is_(None))
        .order_by(_MESSAGES.c.id)
    )
    if now is not None:
        _aware(now)
        query = query.where(_MESSAGES.c.next_attempt_at <= now)
    with engine.connect() as connection:
        return [_message(row) for row in connection.execute(query)]


def given_up(
    engine: Engine, since: datetime, *, team_id: str | None = None
) -> list[OutgoingMessage]:
    """Messages given up at or after ``since`` and not sent since, in the order they were
    given up (for the log and the weekly digest); only ``team_id``'s when given (a workspace's
    digest lists its own)."""
    _aware(since)
    query = (
        select(*_COLUMNS)
        .where(
            _MESSAGES.c.sent_at.is_(None),
            _MESSAGES.c.gave_up_at.is_not(None),
            _MESSAGES.c.gave_up_at >= since,
        )
        .order_by(_MESSAGES.c.gave_up_at, _MESSAGES.c.id)
    )
    if team_id is not None:
        query = query.where(_MESSAGES.c.team_id == team_id)
    with engine.connect() as connection:
        return [_message(row) for row in connection.execute(query)]


def outbox_depth(engine: Engine, now: datetime) -> tuple[int, float | None]:
    """``(pending, oldest age)`` for monitoring: how many messages may be sent now and are
    not sent yet (not given up; waiting, being sent or failing; messages whose
    ``not_before`` is later are not counted), and the seconds since the oldest of them became
    sendable (queued, or its ``not_before``); None when there is none. A growing age means
    the sender is stuck or Slack keeps refusing."""
    _aware(now)
    sendable_since = case(
        (
            _MESSAGES.c.not_before.is_not(None) & (_MESSAGES.c.not_before > _MESSAGES.c.created_at),
            _MESSAGES.c.not_before,
        ),
        else_=_MESSAGES.c.created_at,
    )
    query = select(func.count(), func.min(sendable_since)).where(*_UNSENT, _sendable(now))
    with engine.connect() as connection:
        count, oldest = connection.execute(query).one()
    if not count or oldest is None:
        return 0, None
    if isinstance(oldest, str):  # SQLite: a CASE of two columns loses their type
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), max((now - oldest).total_seconds(), 0.0)


# -- people -----------------------------------------------------------------------------------


@dataclass
class Person:
    """What is kept about a person: their IANA time zone as Slack gave it (``tz``, None when
    unknown) and when it was fetched, and until when they snoozed nudges."""

    team_id: str
    user_id: str
    tz: str | None = None
    tz_fetched_at: datetime | None = None
    snoozed_until: datetime | None = None


def get_person(session: Session, team_id: str, user_id: str) -> Person | None:
    row = session.execute(
        select(_PEOPLE).where(_PEOPLE.c.team_id == team_id, _PEOPLE.c.user_id == user_id)
    ).one_or_none()
    if row is None:
        return None
    return Person(
        team_id=row.team_id,
        user_id=row.user_id,
        tz=row.tz,
        tz_fetched_at=row.tz_fetched_at,
        snoozed_until=row.snoozed_until,
    )


def save_person(session: Session, person: Person, at: datetime | None = None) -> None:
    """Insert or replace the person (``updated_at`` is ``at``, by default now), in the
    session's transaction. The last writer wins."""
    updated_at = at if at is not None else datetime.now(UTC)
    _aware(updated_at)
    values = {
        "tz": person.tz,
        "tz_fetched_at": person.tz_fetched_at,
        "snoozed_until": person.snoozed_until,
        "updated_at": updated_at,
    }
    statement = _insert(session, _PEOPLE).values(
        team_id=person.team_id, user_id=person.user_id, **values
    )
    session.execute(
        statement.on_conflict_do_update(index_elements=["team_id", "user_id"], set_=values)
    )


__all__ = [
    "LANES",
    "LEASE",
    "MAX_ATTEMPTS",
    "MAX_BACKOFF",
    "OutgoingMessage",
    "Person",
    "backoff",
    "claim_run",
    "due_messages",
    "enqueue_message",
    "finish_run",
    "get_person",
    "given_up",
    "hand_back_unsent",
    "in_doubt",
    "mark_failed",
    "mark_sending",
    "mark_sent",
    "outbox_depth",
    "release_messages",
    "save_person",
    "transaction",
]
