"""The webhook as an integration sees it: status changes made in Slack arrive, signed, once,
in order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.conftest import LEAD, OWNER, REQUESTER, SIGNING_SECRET, BotServer
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
