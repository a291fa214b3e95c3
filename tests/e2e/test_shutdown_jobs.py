"""A worker running deferred commands (``INTAKE_DEFER_WORK``, bot.commands) stopped with
SIGTERM while a person's request is being worked on: it finishes that request (the person gets
their reply), takes no new one (it stays queued for the next worker, which answers it), and
exits 0.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import make_engine
from storage.models import QueueItemRow
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.processes import queued_jobs
from tests.e2e.test_deferred_work import Deployment, deferred_deployment, stop_without_traceback
from tests.e2e.test_shutdown import wait_until
from tests.fakes.slack_api import ApiCall, FakeSlack
from tests.fakes.slack_requests import SlackDriver

ALICE, BOB = "U0ALICE", "U0BOB"


@pytest.fixture
def deployment(sqlite_url: str, fake_slack: FakeSlack, tmp_path: Path) -> Iterator[Deployment]:
    for user, name in ((ALICE, "alice"), (BOB, "bob")):
        fake_slack.add_user(user, name, tz="Europe/Berlin")
    started = deferred_deployment(sqlite_url, fake_slack, tmp_path)
    try:
        yield started
    finally:
        stop_without_traceback(started)


def claimed_jobs(database_url: str) -> int:
    """Commands a worker has started and not finished."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            started = QueueItemRow.started_at.is_not(None) & QueueItemRow.done_at.is_(None)
            query = select(func.count()).select_from(QueueItemRow).where(started)
            return int(connection.scalar(query) or 0)
    finally:
        engine.dispose()


def replies_to(fake_slack: FakeSlack, user: str) -> list[ApiCall]:
    return [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if call.ok and call.args.get("channel") in (user, fake_slack.dm_channel(user))
    ]


def test_a_stopping_worker_finishes_the_request_it_runs_and_leaves_new_ones_queued(
    deployment: Deployment, fake_slack: FakeSlack, sqlite_url: str
) -> None:
    driver = SlackDriver(deployment.serve.events_url, SIGNING_SECRET, fake_slack)
    first = deployment.start_worker()
    fake_slack.delay("chat.postMessage", 1.5)  # the worker's replies take a while each
    assert driver.slash_command(ALICE, "we need a postgres db for billing").status == 200
    wait_until(lambda: claimed_jobs(sqlite_url) == 1, 20, "the worker to take the request")
    signalled = time.time()
    first.process.send_signal(signal.SIGTERM)
    wait_until(lambda: "shutdown: SIGTERM received" in first.log_text(), 5, "the signal")
    time.sleep(0.5)  # it has stopped claiming
    assert driver.slash_command(BOB, "we need a redis cache").status == 200  # serve queues it
    assert first.process.wait(timeout=25) == 0, first.log_text()[-3000:]

    # Alice's request ran to its end: its last reply went out after the signal.
    alice = replies_to(fake_slack, ALICE)
    assert len(alice) == 3 and alice[-1].at > signalled  # opening, understood, question 1
    # Bob's waits, unclaimed, for the next worker (not for a lease to run out).
    assert queued_jobs(sqlite_url) == 1 and claimed_jobs(sqlite_url) == 0
    assert not replies_to(fake_slack, BOB)
    assert "finished 1 (1 commands)" in first.log_text()

    fake_slack.delay("chat.postMessage", 0)
    deployment.start_worker()
    wait_until(lambda: queued_jobs(sqlite_url) == 0, 30, "Bob's request to be done")
    assert len(replies_to(fake_slack, BOB)) == 3
    assert len(replies_to(fake_slack, ALICE)) == 3  # nothing twice
