"""The outbox of Slack messages (``slack_outbox``): milestone nudges, progress notes and
weekly digests, each sent to its person exactly once, however many replicas run.

A scheduled run queues its messages with ``enqueue_message`` in the transaction of its claim
(``storage.job_runs.claim_run``), and a sender, in every replica, repeats::

    for message in due_messages(engine, now):      # claimed for a lease: nobody else has it
        if message.sending_at is not None:          # an earlier send's outcome is unknown:
            ...look for it in the channel first     # see in_doubt() below
        mark_sending(engine, message.id, now)
        try: response = chat.postMessage(...)
        except ...: mark_failed(engine, message.id, str(error), now, retry_after=...)
        else: mark_sent(engine, message.id, response["ts"], response["channel"], now)

Guarantees, with any number of schedulers and senders in any number of processes:

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

``enqueue_message`` takes the caller's ``Session`` (so it joins its transaction); the
sender's functions take an ``Engine`` and run their own short transaction. Every time is
passed in by the caller (tests control it) and must be timezone-aware.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Engine, Table, case, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import MESSAGE_KEY_MAX, SlackOutboxRow
from storage.queue import ERROR_MAX_CHARS, backoff
from storage.statements import dialect_insert, inserted, require_aware

LEASE: Final = timedelta(seconds=60)  # longer than any send (with its look-up) takes
MAX_ATTEMPTS: Final = 8
LANES: Final = ("bulk", "interactive")

_MESSAGES = cast(Table, SlackOutboxRow.__table__)


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
    require_aware(at)
    if not_before is not None:
        require_aware(not_before, "not_before")
    stored = json.loads(json.dumps(payload))  # what the JSON column gives back
    statement = (
        dialect_insert(session, _MESSAGES)
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
    return inserted(session, statement)


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
    require_aware(now)
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
    require_aware(at)
    with engine.begin() as connection:
        connection.execute(
            update(_MESSAGES).where(_MESSAGES.c.id == message_id, *_UNSENT).values(sending_at=at)
        )


def mark_sent(engine: Engine, message_id: int, ts: str, channel_id: str, at: datetime) -> bool:
    """Slack took the message: keep its ``ts`` and the channel it answered with (for a DM,
    the D... channel). False when it was recorded as sent before (the first record stays).
    Also after a give-up: a message found posted is sent, whatever was concluded before."""
    require_aware(at)
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
    require_aware(at)
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
    require_aware(at)
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
    require_aware(at)
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
        require_aware(now)
        query = query.where(_MESSAGES.c.next_attempt_at <= now)
    with engine.connect() as connection:
        return [_message(row) for row in connection.execute(query)]


def given_up(
    engine: Engine, since: datetime, *, team_id: str | None = None
) -> list[OutgoingMessage]:
    """Messages given up at or after ``since`` and not sent since, in the order they were
    given up (for the log and the weekly digest); only ``team_id``'s when given (a workspace's
    digest lists its own)."""
    require_aware(since)
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
    require_aware(now)
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


__all__ = [
    "LANES",
    "LEASE",
    "MAX_ATTEMPTS",
    "OutgoingMessage",
    "due_messages",
    "enqueue_message",
    "given_up",
    "hand_back_unsent",
    "in_doubt",
    "mark_failed",
    "mark_sending",
    "mark_sent",
    "outbox_depth",
    "release_messages",
]
