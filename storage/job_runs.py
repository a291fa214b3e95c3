"""Scheduled job runs claimed once (``job_runs``): each (job, period) runs in one replica.

Every replica's scheduler calls ``claim_run`` for a job and period (``"nudges"``,
``"2026-W48"``) in the transaction that then queues the run's work
(``storage.slack_outbox.enqueue_message``): ``INSERT ... ON CONFLICT DO NOTHING`` on the
unique (job, period) lets exactly one win, and a crashed run leaves neither claim nor work.
Functions take the caller's ``Session`` and the time from the caller, timezone-aware.
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
    """Claim the run of ``job`` for ``period`` (``"2026-W48"``) for ``replica``. True for
    exactly one caller anywhere: the first whose transaction commits (a concurrent second
    claimer waits for it: False when it committed, True when it rolled back)."""
    require_aware(at)
    statement = (
        dialect_insert(session, _RUNS)
        .values(job=job, period=period, claimed_at=at, claimed_by=replica, finished_at=None)
        .on_conflict_do_nothing(index_elements=["job", "period"])
    )
    return inserted(session, statement)


def claimed_at(session: Session, job: str, period: str) -> datetime | None:
    """When (``job``, ``period``) was claimed, or None (a cheap check before building work
    that ``claim_run`` would then refuse)."""
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
    """Record when the claimed run completed (for people inspecting the table: no code reads
    it; claims never expire)."""
    require_aware(at)
    session.execute(
        update(_RUNS).where(_RUNS.c.job == job, _RUNS.c.period == period).values(finished_at=at)
    )
