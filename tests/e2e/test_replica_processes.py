"""Over 400 lines: four tests on one costly harness that only they use (two `serve` processes on
one fresh PostgreSQL database, and reading back what happened).

Two real `intake-bot serve` processes on one PostgreSQL database, as behind a load
balancer that alternates requests between them, each also running the follow-through
scheduler: the same event delivered to both starts one intake; an intake whose messages and
clicks alternate between them reaches review; two leads deciding at the same moment on the two
replicas leave one decision; and the weekly digest is posted once although both schedule it.

Each test gets a fresh database (``intake-bot db upgrade`` first) and two fresh processes
started at the same moment. Both schedulers tick as they start; the digest schedule is every
minute (``INTAKE_DIGEST_SCHEDULE``), so this week's digest is due at that first tick of each
and only the (job, period) claim in the database can keep it to one message.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Container, build
from bot.settings import load_settings
from storage import job_runs
from storage.db import make_engine, transaction
from storage.models import JobRunRow, QueueItemRow
from tests.dbfixtures import PostgresServer
from tests.e2e.conftest import (
    BOT_TOKEN,
    GROUP_LEAD,
    LEAD,
    LEADS_GROUP,
    OWNER,
    REQUESTER,
    REVIEW_CHANNEL,
    SIGNING_SECRET,
)
from tests.e2e.helpers import (
    ASK,
    Conversation,
    bot_thread,
    buttons,
    buttons_value,
    eventually,
    review_posts,
    text_of,
)
from tests.e2e.processes import INTAKE_BOT, Replica, clean_env, run_at_once, start_serve
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import DriverResponse, SlackDriver

pytestmark = pytest.mark.postgres

DIGEST_CHANNEL = "C0DIGEST"


# -- two replicas ---------------------------------------------------------------------------


def start_replicas(env: dict[str, str], where: Path, label: str) -> list[Replica]:
    """Two replicas started at the same moment (so their schedulers' first ticks race)."""
    replicas = [start_serve(name, env, where) for name in (f"{label}-a", f"{label}-b")]
    try:
        for replica in replicas:
            replica.wait_listening()
    except BaseException:
        for replica in replicas:
            replica.stop()
        raise
    return replicas


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL database, migrated by `intake-bot db upgrade`; dropped afterwards."""
    url = postgres_server.create()
    text_url = url.render_as_string(hide_password=False)
    try:
        upgraded = subprocess.run(
            [INTAKE_BOT, "db", "upgrade"],
            env=clean_env(DATABASE_URL=text_url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert upgraded.returncode == 0, upgraded.stderr
        yield text_url
    finally:
        postgres_server.drop(url)


@pytest.fixture
def replica_env(database_url: str, slack: FakeSlack) -> dict[str, str]:
    slack.add_channel(DIGEST_CHANNEL, "platform-digest")
    # The install has run for an hour (its first claimed run): the digest due at the replicas'
    # first tick falls inside its life, so they send it. (A fresh install sends no catch-up for
    # a slot from before it existed: tests/e2e/test_followthrough.py.)
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
            job_runs.claim_run(session, job_runs.INSTALLED_JOB, "-", "earlier", an_hour_ago)
    finally:
        engine.dispose()
    return clean_env(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        INTAKE_REVIEW_CHANNEL=REVIEW_CHANNEL,
        INTAKE_LEADS=f"{LEAD},{LEADS_GROUP}",
        INTAKE_DIGEST_CHANNEL=DIGEST_CHANNEL,
        INTAKE_DIGEST_SCHEDULE="* * * * *",  # due at any tick: this week's digest, once
        INTAKE_RUN_SCHEDULER="true",
        INTAKE_TIMEZONE="UTC",
    )


@pytest.fixture
def replicas(
    replica_env: dict[str, str], tmp_path: Path, slack: FakeSlack
) -> Iterator[list[Replica]]:
    started = start_replicas(replica_env, tmp_path, "replica")
    # The fake's wait_idle() waits until both show no work in flight on /metrics.
    unwatch = [slack.watch(replica.idle) for replica in started]
    try:
        yield started
    finally:
        for stop_watching in unwatch:
            stop_watching()
        for replica in started:
            replica.stop()
    for replica in started:
        assert "Traceback" not in replica.log_text(), replica.log_text()[-3000:]


@pytest.fixture
def drivers(replicas: list[Replica], slack: FakeSlack) -> list[SlackDriver]:
    return [SlackDriver(r.events_url, SIGNING_SECRET, slack) for r in replicas]


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    """The test's own view of the shared database."""
    built = build(load_settings(database_url=database_url, _env_file=None))
    yield built
    built.db_engine.dispose()


# -- reading what happened ------------------------------------------------------------------


def digests(slack: FakeSlack) -> list[dict[str, Any]]:
    """Top-level bot messages in the digest channel (the full lists go in their threads)."""
    return [
        m
        for m in slack.messages(DIGEST_CHANNEL)
        if m.get("bot_id") and m.get("thread_ts", m["ts"]) == m["ts"]
    ]


TICKS = "intake_followthrough_ticks_total"
ROUNDS = "intake_outbox_sender_rounds_total"


def background_caught_up(replicas: list[Replica]) -> None:
    """Until whatever the replicas' schedulers queue has been through both queue runners:
    every scheduler has finished a tick since its replica started, and after that every
    sender has gone a whole round (one that began after all those ticks had queued what they
    would, so it either sent a second digest or found none to send)."""
    for replica in replicas:
        replica.wait_metric(TICKS, at_least=1)
    # A round under way when the count was read may have looked at the outbox before then; the
    # one after it began later. Two more finished rounds include a whole one from after the read.
    seen = [replica.wait_metric(ROUNDS, at_least=0) for replica in replicas]
    for replica, rounds in zip(replicas, seen, strict=True):
        replica.wait_metric(ROUNDS, at_least=rounds + 2)


def assert_one_digest(slack: FakeSlack, database_url: str, replicas: list[Replica]) -> None:
    slack.wait_for(
        "chat.postMessage", lambda c: c.ok and c.args.get("channel") == DIGEST_CHANNEL, timeout=20
    )
    background_caught_up(replicas)  # a second digest, were one queued or sent twice, is out
    assert len(digests(slack)) == 1, [text_of(m) for m in digests(slack)]
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            runs = connection.scalar(
                select(func.count()).select_from(JobRunRow).where(JobRunRow.job == "digest")
            )
            queued = connection.scalar(
                select(func.count())
                .select_from(QueueItemRow)
                .where(QueueItemRow.payload["what"].as_string() == "digest")
            )
    finally:
        engine.dispose()
    assert (runs, queued) == (1, 1), "one claimed run, one queued message"


def in_parallel(*calls: Callable[[], DriverResponse]) -> list[DriverResponse]:
    """Run the calls at the same moment, one thread each; their answers in order."""
    go = threading.Barrier(len(calls))
    answers: list[DriverResponse | None] = [None] * len(calls)

    def run(index: int) -> None:
        go.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def on(conversation: Conversation, driver: SlackDriver) -> Conversation:
    """The conversation's next request goes to ``driver``'s replica."""
    conversation.driver = driver
    return conversation


def thread_says(c: Conversation, text: str) -> bool:
    return any(text in text_of(m) for m in c.bot_messages)


def submitted_ask(drivers: list[SlackDriver], slack: FakeSlack) -> tuple[Conversation, int]:
    """A database ask whose every message and click alternates between the two replicas,
    through an edit (opened on one, saved on the other) to Submit; returns it and its id."""
    a, b = drivers
    response, ts = a.message_im(REQUESTER, ASK)
    assert response.status == 200
    c = Conversation(a, slack, REQUESTER, slack.dm_channel(REQUESTER), ts)
    eventually(lambda: thread_says(c, "Question 1:"), "question 1")
    assert "environment" in text_of(c.last).lower()
    on(c, b).click_button("production")
    eventually(lambda: thread_says(c, "Question 2:"), "question 2")
    assert "storage" in text_of(c.last).lower()
    on(c, a).say("about 200 GB")
    eventually(lambda: thread_says(c, "Question 3:"), "question 3")
    on(c, b).say("invoices can't be generated without it, finance closes the month on it")
    eventually(lambda: thread_says(c, "Question 4:"), "question 4")
    on(c, a).say(
        "billing-api connects to it from production; nightly backups restore in under 1 hour"
    )
    draft = eventually(lambda: thread_says(c, "Draft") and c.draft(), "the draft")
    ask_id = int(buttons_value(draft))
    on(c, b).click_button("Edit")
    form = eventually(lambda: slack.current_view(REQUESTER), "the edit form")
    saved = a.submit_view(REQUESTER, form, title="Postgres for billing (edited)")
    assert saved.status == 200 and saved.json is None, saved.body
    eventually(lambda: "Postgres for billing (edited)" in text_of(c.draft()), "the draft to change")
    on(c, b).click_button("Submit")
    eventually(lambda: thread_says(c, "Submitted as"), "the submission")
    eventually(lambda: review_posts(slack), "the review card")
    slack.wait_idle(timeout=10)
    return c, ask_id


# -- the tests ------------------------------------------------------------------------------


def test_one_event_delivered_to_both_replicas_at_once_starts_one_intake(
    replicas: list[Replica],
    drivers: list[SlackDriver],
    slack: FakeSlack,
    container: Container,
    database_url: str,
) -> None:
    channel = slack.dm_channel(REQUESTER)
    ts = slack.next_ts()
    slack.add_message(channel, REQUESTER, ASK, ts=ts)
    event = {
        "type": "message",
        "channel_type": "im",
        "user": REQUESTER,
        "text": ASK,
        "channel": channel,
        "ts": ts,
    }
    envelope = drivers[0].envelope(event)  # one event_id, one message ts
    body = json.dumps(envelope).encode()

    def deliver(driver: SlackDriver, retry: int) -> Callable[[], DriverResponse]:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return lambda: driver.send_raw(body, "application/json", headers if retry else {})

    # The first delivery on one replica, Slack's retry on the other, at the same moment.
    answers = in_parallel(deliver(drivers[0], 0), deliver(drivers[1], 1))
    assert [a.status for a in answers] == [200, 200]
    eventually(lambda: bot_thread(slack, channel, ts), "the bot's reply")
    slack.wait_idle(timeout=10)  # both replicas done: a second reply would be there

    replies = bot_thread(slack, channel, ts)
    assert len(replies) == 2, [text_of(m) for m in replies]  # one summary, one question
    assert "Question 1" in text_of(replies[1])
    assert slack.ephemerals(REQUESTER) == [], "no one was told something went wrong"
    asks = container.intake.list()
    assert len(asks) == 1 and asks[0].status.value == "draft"
    assert_one_digest(slack, database_url, replicas)


def test_an_intake_alternating_between_replicas_reaches_review(
    replicas: list[Replica],
    drivers: list[SlackDriver],
    slack: FakeSlack,
    container: Container,
    database_url: str,
) -> None:
    c, ask_id = submitted_ask(drivers, slack)

    ticket = container.intake.get(ask_id).ticket
    assert ticket.status.value == "submitted" and ticket.key == "PLAT-1"
    assert ticket.title == "Postgres for billing (edited)"
    assert [h.to_status.value for h in ticket.history] == ["submitted"]
    cards = review_posts(slack)
    assert len(cards) == 1, "one review card"
    card = slack.find_message(cards[0]["ts"])
    assert card is not None and "PLAT-1" in text_of(card)
    assert buttons(card) == ["Approve", "Request changes", "Decline", "Assign"]
    said = [text_of(m) for m in c.bot_messages]
    for number in (1, 2, 3, 4):
        assert sum(f"Question {number}:" in t for t in said) == 1, said
    notes = [m for m in c.bot_messages if str(m.get("text", "")).startswith("Submitted as")]
    assert len(notes) == 1, said
    assert slack.ephemerals(REQUESTER) == []
    assert_one_digest(slack, database_url, replicas)


def test_approve_and_decline_at_once_on_two_replicas_leave_one_decision(
    replicas: list[Replica],
    drivers: list[SlackDriver],
    slack: FakeSlack,
    container: Container,
    database_url: str,
) -> None:
    _, ask_id = submitted_ask(drivers, slack)
    card = slack.find_message(review_posts(slack)[-1]["ts"])
    assert card is not None
    assert drivers[0].click(LEAD, card, "review_approve").status == 200
    approve_form = eventually(lambda: slack.current_view(LEAD), "the approve form")
    assert drivers[1].click(GROUP_LEAD, card, "review_decline").status == 200
    decline_form = eventually(lambda: slack.current_view(GROUP_LEAD), "the decline form")
    approve = drivers[0].state_values(approve_form, {"owner": OWNER})
    decline = drivers[1].state_values(decline_form, {"reason": "Not this quarter."})

    approved, declined = in_parallel(
        lambda: drivers[0].view_submission(LEAD, approve_form, approve),
        lambda: drivers[1].view_submission(GROUP_LEAD, decline_form, decline),
    )
    ticket = container.intake.get(ask_id).ticket
    decisions = [h for h in ticket.history if h.to_status.value in ("accepted", "declined")]
    assert len(decisions) == 1, "exactly one decision stands"
    won = ticket.status.value == "accepted"
    winner, loser = (approved, declined) if won else (declined, approved)
    assert winner.status == 200 and winner.json is None, winner.body  # the form closed
    told = next(iter(loser.json["errors"].values()))
    assert ("approved by" if won else "declined by") in told, told
    audit = container.review.audit(ask_id)
    outcomes = sorted(a.outcome for a in audit if a.action in ("approve", "decline"))
    assert outcomes == ["ok", "refused"]

    status = "accepted" if won else "declined"
    final = eventually(
        lambda: (m := slack.find_message(card["ts"])) and status in text_of(m) and m,
        "the card to show the decision",
    )
    slack.wait_idle(timeout=10)
    final = slack.find_message(card["ts"])
    assert final is not None
    shown = text_of(final)
    if won:
        assert "accepted" in shown and "declined" not in shown, shown
        assert buttons(final) == ["Start work", "Mark done", "Assign"]
        assert ticket.owner == OWNER
    else:
        assert "declined" in shown and "accepted" not in shown, shown
        assert buttons(final) == ["Reopen"]
    assert_one_digest(slack, database_url, replicas)


def test_both_schedulers_post_one_digest_across_restarts_and_manual_runs(
    replicas: list[Replica],
    replica_env: dict[str, str],
    slack: FakeSlack,
    database_url: str,
    tmp_path: Path,
) -> None:
    assert_one_digest(slack, database_url, replicas)
    for replica in replicas:
        assert "follow-through scheduler started" in replica.log_text(), replica.name
    queued = [r.name for r in replicas if "1 digests" in r.log_text()]
    assert len(queued) == 1, f"exactly one scheduler queued the digest: {queued}"

    # A deploy: both replicas replaced at the same moment; their schedulers tick again.
    for replica in replicas:
        replica.stop()
    restarted = start_replicas(replica_env, tmp_path, "restarted")
    try:
        # And someone runs this week's follow-through by hand in both environments at once.
        outputs = run_at_once(["digest", "run"], replica_env, cwd=tmp_path)
        assert all("0 digest(s)" in out for out, _ in outputs), outputs
        assert all("This week's digest" in out and "already went" in out for out, _ in outputs)
        assert_one_digest(slack, database_url, restarted)  # after their first ticks and rounds
        assert not any("1 digests" in r.log_text() for r in restarted)
    finally:
        for replica in restarted:
            replica.stop()
