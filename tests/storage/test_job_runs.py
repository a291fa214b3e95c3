"""Job runs (storage.job_runs): each (job, period) claimed once, with the messages it queues
in the same transaction, across threads and processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from storage.db import transaction
from storage.job_runs import claim_run, finish_run
from storage.models import JobRunRow, QueueItemRow
from tests.storage import procs
from tests.storage.slack_messages import T0, Boom, claim, count_rows, keys
from tests.storage.threads import in_numbered_threads


def test_a_run_is_claimed_once_per_job_and_period(engine: Engine) -> None:
    with transaction(engine) as session:
        assert claim_run(session, "nudges", "2026-W48", "replica-a", T0)
        assert not claim_run(session, "nudges", "2026-W48", "replica-a", T0)  # same transaction
    with transaction(engine) as session:
        assert not claim_run(session, "nudges", "2026-W48", "replica-b", T0)
        assert claim_run(session, "nudges", "2026-W49", "replica-b", T0)
        assert claim_run(session, "digest", "2026-W48", "replica-b", T0)
        finish_run(session, "nudges", "2026-W49", T0 + timedelta(seconds=3))

    with engine.connect() as connection:
        runs = {
            (row.job, row.period): row
            for row in connection.execute(select(JobRunRow.__table__)).all()
        }
    assert set(runs) == {("nudges", "2026-W48"), ("nudges", "2026-W49"), ("digest", "2026-W48")}
    first = runs["nudges", "2026-W48"]
    assert (first.claimed_by, first.claimed_at, first.finished_at) == ("replica-a", T0, None)
    assert runs["nudges", "2026-W49"].finished_at == T0 + timedelta(seconds=3)


def test_claim_run_from_8_threads_exactly_one_wins_each_period(engine: Engine) -> None:
    periods = ["2026-W48", "2026-W49", "2026-W50"]

    def replica(n: int) -> list[tuple[str, bool]]:
        outcomes = []
        for period in periods[n % 3 :] + periods[: n % 3]:  # in different orders
            with transaction(engine) as session:
                outcomes.append((period, claim_run(session, "nudges", period, f"r{n}", T0)))
        return outcomes

    results = in_numbered_threads(8, replica)
    wins = Counter(period for outcomes in results for period, won in outcomes if won)
    assert wins == dict.fromkeys(periods, 1)
    assert count_rows(engine, JobRunRow) == 3


def test_a_rolled_back_claim_leaves_the_run_to_the_next(engine: Engine) -> None:
    """A second claimer waits for an open claim: False when it commits (above), True when it
    rolls back (a replica that crashed mid-run)."""
    claimed, release = threading.Event(), threading.Event()
    outcome: list[bool] = []

    def first() -> None:
        with pytest.raises(Boom), transaction(engine) as session:
            assert claim_run(session, "digest", "2026-W48", "r1", T0)
            claimed.set()
            release.wait(timeout=30)
            raise Boom

    def second() -> None:
        claimed.wait(timeout=30)
        with transaction(engine) as session:
            outcome.append(claim_run(session, "digest", "2026-W48", "r2", T0))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    claimed.wait(timeout=30)
    threading.Event().wait(0.3)  # the second claimer is waiting now
    assert outcome == []
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert outcome == [True]


def test_claim_and_enqueue_roll_back_together(engine: Engine) -> None:
    def run(fail: bool) -> bool:
        with transaction(engine) as session:
            if not claim_run(session, "digest", "2026-W48", "r1", T0):
                return False
            procs.queue_week_48_digest(session, T0)
            if fail:
                raise Boom("crashed before the run was complete")
        return True

    with pytest.raises(Boom):
        run(fail=True)
    assert count_rows(engine, JobRunRow) == 0
    assert count_rows(engine, QueueItemRow) == 0

    assert run(fail=False) is True
    assert run(fail=False) is False  # the next replica finds it done
    assert count_rows(engine, JobRunRow) == 1
    assert keys(claim(engine, T0)) == ["digest:T1:C0DIGEST:2026-W48"]


def test_runs_and_messages_across_processes(database_url: str) -> None:
    """Replicas are processes: one claims the run and queues its message; the others queue
    nothing. They share one pace bucket: together they take no more than its burst."""
    count = 4
    outcomes = procs.run_together(procs.run_digest_and_take, database_url, count=count)
    assert sorted(won for won, _, _ in outcomes) == [False] * (count - 1) + [True]
    assert sorted(queued for _, queued, _ in outcomes) == [False] * (count - 1) + [True]
    assert sum(taken for _, _, taken in outcomes) == procs.PACE_BURST
