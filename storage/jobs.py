"""The queue of deferred Slack work (``INTAKE_DEFER_WORK``): ``serve`` acknowledges a request,
and its listener's work runs in an ``intake-bot worker``, from this table.

* ``enqueue`` stores the request's raw body (what Bolt needs to run the listener again) before
  the ack goes out, so a crash after the ack loses nothing.
* ``claim`` hands out the oldest queued rows, each to one worker (PostgreSQL: ``FOR UPDATE
  SKIP LOCKED``; SQLite: the engine's ``BEGIN IMMEDIATE`` runs claims one at a time). A row
  claimed longer ago than the lease (its worker died) is handed out again, up to
  ``MAX_ATTEMPTS`` times in all: the work is at-least-once, and the use cases behind it
  de-duplicate what people said by Slack's message and click IDs.
* ``hand_back`` gives a shutting-down worker's unfinished rows back at once (claimable now,
  the attempt not counted); ``done`` deletes the row; ``give_up`` deletes the rows whose
  last attempt's lease ran out (their worker died each time: such a request would likely
  kill the next one too).

The body holds what Slack sent: the person's text and the request's ``response_url``, as the
rest of the database holds the person's text. Rows live for as long as the work takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Engine, Table, and_, case, delete, func, insert, or_, select, update

from storage.models import SlackJobRow

LEASE = timedelta(minutes=10)  # far longer than any listener runs (model calls time out)
MAX_ATTEMPTS = 2

_JOBS = cast(Table, SlackJobRow.__table__)


@dataclass(frozen=True)
class Job:
    id: int
    body: str
    content_type: str
    created_at: datetime
    attempts: int  # including this one


def enqueue(engine: Engine, body: str, content_type: str, now: datetime) -> int:
    with engine.begin() as connection:
        result = connection.execute(
            insert(_JOBS)
            .values(body=body, content_type=content_type, created_at=now, attempts=0)
            .returning(_JOBS.c.id)
        )
        return int(result.scalar_one())


def claim(engine: Engine, now: datetime, limit: int, *, lease: timedelta = LEASE) -> list[Job]:
    """Up to ``limit`` jobs for this worker, oldest first."""
    if limit <= 0:
        return []
    claimable = or_(
        _JOBS.c.claimed_at.is_(None),
        and_(_JOBS.c.claimed_at < now - lease, _JOBS.c.attempts < MAX_ATTEMPTS),
    )
    query = (
        select(_JOBS.c.id, _JOBS.c.body, _JOBS.c.content_type, _JOBS.c.created_at, _JOBS.c.attempts)
        .where(claimable)
        .order_by(_JOBS.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with engine.begin() as connection:
        rows = connection.execute(query).all()
        if rows:
            connection.execute(
                update(_JOBS)
                .where(_JOBS.c.id.in_([row.id for row in rows]))
                .values(claimed_at=now, attempts=_JOBS.c.attempts + 1)
            )
    return [
        Job(row.id, row.body, row.content_type, row.created_at, row.attempts + 1) for row in rows
    ]


def done(engine: Engine, job_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(delete(_JOBS).where(_JOBS.c.id == job_id))


def hand_back(engine: Engine, job_ids: list[int]) -> int:
    """Give claimed jobs back at once (a worker shutting down): claimable again by any worker
    now rather than after the lease, and the attempt not counted. How many."""
    if not job_ids:
        return 0
    with engine.begin() as connection:
        result = connection.execute(
            update(_JOBS)
            .where(_JOBS.c.id.in_(job_ids), _JOBS.c.claimed_at.is_not(None))
            .values(
                claimed_at=None,
                attempts=case((_JOBS.c.attempts > 0, _JOBS.c.attempts - 1), else_=0),
            )
        )
    return int(result.rowcount or 0)


def give_up(engine: Engine, now: datetime, *, lease: timedelta = LEASE) -> int:
    """Delete the jobs that were claimed ``MAX_ATTEMPTS`` times and whose last lease ran
    out; how many."""
    with engine.begin() as connection:
        result = connection.execute(
            delete(_JOBS).where(_JOBS.c.attempts >= MAX_ATTEMPTS, _JOBS.c.claimed_at < now - lease)
        )
    return int(result.rowcount or 0)


def depth(engine: Engine) -> tuple[int, datetime | None]:
    """(jobs not finished, when the oldest was queued)."""
    with engine.connect() as connection:
        row = connection.execute(select(func.count(), func.min(_JOBS.c.created_at))).one()
    return int(row[0]), row[1]
