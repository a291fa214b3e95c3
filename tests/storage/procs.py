"""Work run in child processes by the cross-process tests (kept free of pytest imports)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.db import make_engine, transaction
from storage.job_runs import claim_run
from storage.pace import SqlPaceStore
from storage.slack_outbox import enqueue_message
from storage.uow import SqlUnitOfWorkFactory


def claim_and_number(url: str, key: str, team_id: str, barrier: Any, results: Any) -> None:
    """Wait for the others, then claim ``key`` and take a number in one unit of work."""
    engine = make_engine(url)
    try:
        uow_factory = SqlUnitOfWorkFactory(engine)
        barrier.wait(timeout=60)
        with uow_factory() as uow:
            won = uow.claim(key)
            number = uow.next_number(team_id)
            uow.commit()
        results.put((won, number))
    finally:
        engine.dispose()


PACE_BURST = 5


def queue_week_48_digest(session: Session, at: datetime) -> bool:
    """The message the digest run of 2026-W48 queues for team T1 (False: queued already)."""
    return enqueue_message(
        session,
        key="digest:T1:C0DIGEST:2026-W48",
        kind="digest",
        team_id="T1",
        channel="C0DIGEST",
        payload={"text": "This week"},
        at=at,
    )


def run_digest_and_take(url: str, barrier: Any, results: Any) -> None:
    """A replica's scheduler and sender at once: claim this week's digest run and queue its
    message, then take as many tokens of a shared pace bucket as it can (the clock stands
    still, so the bucket does not refill)."""
    engine = make_engine(url)
    try:
        at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
        barrier.wait(timeout=60)
        queued = False
        with transaction(engine) as session:
            won = claim_run(session, "digest", "2026-W48", f"replica-{os.getpid()}", at)
            if won:
                queued = queue_week_48_digest(session, at)
        pace = SqlPaceStore(engine)
        taken = sum(pace.take("chat.postMessage", at, 60.0, PACE_BURST) == 0.0 for _ in range(10))
        results.put((won, queued, taken))
    finally:
        engine.dispose()


def run_together(target: Callable[..., None], *args: Any, count: int = 4) -> list[Any]:
    """``count`` spawned processes each run ``target(*args, barrier, results)``, meeting at the
    barrier first; each must exit cleanly. What they put on ``results``, one item a process."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, barrier, results)) for _ in range(count)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=90)
    assert [process.exitcode for process in processes] == [0] * count
    return [results.get(timeout=10) for _ in processes]
