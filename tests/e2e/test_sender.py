"""Sending queued Slack messages (bot.sender, run by the queue's runner): Slack's Retry-After is
waited out, a place that is gone gives the message up at once and the digest says so, other
refusals are retried with backoff eight times, and a person waiting goes before the weekly
fan-out. A retry looks for an earlier post first unless the attempt before was refused (a
429). Against the fake Slack Web API, on a controllable clock."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.followthrough import FollowThrough
from bot.oauth import OneWorkspace
from bot.sender import send_due
from storage import slack_outbox
from storage.db import transaction
from tests.e2e.conftest import BOT_TOKEN, BotServer, MovableClock
from tests.e2e.helpers import text_of
from tests.fakes.slack_api import FakeSlack

OWNER = "U0OWEN"
DIGEST = "C0DIGEST"


class Refusing(WebClient):
    """Slack answering every chat.postMessage with ``error`` (as it does for a channel that
    was deleted); every other method is the fake's."""

    def __init__(self, slack: FakeSlack, error: str) -> None:
        super().__init__(token=BOT_TOKEN, base_url=slack.api_url)
        self.error = error
        self.posts = 0

    def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
        self.posts += 1
        data = {"ok": False, "error": self.error}
        answer = SlackResponse(
            client=self, http_verb="POST", api_url=f"{self.base_url}chat.postMessage",
            req_args={}, data=data, headers={}, status_code=200,
        )  # fmt: skip
        raise SlackApiError(f"The request to the Slack API failed: {self.error}", answer)


def queue(bot: BotServer, clock: MovableClock, key: str, channel: str, **options: Any) -> None:
    assert bot.container is not None
    with transaction(bot.container.db_engine) as session:
        slack_outbox.enqueue_message(
            session, key=key, kind=key.split(":")[0], team_id="T0001", channel=channel,
            payload={"text": f"message {key}"}, at=clock.now(), **options,
        )  # fmt: skip


def send(bot: BotServer, clock: MovableClock, client: WebClient) -> int:
    assert bot.container is not None
    return send_due(bot.container.db_engine, clock, OneWorkspace(client))


def posted(slack: FakeSlack, channel: str) -> list[str]:
    return [text_of(m) for m in slack.bot_messages(channel)]


def test_a_429_is_retried_after_its_retry_after_once(
    bot: BotServer, slack: FakeSlack, clock: MovableClock
) -> None:
    slack.add_user(OWNER, "owen", tz="UTC")
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    queue(bot, clock, "nudge:T0001:U0OWEN:w", OWNER)
    slack.rate_limit("chat.postMessage", retry_after=2)  # the fake keeps it in real time

    assert send(bot, clock, client) == 0
    assert slack.ratelimited["chat.postMessage"] == 1
    clock.advance(seconds=1.9)
    assert send(bot, clock, client) == 0  # not before Slack said
    assert len(slack.calls_to("chat.postMessage")) == 1
    time.sleep(2.0)
    clock.advance(seconds=0.1)
    assert send(bot, clock, client) == 1
    assert posted(slack, slack.dm_channel(OWNER)) == ["message nudge:T0001:U0OWEN:w"]
    assert bot.container is not None
    assert slack_outbox.outbox_depth(bot.container.db_engine, clock.now()) == (0, None)


def test_a_channel_that_is_gone_is_given_up_at_once_and_listed_in_the_digest(
    bot: BotServer, slack: FakeSlack, clock: MovableClock
) -> None:
    assert bot.container is not None
    engine = bot.container.db_engine
    queue(bot, clock, "progress:T0001:7:w", "C0GONE")
    refusing = Refusing(slack, "channel_not_found")
    assert send(bot, clock, refusing) == 0
    clock.advance(days=1)
    assert send(bot, clock, refusing) == 0
    assert refusing.posts == 1, "a channel that is gone is not tried again"
    (gone,) = slack_outbox.given_up(engine, clock.now() - timedelta(days=2))
    assert (gone.key, gone.last_error) == ("progress:T0001:7:w", "channel_not_found")

    slack.add_channel(DIGEST, "platform-digest")
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    weekly = FollowThrough(
        bot.container.intake, engine, client, default_tz="UTC", digest_channel=DIGEST,
        digest_schedule="0 9 * * 1",
    )  # fmt: skip
    assert weekly.tick(force=True).digests == 1
    send(bot, clock, client)
    shown = " ".join(posted(slack, DIGEST))
    assert "progress:T0001:7:w" in shown, shown


