"""Two bot replicas on one database, as behind a load balancer: Slack's retries may land on
either, at the same moment, and people must still see every reply once."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable

from bot.app import create_app
from bot.bootstrap import build
from bot.settings import load_settings
from tests.e2e.conftest import REQUESTER, SIGNING_SECRET, BotServer
from tests.e2e.helpers import ASK, bot_thread, text_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def test_one_event_delivered_to_two_replicas_at_once_starts_one_intake(
    database_url: str, make_bot: Callable[[str], BotServer], slack: FakeSlack
) -> None:
    replicas = [make_bot(database_url), make_bot(database_url)]
    drivers = [SlackDriver(r.events_url, SIGNING_SECRET, slack) for r in replicas]
    ts = slack.next_ts()
    envelope = drivers[0].envelope(
        {
            "type": "message",
            "channel_type": "im",
            "user": REQUESTER,
            "text": ASK,
            "channel": slack.dm_channel(REQUESTER),
            "ts": ts,
        }
    )
    slack.add_message(slack.dm_channel(REQUESTER), REQUESTER, ASK, ts=ts)
    go = threading.Barrier(4)

    body = json.dumps(envelope).encode()

    def deliver(driver: SlackDriver, retry_num: int) -> None:
        """The first delivery and Slack's retries 1..3, alternating between the replicas."""
        headers = {"X-Slack-Retry-Num": str(retry_num)} if retry_num else {}
        go.wait()
        assert driver.send_raw(body, "application/json", headers).status == 200

    threads = [threading.Thread(target=deliver, args=(drivers[i % 2], i)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slack.wait_for("chat.postMessage", count=2)
    slack.wait_idle(quiet=0.5)
    replies = bot_thread(slack, slack.dm_channel(REQUESTER), ts)
    # One intake: its summary, then its first question.
    assert len(replies) == 2, [text_of(m) for m in replies]
    assert slack.ephemerals(REQUESTER) == [], "no one was told something went wrong"
    assert replicas[0].container is not None
    assert len(replicas[0].container.intake.list()) == 1


def test_healthz_answers_when_the_database_does(bot: BotServer) -> None:
    url = bot.events_url.replace("/slack/events", "/healthz")
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200 and response.read() == b"ok"


def test_socket_mode_needs_no_signing_secret(sqlite_url: str, slack: FakeSlack) -> None:
    settings = load_settings(
        database_url=sqlite_url,
        slack_bot_token="xoxb-test-token",
        slack_app_token="xapp-test",
        slack_api_url=slack.api_url,
        _env_file=None,
    )
    container = build(settings, migrate=True)
    app = create_app(container, socket_mode=True)
    assert app.client.base_url == slack.api_url
    container.db_engine.dispose()
