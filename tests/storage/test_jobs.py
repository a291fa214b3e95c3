"""The queue of deferred Slack work (storage.jobs), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage import jobs

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded"


def test_a_queued_request_is_handed_out_once_and_gone_when_done(engine: Engine) -> None:
    first = jobs.enqueue(engine, "command=%2Fintake&text=a+db", FORM, NOW)
    second = jobs.enqueue(engine, '{"type": "block_actions"}', "application/json", NOW)
    claimed = jobs.claim(engine, NOW, 10)
    assert [(j.id, j.body, j.content_type, j.attempts) for j in claimed] == [
        (first, "command=%2Fintake&text=a+db", FORM, 1),
        (second, '{"type": "block_actions"}', "application/json", 1),
    ]
    assert jobs.claim(engine, NOW + timedelta(seconds=5), 10) == []  # claimed: not again
    assert jobs.depth(engine) == (2, NOW)
    for job in claimed:
        jobs.done(engine, job.id)
    assert jobs.depth(engine) == (0, None)


def test_concurrent_workers_never_get_the_same_request(engine: Engine) -> None:
    queued = {jobs.enqueue(engine, f"body {n}", FORM, NOW) for n in range(60)}
    got: list[list[int]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        mine: list[int] = []
        while claimed := jobs.claim(engine, NOW, 5):
            mine.extend(job.id for job in claimed)
        with lock:
            got.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [job for mine in got for job in mine]
    assert sorted(every) == sorted(queued)  # each exactly once


def test_a_dead_workers_request_is_handed_out_again_after_the_lease_up_to_twice(
    engine: Engine,
) -> None:
    job = jobs.enqueue(engine, "body", FORM, NOW)
    (first,) = jobs.claim(engine, NOW, 1)
    assert (first.id, first.attempts) == (job, 1)
    lease = jobs.LEASE
    assert jobs.claim(engine, NOW + lease - timedelta(seconds=1), 1) == []
    (again,) = jobs.claim(engine, NOW + lease + timedelta(seconds=1), 1)
    assert (again.id, again.attempts) == (job, 2)
    # MAX_ATTEMPTS reached: not run a third time; once its lease is over it is given up.
    assert jobs.claim(engine, NOW + 3 * lease, 1) == []
    assert jobs.give_up(engine, NOW + lease) == 0  # the second attempt may still be running
    assert jobs.depth(engine)[0] == 1
    assert jobs.give_up(engine, NOW + 3 * lease) == 1
    assert jobs.depth(engine) == (0, None)
