"""Deferred work (``INTAKE_DEFER_WORK=true``): a real `intake-bot serve` that only acks and
queues commands (bot.commands), and a real `intake-bot worker` that runs them, on SQLite and on
PostgreSQL.

* A whole intake goes through: every ack comes from serve, every reply from the worker.
* Work queued while no worker runs is done when one starts (nothing is lost after an ack).
* The Edit form opens while no worker runs: listeners that open modals stay in serve.
* A DM is in the queue before Slack hears back, and the worker answers it.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import BOT_TOKEN, LEAD, REQUESTER, REVIEW_CHANNEL, SIGNING_SECRET
from tests.e2e.helpers import ASK, Conversation, start_slash, text_of
from tests.e2e.processes import (
    INTAKE_BOT,
    START_TIMEOUT,
    Replica,
    clean_env,
    queued_jobs,
    stop_process,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_running(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while "worker running" not in self.log_text():
            assert self.process.poll() is None, self.log_text()[-3000:]
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        stop_process(self.process)


class Deployment:
    """serve (acks, queues) and, when started, a worker, sharing an environment."""

    def __init__(self, env: dict[str, str], where: Path) -> None:
        self.env, self.where = env, where
        self.workers: list[Worker] = []
        log = where / "serve.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [INTAKE_BOT, "serve", "--host", "127.0.0.1", "--port", "0"],
                env=env,
                cwd=where,
                stdout=subprocess.DEVNULL,
                stderr=out,
            )
        self.serve = Replica("serve", process, log)
        self.serve.wait_listening()
        self.unwatch = lambda: None

    def start_worker(self) -> Worker:
        log = self.where / f"worker-{len(self.workers)}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [INTAKE_BOT, "worker"], env=self.env, cwd=self.where, stdout=out, stderr=out
            )
        worker = Worker(process, log)
        self.workers.append(worker)
        worker.wait_running()
        return worker

    def watch_with(self, slack: FakeSlack) -> None:
        """The fake's wait_idle() waits until serve's /metrics shows no work in flight and no
        queued job: the worker has done (and deleted) every job serve queued."""
        self.unwatch = slack.watch(self.serve.idle)

    def stop(self) -> None:
        self.unwatch()
        for worker in self.workers:
            worker.stop()
        self.serve.stop()

    def logs(self) -> str:
        return self.serve.log_text() + "".join(w.log_text() for w in self.workers)


def deferred_deployment(database_url: str, slack: FakeSlack, tmp_path: Path) -> Deployment:
    """A `serve` that defers its work to queue workers and runs no scheduler."""
    env = clean_env(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        INTAKE_REVIEW_CHANNEL=REVIEW_CHANNEL,
        INTAKE_LEADS=LEAD,
        INTAKE_RUN_SCHEDULER="false",
        INTAKE_DEFER_WORK="true",
        INTAKE_TIMEZONE="UTC",
    )
    return Deployment(env, tmp_path)


def stop_without_traceback(started: Deployment) -> None:
    started.stop()
    assert "Traceback" not in started.logs(), started.logs()[-3000:]


@pytest.fixture
def deployment(database_url: str, slack: FakeSlack, tmp_path: Path) -> Iterator[Deployment]:
    started = deferred_deployment(database_url, slack, tmp_path)
    started.watch_with(slack)
    try:
        yield started
    finally:
        stop_without_traceback(started)


@pytest.fixture
def driver(deployment: Deployment, slack: FakeSlack) -> SlackDriver:
    return SlackDriver(deployment.serve.events_url, SIGNING_SECRET, slack)


def assert_worker_asked_first_question(slack: FakeSlack, database_url: str) -> None:
    """The worker picked up the queued ask: the requester's DM shows Question 1, queue empty."""
    slack.wait_for("chat.postMessage", lambda call: call.ok, timeout=20)
    slack.wait_idle(timeout=10)
    said = " ".join(text_of(m) for m in slack.messages(slack.dm_channel(REQUESTER)))
    assert re.search(r"Question 1", said), said
    assert queued_jobs(database_url) == 0


