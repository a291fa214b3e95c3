"""Floods and saturation through the real app: a person over their limit is told to slow
down (and nobody else is held up), a saturated bot still answers at once and says it is busy,
and /healthz answers while every admitted request's work is stuck (bot.admission)."""

from __future__ import annotations

import sqlite3
import time
import urllib.request
from collections.abc import Callable

from bot.busy import BUSY, SLOW_DOWN_ACTION
from tests.e2e.conftest import OTHER, REQUESTER, SIGNING_SECRET, BotServer
from tests.e2e.helpers import ASK, dm_root, every_work_slot_held, start_dm, start_slash, text_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver

CAROL, DAN = "U0CAROL", "U0DAN"


def _driver(bot: BotServer, slack: FakeSlack) -> SlackDriver:
    return SlackDriver(bot.events_url, SIGNING_SECRET, slack)


def _slow_work(slack: FakeSlack, seconds: float) -> None:
    """Every Slack call an intake's first reply makes answers after ``seconds``."""
    for method in ("users.info", "conversations.open", "chat.postMessage"):
        slack.delay(method, seconds)


def _roots(slack: FakeSlack, user: str) -> list[str]:
    """The intake threads the bot opened in the person's DM."""
    return [
        text_of(m)
        for m in slack.messages(slack.dm_channel(user))
        if m.get("bot_id") and m.get("thread_ts", m["ts"]) == m["ts"]
    ]


def test_a_person_over_their_intake_limit_is_told_to_slow_down_and_others_go_on(
    make_bot: Callable[..., BotServer], sqlite_url: str, slack: FakeSlack
) -> None:
    # Two new intakes a minute: one at once, the next 30 s later.
    driver = _driver(make_bot(sqlite_url, intake_limit_person_intakes=2), slack)
    _, first = start_slash(driver, slack, REQUESTER, ASK)
    assert "DM" in first.body

    refused = driver.slash_command(REQUESTER, "we need a redis cache for search")
    assert refused.status == 200
    assert "Slow down" in refused.body and "didn't start this one" in refused.body
    assert "redis cache for search" in refused.body, "what they typed, to send again"

    other, ack = start_slash(driver, slack, OTHER, "we need a redis cache for search")
    assert "DM" in ack.body
    assert "Question 1" in text_of(other.bot_messages[-1])
    slack.wait_idle()
    assert len(_roots(slack, REQUESTER)) == 1, "the refused /intake started nothing"
    # Read-only commands are actions, not new intakes: still answered.
    listed = driver.slash_command(REQUESTER, "list")
    assert "Slow down" not in listed.body


def test_a_flood_of_messages_gets_one_private_note_and_the_first_is_answered(
    make_bot: Callable[..., BotServer], sqlite_url: str, slack: FakeSlack
) -> None:
    driver = _driver(make_bot(sqlite_url, intake_limit_person_actions=2), slack)
    conversation = start_dm(driver, slack, REQUESTER, ASK)
    assert "Question 1" in text_of(conversation.bot_messages[-1])
    for n in range(3):
        assert driver.message_im(REQUESTER, f"more about it {n}")[0].status == 200
    slack.wait_idle()
    notes = [e["text"] for e in slack.ephemerals(REQUESTER)]
    assert notes == [SLOW_DOWN_ACTION], "one note, not one per refused message"
    other = start_dm(driver, slack, OTHER, ASK)
    assert "Question 1" in text_of(other.bot_messages[-1])


def test_a_saturated_bot_answers_at_once_that_it_is_busy(
    make_bot: Callable[..., BotServer], sqlite_url: str, slack: FakeSlack
) -> None:
    # Two requests on hand at most, one of them a new intake.
    driver = _driver(make_bot(sqlite_url, intake_max_pending_work=2), slack)
    _slow_work(slack, 2.0)  # the admitted intake's work takes a while
    first = driver.slash_command(REQUESTER, ASK)
    assert "DM" in first.body
    busy = driver.slash_command(OTHER, "we need a redis cache for search")
    assert busy.status == 200 and busy.elapsed_seconds < 1.5
    assert BUSY.split(",")[0] in busy.body and "try again" in busy.body
    assert "redis cache for search" in busy.body
    # Room is kept for people who are not starting something new.
    listed = driver.slash_command(CAROL, "list")
    assert listed.status == 200 and "busy" not in listed.body

    _slow_work(slack, 0)
    slack.wait_for("chat.postMessage", count=1, timeout=10)
    slack.wait_idle(timeout=10)
    assert len(_roots(slack, REQUESTER)) == 1, "the admitted intake was done"
    assert _roots(slack, OTHER) == [], "the refused one started nothing it would not finish"
    _, again = start_slash(driver, slack, OTHER, "we need a redis cache for search")
    assert "DM" in again.body
    assert dm_root(slack, OTHER)


def test_healthz_answers_while_every_admitted_request_is_stuck(
    make_bot: Callable[..., BotServer], sqlite_url: str, slack: FakeSlack
) -> None:
    bot = make_bot(sqlite_url, intake_max_pending_work=1)
    driver = _driver(bot, slack)
    _slow_work(slack, 3.0)
    assert "DM" in driver.slash_command(REQUESTER, ASK).body  # its work waits on Slack
    refused = driver.slash_command(DAN, ASK)
    assert BUSY.split(",")[0] in refused.body, "every admitted slot is taken"

    # And the work holds SQLite's write lock meanwhile.
    path = sqlite_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        health = bot.events_url.replace("/slack/events", "/healthz")
        with urllib.request.urlopen(health, timeout=2) as answer:
            assert (answer.status, answer.read()) == (200, b"ok")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _slow_work(slack, 0)
    slack.wait_idle(timeout=15)


def test_a_form_opens_at_once_while_every_work_slot_is_taken(
    make_bot: Callable[..., BotServer], sqlite_url: str, slack: FakeSlack
) -> None:
    """Opening a form must beat its trigger_id's 3 s: it never waits for a turn at the work,
    however busy the work is."""
    bot = make_bot(sqlite_url)
    driver = _driver(bot, slack)
    driver.app_home_opened(REQUESTER)
    slack.wait_idle(timeout=10)
    home = slack.home(REQUESTER)
    assert home is not None and bot.container is not None
    slots = bot.container.work_slots
    with every_work_slot_held(slots):
        started = time.monotonic()
        driver.click(REQUESTER, home, "home_new_request")
        slack.wait_for("views.open", timeout=2.5)
        assert time.monotonic() - started < 2.5