def test_other_refusals_back_off_and_give_up_after_eight_attempts(
    bot: BotServer, slack: FakeSlack, clock: MovableClock
) -> None:
    assert bot.container is not None
    slack.add_channel("C0FLAKY", "flaky")
    queue(bot, clock, "digest:T0001:C0FLAKY:w", "C0FLAKY")
    refusing = Refusing(slack, "internal_error")
    tries = []
    for _ in range(12):
        send(bot, clock, refusing)
        tries.append(refusing.posts)
        clock.advance(minutes=11)  # longer than the longest backoff
    assert tries == [1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8]
    (gone,) = slack_outbox.given_up(bot.container.db_engine, clock.now() - timedelta(days=1))
    assert (gone.attempts, gone.last_error) == (slack_outbox.MAX_ATTEMPTS, "internal_error")
    # Each retry first looked for an earlier attempt's post, so nothing can be sent twice.
    assert len(slack.calls_to("conversations.history")) == 7


class LosingAnswers(WebClient):
    """Slack posts the first chat.postMessage but its answer is lost (the connection drops)."""

    def __init__(self, slack: FakeSlack) -> None:
        super().__init__(token=BOT_TOKEN, base_url=slack.api_url)
        self.lost = 0

    def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
        response = super().chat_postMessage(**kwargs)
        if not self.lost:
            self.lost += 1
            raise ConnectionResetError("the answer was lost")
        return response


def test_a_retry_after_a_429_is_sent_without_looking_for_an_earlier_post(
    bot: BotServer, slack: FakeSlack, clock: MovableClock
) -> None:
    slack.add_channel("C0TEAM", "team")
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    queue(bot, clock, "digest:T0001:C0TEAM:w", "C0TEAM")
    slack.rate_limit("chat.postMessage", retry_after=1)
    assert send(bot, clock, client) == 0
    time.sleep(1.0)
    clock.advance(seconds=1)
    assert send(bot, clock, client) == 1
    assert posted(slack, "C0TEAM") == ["message digest:T0001:C0TEAM:w"]
    assert slack.calls_to("conversations.history") == [], "a 429 posted nothing"


def test_a_send_whose_answer_was_lost_is_found_and_not_sent_again(
    bot: BotServer, slack: FakeSlack, clock: MovableClock
) -> None:
    slack.add_channel("C0TEAM", "team")
    client = LosingAnswers(slack)
    queue(bot, clock, "digest:T0001:C0TEAM:w", "C0TEAM")
    assert send(bot, clock, client) == 0
    clock.advance(seconds=2)  # the backoff
    assert send(bot, clock, client) == 1
    assert posted(slack, "C0TEAM") == ["message digest:T0001:C0TEAM:w"]
    assert len(slack.calls_to("conversations.history")) == 1


def test_a_person_waiting_goes_before_the_weekly_fan_out(
    bot: BotServer, slack: FakeSlack, clock: MovableClock
) -> None:
    slack.add_channel("C0TEAM", "team")
    for n in range(3):
        queue(bot, clock, f"nudge:T0001:U{n}:w", "C0TEAM")
    queue(bot, clock, "ack:T0001:click", "C0TEAM", lane="interactive")
    send(bot, clock, WebClient(token=BOT_TOKEN, base_url=slack.api_url))
    assert posted(slack, "C0TEAM")[0] == "message ack:T0001:click"
    assert len(posted(slack, "C0TEAM")) == 4
