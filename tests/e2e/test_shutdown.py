"""Stopping real `intake-bot worker` and `serve` processes with SIGTERM (bot.shutdown).

A worker killed in the middle of a fan-out of weekly DMs exits 0 within the grace period,
having recorded every message Slack took and handed back the one it had claimed but not
sent (due again at once, not in doubt, like every message it never took up); the next worker
then sends each of those, so every owner gets their DM exactly once. Both while the sender
sleeps on a Retry-After (it wakes up rather than sleeping past the deadline) and while a post
is on the wire (it is finished and recorded). On SQLite and on PostgreSQL.

`serve` stopped while a listener's work is under way lets it finish (the person gets their
DM), answers 503 meanwhile (the readiness probe fails), and exits 0.
"""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import slack_outbox
from storage.db import make_engine, transaction
from storage.models import QueueItemRow
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.e2e.processes import (
    START_TIMEOUT,
    LoggedProcess,
    clean_env,
    launch,
    start_serve,
    stop_process,
)
from tests.e2e.test_followthrough_processes import awake_zone
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver
from tests.storage import slack_messages

OWNERS = [f"U0OWN{n:03d}" for n in range(30)]
GRACE = 25.0  # INTAKE_SHUTDOWN_GRACE's default, which the manifests allow for
RETRY_AFTER = 6  # seconds: longer than a worker that wakes up takes to exit


class Worker(LoggedProcess):
    def terminate(self) -> float:
        """SIGTERM; the seconds until the process was gone (it must exit 0)."""
        sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=GRACE + 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"still running {GRACE + 10} s after SIGTERM") from None
        took = time.monotonic() - sent
        assert code == 0, f"exit status {code}:\n{self.log_text()[-3000:]}"
        return took


@pytest.fixture
def start_worker(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(**settings: str) -> Worker:
        env = clean_env(
            DATABASE_URL=database_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_API_URL=fake_slack.api_url,
            INTAKE_TIMEZONE="UTC",
            **settings,
        )
        log = tmp_path / f"worker-{len(started)}.log"
        process = launch(["worker"], env, tmp_path, log, stdout_too=True)
        worker = Worker(process, log)
        started.append(worker)
        deadline = time.monotonic() + START_TIMEOUT
        while "worker running" not in worker.log_text():
            assert process.poll() is None, worker.log_text()[-3000:]
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.05)
        return worker

    yield start
    for worker in started:
        stop_process(worker.process)
    logs = "".join(worker.log_text() for worker in started)
    assert "Traceback" not in logs, logs[-3000:]


def queue_nudges(database_url: str, fake_slack: FakeSlack) -> None:
    """One weekly nudge DM queued for each owner, as the follow-through queues them."""
    engine = make_engine(database_url)
    try:
        slack_messages.queue_nudges(
            engine, fake_slack, OWNERS, zone=awake_zone(), at=datetime.now(UTC), period="2026-W50"
        )
    finally:
        engine.dispose()


def delivered(fake_slack: FakeSlack) -> list[str]:
    """The owners whose nudge Slack took, once per post that went through."""
    return [
        str(call.args["channel"])
        for call in fake_slack.calls_to("chat.postMessage")
        if call.status == 200 and call.response.get("ok")
    ]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def outbox(database_url: str) -> list[QueueItemRow]:
    """The queued messages (``slack.message`` items)."""
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            rows = list(
                session.scalars(
                    select(QueueItemRow)
                    .where(QueueItemRow.kind == slack_outbox.KIND)
                    .order_by(QueueItemRow.id)
                )
            )
            session.expunge_all()
            return rows
    finally:
        engine.dispose()


