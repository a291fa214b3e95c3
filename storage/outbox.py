"""The delivery side of the webhook outbox (``webhook_outbox``), for the background sender.

Units of work queue events (``SqlUnitOfWork.enqueue_event``) in the transaction of the change
they report. A sender, in every replica, then repeats::

    for item in due(engine, now):          # claimed for LEASE: no other sender takes them
        try: send(item) ...
        delivered(engine, item.id, at)     # or failed(engine, item.id, error, at)

Guarantees, with any number of senders in any number of processes:

* **order per ask**: ``due()`` gives only an ask's oldest undelivered event (by ``id``); the
  next one becomes due when that one is delivered. A failing event holds back the later
  events of its ask (and only of its ask) until it goes through;
* **no double sending at the same time**: ``due()`` claims what it returns in a short
  transaction, pushing ``next_attempt_at`` forward by a lease, so other senders skip those
  rows until the lease ends (PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``; SQLite: the
  engine's ``BEGIN IMMEDIATE`` runs claims one at a time). A sender that dies mid-delivery
  leaves its rows to be retried when the lease ends; a sender slower than the lease may see
  its row sent again. Delivery is therefore at-least-once: receivers de-duplicate by the
  event id (``X-Intake-Event-Id``);
* **never dropped**: ``failed()`` counts the attempt and schedules the next one after 2, 4, 8,
  ... seconds, at most ``MAX_BACKOFF`` apart, forever.

Every function runs its own short transaction on ``engine`` (one from
``storage.db.make_engine``) and takes the time from the caller, so tests control it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, delete, exists, func, select, update

from storage.models import OutboxRow

LEASE = timedelta(seconds=60)  # longer than any delivery attempt takes
MAX_BACKOFF = timedelta(minutes=10)
ERROR_MAX_CHARS = 2000

_OUTBOX = cast(Table, OutboxRow.__table__)


@dataclass(frozen=True)
class OutboxItem:
    """One claimed event. ``attempts``: failed attempts before this one."""

    id: int
    ask_id: int
    event_id: str
    payload: dict[str, Any]
    attempts: int


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 2, 4, 8, ... s, at most 10 min."""
    seconds = 2 ** min(max(attempts, 1), 20)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def due(
    engine: Engine,
    now: datetime,
    limit: int = 20,
    *,
    lease: timedelta = LEASE,
    exclude_asks: Collection[int] = (),
) -> list[OutboxItem]:
    """Claim and return up to ``limit`` events to send now, oldest first: undelivered, due
    (``next_attempt_at <= now``) and the oldest undelivered event of their ask. Claimed rows
    are not due again before ``now + lease`` (unless ``failed()`` or ``release()`` says so).
    Events of ``exclude_asks`` are left alone."""
    earlier = _OUTBOX.alias("earlier")
    held_back = exists().where(
        earlier.c.ask_id == _OUTBOX.c.ask_id,
        earlier.c.id < _OUTBOX.c.id,
        earlier.c.delivered_at.is_(None),
    )
    query = (
        select(
            _OUTBOX.c.id,
            _OUTBOX.c.ask_id,
            _OUTBOX.c.event_id,
            _OUTBOX.c.payload,
            _OUTBOX.c.attempts,
        )
        .where(
            _OUTBOX.c.delivered_at.is_(None),
            _OUTBOX.c.next_attempt_at <= now,
            ~held_back,
        )
        .order_by(_OUTBOX.c.id)
        .limit(limit)
        # PostgreSQL: rows another sender is claiming right now are skipped, not waited for.
        # (SQLite has no row locks: the engine's BEGIN IMMEDIATE serialises claims.)
        .with_for_update(skip_locked=True, of=_OUTBOX)
    )
    if exclude_asks:
        query = query.where(_OUTBOX.c.ask_id.not_in(list(exclude_asks)))
    with engine.begin() as connection:
        rows = connection.execute(query).all()
        if rows:
            connection.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_([row.id for row in rows]))
                .values(next_attempt_at=now + lease)
            )
    return [
        OutboxItem(
            id=row.id,
            ask_id=row.ask_id,
            event_id=row.event_id,
            payload=row.payload,
            attempts=row.attempts,
        )
        for row in rows
    ]


def delivered(engine: Engine, item_id: int, at: datetime) -> None:
    """The receiver took the event: done (the first delivery time is kept)."""
    with engine.begin() as connection:
        connection.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id == item_id, _OUTBOX.c.delivered_at.is_(None))
            .values(delivered_at=at)
        )


def failed(engine: Engine, item_id: int, error: str, at: datetime) -> timedelta | None:
    """The attempt failed: count it, keep ``error`` (shortened) and schedule the next attempt
    after ``backoff``. The wait until then; None when the event is delivered already (by a
    sender that claimed it after a lease ran out) or unknown."""
    with engine.begin() as connection:
        attempts = connection.execute(
            select(_OUTBOX.c.attempts)
            .where(_OUTBOX.c.id == item_id, _OUTBOX.c.delivered_at.is_(None))
            .with_for_update()
        ).scalar_one_or_none()
        if attempts is None:
            return None
        wait = backoff(attempts + 1)
        connection.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id == item_id)
            .values(
                attempts=attempts + 1,
                last_error=error[:ERROR_MAX_CHARS],
                next_attempt_at=at + wait,
            )
        )
    return wait


def release(engine: Engine, item_ids: Collection[int], at: datetime) -> None:
    """Give claimed, unattempted events back: due again at ``at`` (a sender stopping)."""
    if not item_ids:
        return
    with engine.begin() as connection:
        connection.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id.in_(list(item_ids)), _OUTBOX.c.delivered_at.is_(None))
            .values(next_attempt_at=at)
        )


def pending_count(engine: Engine) -> int:
    """Events not delivered yet (waiting, being sent or failing)."""
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count()).select_from(_OUTBOX).where(_OUTBOX.c.delivered_at.is_(None))
        )
    return int(count or 0)


def oldest_pending_age(engine: Engine, now: datetime) -> float | None:
    """Seconds since the oldest undelivered event was queued; None when all are delivered.
    (For monitoring: a growing age means a receiver keeps refusing.)"""
    with engine.connect() as connection:
        oldest: datetime | None = connection.scalar(
            select(func.min(_OUTBOX.c.created_at)).where(_OUTBOX.c.delivered_at.is_(None))
        )
    if oldest is None:
        return None
    return (now - oldest).total_seconds()


def purge_delivered(engine: Engine, before: datetime) -> int:
    """Delete events delivered before ``before``; how many. (Delivered rows are kept until
    then, for inspection; nothing calls this on its own.)"""
    with engine.begin() as connection:
        result = connection.execute(
            delete(_OUTBOX).where(
                _OUTBOX.c.delivered_at.is_not(None), _OUTBOX.c.delivered_at < before
            )
        )
    return int(result.rowcount)


__all__ = [
    "LEASE",
    "MAX_BACKOFF",
    "OutboxItem",
    "backoff",
    "delivered",
    "due",
    "failed",
    "oldest_pending_age",
    "pending_count",
    "purge_delivered",
    "release",
]
