"""The one durable queue (``queue_items``): everything that runs later, of every kind.

A change and the work it sets off commit together: ``enqueue(session, ...)`` joins the
change's transaction. One runner per process (``bot.runner``) ``claim``s due items, runs each
kind's handler and records ``done`` or ``failed``. With any number of runners:

* **once per key**: queuing a ``key`` that exists queues nothing, until ``purge`` deletes
  the done item (``bot.runner.Kind.keep_done``);
* **one runner at a time**: ``claim`` leases rows (PostgreSQL: ``FOR UPDATE SKIP LOCKED``;
  SQLite: ``BEGIN IMMEDIATE``) by pushing ``run_at`` forward;
* **in order per order key**: only the oldest pending item of an ``order_key`` is handed out;
* **nothing lost, nothing blind**: a claim counts an attempt and marks it started; an item
  whose runner died comes back when its lease ends, ``in_doubt``, so its handler looks for
  what the earlier attempt did. ``failed`` backs off (or waits the service's Retry-After);
  past ``max_attempts`` the item is given up and kept, to be reported.

Times come from the caller, timezone-aware.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import (
    ColumnElement,
    Engine,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from storage.models import QUEUE_KEY_MAX, QueueItemRow
from storage.statements import dialect_insert, from_row, inserted, require_aware

# The default lease: longer than any one attempt of a kind that holds no lease of its own
# (bot.runner.Kind.lease; its API calls time out).
LEASE: Final = timedelta(minutes=2)
MAX_BACKOFF: Final = timedelta(minutes=10)  # failed: 2, 4, 8, ... s after each attempt
ERROR_MAX_CHARS: Final = 2000

_ITEMS = cast(Table, QueueItemRow.__table__)


@dataclass(frozen=True)
class _Queued:
    """What every read of an item has: the columns of that name."""

    id: int
    kind: str
    key: str | None
    team_id: str | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Item(_Queued):
    """One claimed item. ``attempts`` counts this one; ``in_doubt``: an earlier attempt
    started and its outcome was never recorded (its runner died), so it may have acted;
    ``last_error``: what the last failed attempt said (None: none failed)."""

    in_doubt: bool
    created_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class GivenUp(_Queued):
    """An item past its last attempt, kept for reports."""

    last_error: str | None
    gave_up_at: datetime


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    at: datetime,
    key: str | None = None,
    run_at: datetime | None = None,
    order_key: str | None = None,
    team_id: str | None = None,
    priority: int = 0,
    max_attempts: int | None = None,
) -> bool:
    """Queue an item in the session's transaction; False (nothing queued) when an item with
    ``key`` exists already. ``run_at``: not before then (default ``at``); ``priority``:
    higher runs first; ``max_attempts``: None retries for ever. ValueError for a bad key or
    naive times; TypeError when the payload is not JSON-able."""
    for name, value in (("key", key), ("order key", order_key)):
        if value is not None and not 0 < len(value) <= QUEUE_KEY_MAX:
            raise ValueError(f"a queue {name} has 1 to {QUEUE_KEY_MAX} characters: {value[:80]!r}")
    require_aware(at)
    if run_at is not None:
        require_aware(run_at, "run_at")
    values = {
        "kind": kind,
        "key": key,
        "order_key": order_key,
        "team_id": team_id,
        "payload": json.loads(json.dumps(payload)),  # what the JSON column gives back
        "priority": priority,
        "created_at": at,
        "run_at": max(at, run_at) if run_at is not None else at,
        "attempts": 0,
        "max_attempts": max_attempts,
    }
    if key is None:
        session.execute(_ITEMS.insert().values(**values))
        return True
    statement = dialect_insert(session, _ITEMS).values(**values)
    return inserted(session, statement.on_conflict_do_nothing(index_elements=["key"]))


_PENDING = and_(_ITEMS.c.done_at.is_(None), _ITEMS.c.gave_up_at.is_(None))


def _claimable(now: datetime) -> ColumnElement[bool]:
    """What ``claim`` hands out at ``now``: pending, due, with an attempt left, and the oldest
    pending item of its order key."""
    earlier = _ITEMS.alias("earlier")
    held_back = exists().where(
        earlier.c.order_key == _ITEMS.c.order_key,
        earlier.c.id < _ITEMS.c.id,
        earlier.c.done_at.is_(None),
        earlier.c.gave_up_at.is_(None),
    )
    return and_(
        _PENDING,
        _ITEMS.c.run_at <= now,
        or_(_ITEMS.c.max_attempts.is_(None), _ITEMS.c.attempts < _ITEMS.c.max_attempts),
        or_(_ITEMS.c.order_key.is_(None), ~held_back),
    )


def claim(
    engine: Engine,
    now: datetime,
    limit: int,
    *,
    kinds: Collection[str] | None = None,
    lease: timedelta = LEASE,
) -> list[Item]:
    """Claim up to ``limit`` due items (of ``kinds``, default any), highest priority then
    oldest first, each the oldest pending one of its order key. Each is leased until
    ``now + lease``, its attempt counted and marked started."""
    require_aware(now)
    if limit <= 0 or (kinds is not None and not kinds):
        return []
    query = (
        select(_ITEMS)
        .where(_claimable(now))
        .order_by(_ITEMS.c.priority.desc(), _ITEMS.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=_ITEMS)
    )
    if kinds is not None:
        query = query.where(_ITEMS.c.kind.in_(list(kinds)))
    with engine.begin() as connection:
        rows = connection.execute(query).all()
        if rows:
            connection.execute(
                update(_ITEMS)
                .where(_ITEMS.c.id.in_([row.id for row in rows]))
                .values(run_at=now + lease, started_at=now, attempts=_ITEMS.c.attempts + 1)
            )
    return [
        from_row(Item, row, attempts=row.attempts + 1, in_doubt=row.started_at is not None)
        for row in rows
    ]


def due_kinds(engine: Engine, now: datetime, kinds: Collection[str]) -> set[str]:
    """Which of ``kinds`` have an item ``claim`` would hand out now: a cheap read that spares
    an idle runner a claim transaction per kind (also while an ordered item is held back)."""
    query = select(_ITEMS.c.kind).where(_claimable(now), _ITEMS.c.kind.in_(list(kinds))).distinct()
    with engine.connect() as connection:
        return set(connection.scalars(query))


def done(engine: Engine, item_id: int, at: datetime, result: dict[str, Any] | None = None) -> None:
    """The item's work is done; ``result`` (a message's ts, an issue's URL) is kept with it."""
    with engine.begin() as connection:
        connection.execute(
            update(_ITEMS)
            .where(_ITEMS.c.id == item_id, _PENDING)
            .values(done_at=at, started_at=None, result=result)
        )


