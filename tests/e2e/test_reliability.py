"""What Slack's delivery guarantees and people's habits throw at the bot: retries, double
clicks, markup injection, huge pastes, and failures."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import REQUESTER, BotServer
from tests.e2e.helpers import (
    ASK,
    Conversation,
    answer_database_questions,
    bot_thread,
    buttons_value,
    review_posts,
    start_dm,
    text_of,
    wait_for_bot,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def test_a_retried_event_starts_one_intake(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    before = len(slack.calls)
    first, ts = driver.message_im(REQUESTER, ASK)
    wait_for_bot(slack, before)
    for retry in (1, 2, 3):
        assert driver.retry(first, retry_num=retry).status == 200
    slack.wait_idle(quiet=0.4)
    replies = bot_thread(slack, slack.dm_channel(REQUESTER), ts)
    assert len(replies) == 2, [text_of(m) for m in replies]  # the summary, then question 1
    assert bot.container is not None
    assert len(bot.container.intake.list()) == 1


def test_the_same_message_as_mention_and_channel_message_is_answered_once(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    """Slack sends both app_mention and message.channels for a mention in a thread."""
    before = len(slack.calls)
    _, root = driver.app_mention(REQUESTER, ASK, "C0REQUESTS")
    wait_for_bot(slack, before)
    c = Conversation(driver, slack, REQUESTER, "C0REQUESTS", root)
    ts = slack.next_ts()
    before = len(slack.calls)
    driver.app_mention(REQUESTER, "staging", "C0REQUESTS", ts=ts, thread_ts=root)
    driver.channel_message(REQUESTER, "<@UBOT> staging", "C0REQUESTS", ts=ts, thread_ts=root)
    wait_for_bot(slack, before)
    questions = [m for m in c.bot_messages if "Question 2" in text_of(m)]
    assert len(questions) == 1


def test_a_double_click_answers_once(driver: SlackDriver, slack: FakeSlack) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    question = c.last
    element = next(e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"])
    block_id = next(b["block_id"] for b in question["blocks"] if b["type"] == "actions")
    before = len(slack.calls)
    for _ in range(2):  # both clicks carry the message as it was when clicked
        driver.block_action(
            REQUESTER,
            element["action_id"],
            value=element["value"],
            message=question,
            block_id=block_id,
            stale=True,
        )
    wait_for_bot(slack, before)
    assert len([m for m in c.bot_messages if "Question 2" in text_of(m)]) == 1
    assert slack.ephemerals(REQUESTER) == [], "the second click is silent"


def test_a_double_submit_submits_once(driver: SlackDriver, slack: FakeSlack) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    answer_database_questions(c)
    draft = c.draft()
    block_id = next(b["block_id"] for b in draft["blocks"] if b["type"] == "actions")
    before = len(slack.calls)
    for _ in range(2):
        driver.block_action(
            REQUESTER,
            "intake_submit",
            value=buttons_value(draft),
            message=draft,
            block_id=block_id,
            stale=True,
        )
    wait_for_bot(slack, before)
    submitted = [m for m in c.bot_messages if "Submitted as" in text_of(m)]
    assert len(submitted) == 2, "the draft turned into PLAT-1, plus one 'Submitted' note"
    assert len(review_posts(slack)) == 1
    assert "already submitted as PLAT-1" in text_of(slack.ephemerals(REQUESTER)[-1])


def test_mentions_typed_by_a_requester_ping_nobody(driver: SlackDriver, slack: FakeSlack) -> None:
    c = start_dm(
        driver,
        slack,
        REQUESTER,
        "<!channel> we need a postgres db for <@U0BOB> &lt;!here&gt; <https://evil.example|docs.google.com>",
    )
    c.say("done")
    for message in c.bot_messages:
        shown = text_of(message)
        assert "<!channel>" not in shown and "<!here>" not in shown and "<@U0BOB>" not in shown
        assert "|docs.google.com>" not in shown
    # A special mention typed as text is dropped from what the bot echoes (intake.special_mentions):
    # the rest of the ask stays.
    assert "we need a postgres db for @U0BOB" in text_of(c.draft())
    assert "https://evil.example" in text_of(c.draft()), "a link shows where it really goes"


def test_an_oversize_paste_is_kept_whole_and_shown_cut(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    paste = ("CI is slow: " + "stack trace line ✨ עברית \u200b " * 1400)[:40_000]
    c = start_dm(driver, slack, REQUESTER, paste)
    c.say("done")
    assert "…" in text_of(c.draft())
    assert bot.container is not None
    stored = bot.container.intake.list()[0]
    assert stored.problem == paste.strip()
    assert slack.violations == []


def test_a_slack_failure_gets_a_short_private_note_and_loses_nothing(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    slack.rate_limit("chat.postMessage", times=10, retry_after=1)
    slack.expect_violations()
    before = len(slack.calls)
    driver.message_im(REQUESTER, "staging", channel=c.channel, thread_ts=c.thread_ts)
    wait_for_bot(slack, before, timeout=10)
    slack.wait_for("chat.postEphemeral", timeout=20)  # after the bounded 429 retries give up
    note = text_of(slack.ephemerals(REQUESTER)[-1])
    assert "Everything you wrote so far is saved" in note and "Traceback" not in note
    assert bot.container is not None
    conversation = bot.container.intake.get(bot.container.intake.list()[0].id or 0)
    assert conversation.ticket.environment == ["staging"]


@pytest.mark.parametrize("body", [b"", b"not a slack payload", b"payload=%7Bbroken"])
def test_junk_requests_are_refused_without_side_effects(
    driver: SlackDriver, slack: FakeSlack, body: bytes
) -> None:
    response = driver.send_raw(body, "application/x-www-form-urlencoded")
    assert response.status in (400, 401, 404)
    slack.wait_idle(quiet=0.2)
    assert [c for c in slack.calls if c.method != "auth.test"] == []


def test_a_forged_signature_is_rejected(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    envelope = driver.envelope(
        {
            "type": "message",
            "channel_type": "im",
            "user": REQUESTER,
            "text": ASK,
            "channel": "DU0ALICE",
            "ts": "1.000001",
        }
    )
    body = json.dumps(envelope).encode()
    response = driver.send_raw(
        body,
        "application/json",
        headers={"X-Slack-Signature": "v0=" + "0" * 64},
        sign=False,
        timestamp=None,
    )
    assert response.status == 401
    assert bot.container is not None and bot.container.intake.list() == []