def assert_serve_did_no_work(deployment: Deployment, slack: FakeSlack) -> None:
    """Once serve has finished everything it started after its acks (its listener runs end
    at the ack when the work is deferred; without deferral they would post the reply),
    nothing reached Slack's chat.postMessage."""
    deadline = time.monotonic() + 20
    while deployment.serve.metric("intake_work_in_flight") != 0:
        assert time.monotonic() < deadline, "serve still had work in flight after 20 s"
        time.sleep(0.02)
    assert slack.calls_to("chat.postMessage") == [], "serve did no work itself"


def settled(slack: FakeSlack) -> None:
    """Until the worker has done every job serve queued (the fake watches serve's /metrics)."""
    slack.wait_idle(timeout=20)


def answer_database_questions_slowly(c: Conversation) -> None:
    """answer_database_questions, waiting for the worker after each answer."""
    assert "environment" in text_of(c.last).lower()
    c.click_button("production")
    for answer in (
        "about 200 GB",
        "invoices can't be generated without it, finance closes the month on it",
        "billing-api connects to it from production; nightly backups restore in under 1 hour",
    ):
        c.say(answer)
        settled(c.slack)


def test_an_intake_goes_through_serve_and_a_worker(
    deployment: Deployment, driver: SlackDriver, slack: FakeSlack, database_url: str
) -> None:
    deployment.start_worker()
    c, ack = start_slash(driver, slack, REQUESTER, ASK)
    assert "opening your intake" in str(ack.json), ack.body
    settled(slack)
    answer_database_questions_slowly(c)
    c.click_button("Submit")
    settled(slack)
    assert "Submitted as" in text_of(c.last)
    assert slack.messages(REVIEW_CHANNEL), "the card reached the review channel"
    assert queued_jobs(database_url) == 0, "every job done and removed"


def test_work_queued_while_no_worker_runs_is_done_when_one_starts(
    deployment: Deployment, driver: SlackDriver, slack: FakeSlack, database_url: str
) -> None:
    response = driver.slash_command(REQUESTER, ASK)
    assert response.status == 200 and "opening your intake" in str(response.json)
    assert_serve_did_no_work(deployment, slack)
    # The operator is told at start that SQLite is the wrong store for this (it works, slowly).
    warned = "INTAKE_DEFER_WORK is on with a SQLite database" in deployment.serve.log_text()
    assert warned == database_url.startswith("sqlite")
    assert queued_jobs(database_url) == 1
    deployment.start_worker()
    assert_worker_asked_first_question(slack, database_url)


def test_the_edit_form_opens_from_serve_alone(
    deployment: Deployment, driver: SlackDriver, slack: FakeSlack, database_url: str
) -> None:
    worker = deployment.start_worker()
    c, _ = start_slash(driver, slack, REQUESTER, ASK)
    settled(slack)
    answer_database_questions_slowly(c)
    draft = c.draft()
    worker.stop()  # from here on, only serve runs
    driver.click(REQUESTER, draft, "intake_edit")
    slack.wait_for("views.update", timeout=10)
    form = slack.current_view(REQUESTER)
    assert form is not None and form["callback_id"] == "intake_edit_modal"
    # Saving it is work: acked by serve, queued for the next worker.
    response = driver.submit_view(REQUESTER, form, title="Postgres for billing v2")
    assert response.status == 200 and response.json is None
    assert queued_jobs(database_url) == 1


def test_a_dm_is_queued_before_slack_hears_back_and_answered_by_the_worker(
    deployment: Deployment, driver: SlackDriver, slack: FakeSlack, database_url: str
) -> None:
    response, _ = driver.message_im(REQUESTER, ASK)
    assert response.status == 200
    assert queued_jobs(database_url) == 1, "stored before the ack, not after it"
    assert_serve_did_no_work(deployment, slack)
    deployment.start_worker()
    assert_worker_asked_first_question(slack, database_url)
