"""Scheduled job runs claimed once (``job_runs``): each (job, period) runs in one replica.

The scheduler of every replica does, for each job and period (``"nudges"``, ``"2026-W48"``)::

    with transaction(engine) as session:
        if claim_run(session, "nudges", "2026-W48", replica_id, now):  # one replica wins
            for person, text in work:
                enqueue_message(session, key=f"nudge:{team}:{person}:2026-W48", ...)
            finish_run(session, "nudges", "2026-W48", now)
    # commits here: the claim and every message, or (on an exception) none of them

``claim_run`` is ``INSERT ... ON CONFLICT DO NOTHING`` on the unique ``(job, period)``; a
second claimer waits for the first transaction and gets False when it committed (True when
it rolled back). The claim and the messages it queues (``storage.slack_outbox``) are written
in one transaction, so a crashed run leaves neither.

Every function takes the caller's ``Session`` (so it joins its transaction) and the time from
the caller, timezone-aware.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from storage.models import AskRow, JobRunRow
from storage.statements import dialect_insert, inserted, require_aware

_RUNS = cast(Table, JobRunRow.__table__)


def claim_run(session: Session, job: str, period: str, replica: str, at: datetime) -> bool:
    """Claim the run of ``job`` for ``period`` (``"2026-W48"``, ``"2026-11-23"``, ...) for
    ``replica``. True for exactly one caller across threads, processes and replicas: the
    first whose transaction commits. A concurrent second claimer waits for the first
    transaction to end (False when it committed, True when it rolled back)."""
    require_aware(at)
    statement = (
        dialect_insert(session, _RUNS)
        .values(job=job, period=period, claimed_at=at, claimed_by=replica, finished_at=None)
        .on_conflict_do_nothing(index_elements=["job", "period"])
    )
    return inserted(session, statement)


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
    require_aware(now)
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
    require_aware(at)
    session.execute(
        update(_RUNS).where(_RUNS.c.job == job, _RUNS.c.period == period).values(finished_at=at)
    )


__all__ = ["INSTALLED_JOB", "claim_run", "claimed", "claimed_at", "finish_run", "installed_at"]
