"""The worker's job runner (``bot.jobs.JobRunner``) under load, on SQLite and PostgreSQL: it
claims queued Slack requests only while its database pool has a connection free, so an
overloaded worker leaves work queued (for itself later, or another worker) instead of
starting jobs that then time out waiting for a connection and tell people "sorry"."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.jobs import JobRunner
from intake.clock import SystemClock
from storage import jobs
from storage.db import make_engine
from tests.e2e.conftest import BOT_TOKEN
from tests.fakes.slack_api import FakeSlack

FORM = "application/x-www-form-urlencoded"
BODY = "command=%2Fintake&text=a+db+for+billing&team_id=T1&user_id=U1&channel_id=D1"


@pytest.fixture
def small_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, connections=2)
    yield engine
    engine.dispose()


def worker_app(handled: list[str], slack: FakeSlack) -> App:
    """A Bolt app as the worker runs it (requests were verified by serve before queueing),
    talking to the fake Slack."""
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=slack.api_url),
        signing_secret="unused",
        request_verification_enabled=False,
    )

    @app.command("/intake")
    def intake(ack: Ack, command: dict[str, str]) -> None:
        ack()
        handled.append(command["text"])

    return app


def wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_queued_work_waits_while_every_connection_is_in_use(
    small_engine: Engine, engine: Engine, fake_slack: FakeSlack
) -> None:
    """``engine``: the same database through other connections, to look at the queue."""
    handled: list[str] = []
    runner = JobRunner(
        worker_app(handled, fake_slack), small_engine, SystemClock(), threads=4, poll_s=0.01
    )
    jobs.enqueue(small_engine, BODY, FORM, SystemClock().now())
    with ExitStack() as held:
        for _ in range(2):  # the jobs running now hold every connection
            held.enter_context(small_engine.connect())
        assert runner.run_due() == 0
        assert jobs.depth(engine)[0] == 1, "still queued, for this worker or another"
    assert runner.run_due() == 1  # a connection is free again: the job runs
    wait_for(lambda: handled == ["a db for billing"] and jobs.depth(engine)[0] == 0)


def test_a_busy_pool_delays_work_but_loses_none(
    small_engine: Engine, fake_slack: FakeSlack
) -> None:
    """Connections taken and given back by other threads the whole time: every queued request
    is still handled once."""
    handled: list[str] = []
    runner = JobRunner(
        worker_app(handled, fake_slack), small_engine, SystemClock(), threads=4, poll_s=0.01
    )
    for n in range(10):
        jobs.enqueue(
            small_engine, BODY.replace("billing", f"billing-{n}"), FORM, SystemClock().now()
        )
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            with small_engine.connect():
                time.sleep(0.005)

    other = threading.Thread(target=busy)
    other.start()
    runner.start()
    try:
        wait_for(lambda: len(handled) == 10, timeout=30)
    finally:
        stop.set()
        other.join()
        runner.stop()
    assert sorted(handled) == sorted(f"a db for billing-{n}" for n in range(10))