def assert_handed_back(database_url: str, fake_slack: FakeSlack) -> int:
    """Every post Slack took is recorded as sent; every other message is due now and not in
    doubt (no lease to wait for, no look-up needed). How many were handed back."""
    rows = outbox(database_url)
    now = datetime.now(UTC)
    sent = {str(row.key).split(":")[2] for row in rows if row.done_at is not None}
    assert sorted(sent) == sorted(delivered(fake_slack)), "a post Slack took is not recorded"
    unsent = [row for row in rows if row.done_at is None]
    for row in unsent:
        assert row.run_at <= now, f"{row.key} is still leased to the stopped worker"
        assert row.started_at is None, f"{row.key} is left in doubt"
        assert row.attempts == 0, f"{row.key}: the hand-back counted as a failed attempt"
    return len(unsent)


def assert_everyone_got_one_nudge(fake_slack: FakeSlack) -> None:
    posts = delivered(fake_slack)
    assert sorted(posts) == sorted(OWNERS), "a nudge was lost or sent twice"
    for owner in OWNERS:
        dms = fake_slack.bot_messages(fake_slack.dm_channel(owner))
        assert len(dms) == 1, f"{owner} got {len(dms)} nudges"


def worker_mid_fan_out(
    database_url: str, fake_slack: FakeSlack, start_worker: Callable[..., Worker]
) -> Worker:
    """A worker sending the queued nudges (each post held 0.05 s), five of them sent."""
    queue_nudges(database_url, fake_slack)
    fake_slack.delay("chat.postMessage", 0.05)
    worker = start_worker()
    wait_until(lambda: len(delivered(fake_slack)) >= 5, 30, "the fan-out to start")
    return worker


def test_a_worker_stopped_while_waiting_on_a_retry_after_hands_back_the_rest(
    database_url: str, fake_slack: FakeSlack, start_worker: Callable[..., Worker]
) -> None:
    first = worker_mid_fan_out(database_url, fake_slack, start_worker)
    fake_slack.rate_limit("chat.postMessage", retry_after=RETRY_AFTER)
    wait_until(lambda: fake_slack.ratelimited["chat.postMessage"] >= 1, 10, "the 429")

    took = first.terminate()

    # It woke up from the Retry-After instead of sleeping through it.
    assert took < RETRY_AFTER - 1, f"took {took:.1f} s to stop"
    unsent = assert_handed_back(database_url, fake_slack)
    assert 0 < unsent < len(OWNERS)
    log = first.log_text()
    assert "shutdown: SIGTERM received" in log
    # The one send it held (waiting on the Retry-After); the rest it never took up.
    assert "handed back 1 (1 outbox messages)" in log, log[-2000:]

    second = start_worker()
    wait_until(lambda: len(delivered(fake_slack)) >= len(OWNERS), 60, "every nudge")
    second.terminate()
    assert_everyone_got_one_nudge(fake_slack)


def test_a_post_on_the_wire_at_sigterm_is_finished_and_recorded(
    database_url: str, fake_slack: FakeSlack, start_worker: Callable[..., Worker]
) -> None:
    first = worker_mid_fan_out(database_url, fake_slack, start_worker)
    fake_slack.delay("chat.postMessage", 2.0)  # the next post takes a while to answer
    # On the wire: Slack has the request (marked as sending is not enough: a send still
    # waiting for its pace is handed back, not finished).
    time.sleep(0.2)  # a post sent before the change (held 0.05 s) has its answer by now
    wait_until(lambda: fake_slack.held("chat.postMessage") == 1, 10, "a post under way")
    posted = len(delivered(fake_slack))

    took = first.terminate()

    assert took < GRACE
    assert len(delivered(fake_slack)) == posted + 1, "the post under way was not finished"
    handed_back = assert_handed_back(database_url, fake_slack)  # ... and it is recorded
    assert handed_back == len(OWNERS) - posted - 1

    fake_slack.delay("chat.postMessage", 0)
    second = start_worker()
    wait_until(lambda: len(delivered(fake_slack)) >= len(OWNERS), 60, "every nudge")
    second.terminate()
    assert_everyone_got_one_nudge(fake_slack)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # storage: both, elsewhere