def failed(
    engine: Engine,
    item_id: int,
    error: str,
    at: datetime,
    *,
    retry_after: float | None = None,
    give_up: bool = False,
) -> datetime | None:
    """The attempt failed (and did nothing): keep ``error`` and schedule the next attempt
    after the backoff, or after ``retry_after`` seconds when the service said so. Given up,
    and kept, when that was the last attempt or ``give_up``. When it runs next; None when
    given up (or no longer pending)."""
    with engine.begin() as connection:
        row = connection.execute(
            select(_ITEMS.c.attempts, _ITEMS.c.max_attempts)
            .where(_ITEMS.c.id == item_id, _PENDING)
            .with_for_update()
        ).one_or_none()
        if row is None:
            return None
        last = give_up or (row.max_attempts is not None and row.attempts >= row.max_attempts)
        backoff = min(timedelta(seconds=2 ** min(max(row.attempts, 1), 20)), MAX_BACKOFF)
        wait = timedelta(seconds=retry_after) if retry_after is not None else backoff
        next_run = None if last else at + wait
        connection.execute(
            update(_ITEMS)
            .where(_ITEMS.c.id == item_id)
            .values(
                started_at=None,
                last_error=error[:ERROR_MAX_CHARS],
                run_at=next_run or at,
                gave_up_at=at if last else None,
            )
        )
    return next_run


def release(
    engine: Engine, item_ids: Iterable[int], at: datetime, *, in_doubt: bool = False
) -> int:
    """Give claimed items back, due at ``at``: unstarted (a runner stopping, a deferral), the
    attempt not counted; or ``in_doubt``, their attempt still running as the process exits
    (``at``: once its calls can no longer be answered). How many."""
    ids = list(item_ids)
    if not ids:
        return 0
    unstarted = {
        "started_at": None,
        "attempts": case((_ITEMS.c.attempts > 0, _ITEMS.c.attempts - 1), else_=0),
    }
    statement = update(_ITEMS).where(_ITEMS.c.id.in_(ids), _PENDING)
    with engine.begin() as connection:
        result = connection.execute(statement.values(run_at=at, **({} if in_doubt else unstarted)))
    return int(result.rowcount or 0)


def give_up_dead(engine: Engine, now: datetime) -> Counter[str]:
    """Give up the items whose every attempt died with its runner (the last lease ran out
    with no outcome): such an item would likely kill the next runner too. How many, per
    kind."""
    with engine.begin() as connection:
        kinds = connection.scalars(
            update(_ITEMS)
            .where(
                _PENDING,
                _ITEMS.c.max_attempts.is_not(None),
                _ITEMS.c.attempts >= _ITEMS.c.max_attempts,
                _ITEMS.c.run_at <= now,
            )
            .values(gave_up_at=now, started_at=None, last_error="every attempt died")
            .returning(_ITEMS.c.kind)
        )
        return Counter(kinds)


def pending(engine: Engine) -> dict[str, tuple[int, datetime]]:
    """Per kind with pending items: (how many, when the oldest was queued)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(_ITEMS.c.kind, func.count(), func.min(_ITEMS.c.created_at))
            .where(_PENDING)
            .group_by(_ITEMS.c.kind)
        ).all()
    return {row[0]: (int(row[1]), row[2]) for row in rows}


def given_up(
    engine: Engine, kinds: Collection[str], since: datetime, *, team_id: str | None = None
) -> list[GivenUp]:
    """Items of ``kinds`` (of ``team_id``, if given) given up since ``since``, oldest first."""
    require_aware(since)
    query = select(_ITEMS).where(_ITEMS.c.kind.in_(list(kinds)), _ITEMS.c.gave_up_at >= since)
    if team_id is not None:
        query = query.where(_ITEMS.c.team_id == team_id)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(_ITEMS.c.gave_up_at, _ITEMS.c.id)).all()
    return [from_row(GivenUp, row) for row in rows]


def result_of(session: Session, key: str) -> dict[str, Any] | None:
    """The result the item of ``key`` was done with; None when it is not done (or unknown)."""
    return session.execute(
        select(_ITEMS.c.result).where(_ITEMS.c.key == key, _ITEMS.c.done_at.is_not(None))
    ).scalar_one_or_none()


def purge(engine: Engine, before: datetime, *, kinds: Collection[str] | None = None) -> int:
    """Delete items done before ``before`` (their keys may then be queued again); how many."""
    statement = delete(_ITEMS).where(_ITEMS.c.done_at.is_not(None), _ITEMS.c.done_at < before)
    if kinds is not None:
        statement = statement.where(_ITEMS.c.kind.in_(list(kinds)))
    with engine.begin() as connection:
        result = connection.execute(statement)
    return int(result.rowcount or 0)
