"""The webhook as an integration sees it: status changes made in Slack arrive, signed, once,
in order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.background import start_background
from bot.bootstrap import build
from bot.settings import load_settings
from intake.conversation import Source, Thread
from storage import queue
from storage.db import transaction
from storage.models import QueueItemRow
from tests.e2e.conftest import LEAD, OWNER, REQUESTER, SIGNING_SECRET, BotServer, MovableClock
from tests.e2e.helpers import submit_ready_ask, wait_for_bot
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver
from tests.fakes.webhook_receiver import SECRET, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def test_a_submit_and_an_approval_reach_the_webhook_in_order(
    sqlite_url: str, make_bot: Callable[..., BotServer], slack: FakeSlack, receiver: Receiver
) -> None:
    bot = make_bot(sqlite_url, intake_webhook_url=receiver.url, intake_webhook_secret=SECRET)
    driver = SlackDriver(bot.events_url, SIGNING_SECRET, slack)
    _, card = submit_ready_ask(driver, slack, REQUESTER)
    before = len(slack.calls)
    driver.click(LEAD, card, "review_approve")
    wait_for_bot(slack, before)
    driver.submit_view(LEAD, slack.current_view(LEAD), owner=OWNER)
    deadline = time.monotonic() + 10
    while len(receiver.accepted()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    events = [r.payload for r in receiver.accepted()]
    assert [(e["change"]["from"], e["change"]["to"]) for e in events] == [
        ("draft", "submitted"),
        ("submitted", "accepted"),
    ]
    assert all(r.signed for r in receiver.accepted())
    assert events[1]["ask_id"] == "PLAT-1" and events[1]["ask"]["owner"] == OWNER
    assert events[1]["change"]["actor"] == LEAD
    assert len({r.event_id for r in receiver.accepted()}) == 2, "each event once"


@pytest.mark.parametrize("configured", [True, False])
def test_serves_background_delivers_what_a_commit_queued(
    database_url: str, slack: FakeSlack, clock: MovableClock, receiver: Receiver, configured: bool
) -> None:
    """`serve`'s wiring (bootstrap, background, queue_kinds): with INTAKE_WEBHOOK_URL set an
    ask's events are queued with the change and the runner, woken by the commit, delivers
    them while the work is counted in flight; without it nothing is queued."""
    webhook = {"intake_webhook_url": receiver.url, "intake_webhook_secret": SECRET}
    settings = load_settings(
        database_url=database_url, slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.api_url,
        intake_review_channel="C0REVIEW", intake_timezone="UTC", _env_file=None,
        **(webhook if configured else {}),
    )  # fmt: skip
    container = build(settings, clock=clock, migrate=True)
    client = WebClient(token="xoxb-test-token", base_url=slack.api_url)
    background = start_background(container, client, schedule=False)
    try:
        started = container.intake.start(
            team_id="T0001", requester=REQUESTER, text="we need a postgres db for billing",
            source=Source.DM, tz="UTC", thread=Thread("D0ALICE", "1700000000.000001"),
        )  # fmt: skip
        assert started is not None and started.ticket.id is not None
        container.intake.submit(ask_id=started.ticket.id, user=REQUESTER, force=True)
        deadline = time.monotonic() + 10
        while configured and not receiver.accepted() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert container.in_flight.wait_idle(10)
        assert queue.pending(container.db_engine) == {}
        with transaction(container.db_engine) as session:
            queued = session.scalar(select(func.count()).select_from(QueueItemRow))
    finally:
        background.stop()
        container.db_engine.dispose()
    if not configured:
        assert queued == 0 and receiver.requests == []
        return
    assert queued == 1
    (delivered,) = receiver.accepted()
    assert delivered.signed and delivered.payload["change"]["to"] == "submitted"
    assert delivered.payload["team_id"] == "T0001"