def test_a_post_still_on_the_wire_at_the_deadline_is_looked_up_not_sent_again(
    database_url: str, fake_slack: FakeSlack, start_worker: Callable[..., Worker]
) -> None:
    """A grace shorter than Slack's answer (the setting proves what 25 s would with a slower
    Slack): the process exits at its deadline, the post under way stays in doubt, due once
    it can no longer be answered, and the next worker finds it in the channel."""
    queue_nudges(database_url, fake_slack)
    fake_slack.delay("chat.postMessage", 0.05)
    first = start_worker(INTAKE_SHUTDOWN_GRACE="2")
    wait_until(lambda: len(delivered(fake_slack)) >= 5, 30, "the fan-out to start")
    fake_slack.delay("chat.postMessage", 8.0)  # within the client's 10 s timeout
    time.sleep(0.2)  # a post sent before the change (held 0.05 s) has its answer by now
    wait_until(lambda: fake_slack.held("chat.postMessage") == 1, 10, "a post on the wire")
    posted = len(delivered(fake_slack))

    took = first.terminate()

    assert took < 6.0  # the 2 s grace (and exit), not the 8 s the post takes
    rows = outbox(database_url)
    (doubt,) = [r for r in rows if r.started_at is not None and r.done_at is None]
    handed_back = [r for r in rows if r.done_at is None and r is not doubt]
    assert len(handed_back) == len(OWNERS) - posted - 1
    assert all(r.started_at is None for r in handed_back)
    assert "still running at the shutdown deadline" in first.log_text()
    fake_slack.delay("chat.postMessage", 0)
    wait_until(lambda: len(delivered(fake_slack)) == posted + 1, 15, "Slack to take the post")

    second = start_worker()
    wait_until(lambda: len(outbox_unsent(database_url)) == 0, 60, "every nudge recorded")
    second.terminate()
    assert_everyone_got_one_nudge(fake_slack)
    assert fake_slack.calls_to("conversations.history"), "the post in doubt was looked up"


def outbox_unsent(database_url: str) -> list[QueueItemRow]:
    return [row for row in outbox(database_url) if row.done_at is None]


def test_serve_finishes_the_work_under_way_and_refuses_new_requests(
    sqlite_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.add_user("U0ALICE", "alice", tz="Europe/Berlin")
    fake_slack.add_user("U0BOB", "bob", tz="Europe/Berlin")
    env = clean_env(
        DATABASE_URL=sqlite_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        INTAKE_RUN_SCHEDULER="false",
        INTAKE_TIMEZONE="UTC",
        INTAKE_SHUTDOWN_GRACE="10",  # the same steps as with 25 s; a hung drain shows sooner
    )
    serve = start_serve("serve", env, tmp_path)
    process = serve.process
    try:
        serve.wait_listening()
        driver = SlackDriver(serve.events_url, SIGNING_SECRET, fake_slack)
        # The listener's replies (the DM's opening, what it understood and its first question)
        # take a while each.
        fake_slack.delay("chat.postMessage", 1.5)
        assert driver.slash_command("U0ALICE", "we need a postgres db for billing").status == 200
        assert serve.metric("intake_work_in_flight"), "the listener's work is not under way"
        signalled = time.time()
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        wait_until(lambda: "shutdown: SIGTERM received" in serve.log_text(), 5, "the signal")
        # New work is refused (Slack retries an event elsewhere), and so is the readiness probe.
        assert driver.slash_command("U0BOB", "we need a redis cache").status == 503
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{serve.base_url}/healthz", timeout=5)
        assert refused.value.code == 503
        code = process.wait(timeout=GRACE)
        took = time.monotonic() - sent
    finally:
        stop_process(process)
    assert code == 0, serve.log_text()[-3000:]
    assert took < 10
    # The work under way ran to its end: its second reply only went out after the signal.
    replies = [c for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert len(replies) == 3 and replies[-1].at > signalled, replies
    assert {c.args["channel"] for c in replies} <= {"U0ALICE", fake_slack.dm_channel("U0ALICE")}
    assert not fake_slack.bot_messages(fake_slack.dm_channel("U0BOB"))
    text = serve.log_text()
    assert "shutdown: done in" in text and "finished 1 (1 listener runs)" in text
    assert "Traceback" not in text
