"""One source of truth per message: every message the bot posted about an ask (the requester's
"Submitted" message, the review card, the owner's DM, the weekly nudge) shows the ask as it is
now, whichever of them the change was made from, and buttons that no longer apply are gone.
Read as Slack has each message after the bot's chat.update calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.followthrough import FollowThrough, follow_through_for
from bot.oauth import OneWorkspace
from bot.sender import send_due
from storage import ask_messages
from tests.e2e.conftest import (
    BOT_TOKEN,
    LEAD,
    OWNER,
    REQUESTER,
    REVIEW_CHANNEL,
    SIGNING_SECRET,
    BotServer,
    MovableClock,
)
from tests.e2e.helpers import (
    approve,
    buttons,
    click_and_wait,
    decide,
    review_card,
    submit_ready_ask,
    text_of,
    wait_for_bot,
)
from tests.e2e.test_milestones import Ask
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def submitted_message(slack: FakeSlack, thread: Any) -> dict[str, Any]:
    """The requester's "Submitted as PLAT-1" in their intake thread, as it is now."""
    found = [m for m in thread.bot_messages if text_of(m).startswith(":inbox_tray: Submitted")]
    assert len(found) == 1, [text_of(m) for m in thread.bot_messages]
    current = slack.find_message(found[0]["ts"])
    assert current is not None
    return current


def test_after_approval_the_requester_can_no_longer_cancel(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    thread, card = submit_ready_ask(driver, slack, REQUESTER)
    assert buttons(submitted_message(slack, thread)) == ["Cancel ask"], "while it waits"
    approve(driver, slack, card)
    shown = submitted_message(slack, thread)
    assert buttons(shown) == [], "no Cancel ask once the ask was approved"
    assert "accepted* · approved by <@U0LEE>" in text_of(shown)
    assert "will review it" not in text_of(shown), "it was reviewed"
    assert not slack.violations, "Slack would accept every update"


def test_the_registry_outlives_a_restart(
    database_url: str, make_bot: Callable[..., BotServer], slack: FakeSlack
) -> None:
    """On SQLite and PostgreSQL: messages recorded before a restart are kept true after it."""
    bot = make_bot(database_url)
    driver = SlackDriver(bot.events_url, SIGNING_SECRET, slack)
    thread, card = submit_ready_ask(driver, slack, REQUESTER)
    bot.restart()
    driver = SlackDriver(bot.events_url, SIGNING_SECRET, slack)
    thread.driver = driver
    approve(driver, slack, card)
    assert buttons(submitted_message(slack, thread)) == []
    assert "accepted" in text_of(review_card(slack))


@pytest.fixture
def ask(driver: SlackDriver, slack: FakeSlack, bot: BotServer) -> Ask:
    """PLAT-1, approved by Lee with Owen as its owner."""
    return Ask(driver, slack, bot)


def nudge_of(ask: Ask, clock: MovableClock) -> dict[str, Any]:
    """Owen's weekly nudge, sent as the scheduler and the sender of a running bot send it."""
    bot, slack = ask.bot, ask.slack
    assert bot.container is not None
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    jobs = FollowThrough(
        bot.container.intake,
        bot.container.db_engine,
        client,
        default_tz="UTC",
        digest_channel=None,
        digest_schedule="0 9 * * 1",
    )
    clock.at = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)  # Tuesday 09:05 in Auckland
    assert jobs.tick(force=True).nudges == 1
    assert send_due(bot.container.db_engine, clock, OneWorkspace(client)) == 1
    found = [
        m
        for m in slack.messages(slack.dm_channel(OWNER))
        if m.get("bot_id") and "Your milestones this week" in m.get("text", "")
    ]
    assert len(found) == 1
    return found[0]


def test_the_owners_dm_and_nudge_agree_whichever_is_clicked(
    ask: Ask, slack: FakeSlack, clock: MovableClock
) -> None:
    nudge = nudge_of(ask, clock)
    assert "not started" in ask.line(0, nudge) and "not started" in ask.line(0)

    ask.status(OWNER, 0, "on_track", nudge)  # in the nudge
    assert "on track" in ask.line(0, slack.find_message(nudge["ts"]))
    assert "on track" in ask.line(0), "the DM shows what was marked in the nudge"
    assert "in progress" in text_of(ask.dm) and "Start work" not in buttons(ask.dm)

    ask.status(OWNER, 0, "done")  # in the DM
    assert "done" in ask.line(0)
    assert "done" in ask.line(0, slack.find_message(nudge["ts"])), "the nudge shows the DM's"

    # Done with the whole ask: no milestone buttons are left on either.
    ask.click(OWNER, ask.dm, "ask_done")
    assert ask.ticket().status.value == "done"
    for message in (ask.dm, slack.find_message(nudge["ts"]) or {}):
        assert not {"On track", "Done", "Mark done", "Start work"} & set(buttons(message))
    assert not slack.violations


def test_a_new_owner_leaves_the_former_one_without_buttons(
    ask: Ask, slack: FakeSlack, bot: BotServer
) -> None:
    former = ask.dm
    ask.click(LEAD, review_card(slack), "review_assign")
    ask.submit(LEAD, owner=REQUESTER)
    shown = slack.find_message(former["ts"]) or {}
    assert buttons(shown) == []
    assert "<@U0ALICE> owns it now" in text_of(shown)


def test_an_ask_the_scheduler_completes_offers_no_more_work(
    ask: Ask, slack: FakeSlack, bot: BotServer, clock: MovableClock
) -> None:
    """Every milestone done and no answer from the requester for a week: the scheduler
    completes the ask, and the owner's DM and the card show it without their buttons."""
    for index in range(len(ask.ticket().milestones)):
        ask.status(OWNER, index, "done")
    assert "Mark done" in buttons(ask.dm)
    question = done_question(ask)
    assert buttons(question) == ["Yes, it's done", "Not yet"]
    clock.advance(days=8)
    assert bot.container is not None
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    assert follow_through_for(bot.container, client).tick().completed == 1
    assert ask.ticket().status.value == "done"
    assert buttons(ask.dm) == [] and "done" in text_of(ask.dm)
    card = review_card(slack)
    assert "*done*" in text_of(card) and buttons(card) == ["Reopen"]
    asked = slack.find_message(question["ts"]) or {}
    assert buttons(asked) == [] and "The ask is done now." in text_of(asked)


def done_question(ask: Ask) -> dict[str, Any]:
    """The newest "Is it done for you?" in the requester's thread, as it is now."""
    found = [m for m in ask.thread.bot_messages if "Is the work done for you?" in text_of(m)]
    assert found, "the requester was not asked"
    return ask.slack.find_message(found[-1]["ts"]) or {}


def test_a_question_overtaken_by_a_reopened_milestone_waits_no_more(
    ask: Ask, slack: FakeSlack, clock: MovableClock
) -> None:
    count = len(ask.ticket().milestones)
    for index in range(count):
        ask.status(OWNER, index, "done")
    first = done_question(ask)
    clock.advance(minutes=5)
    ask.status(OWNER, 0, "on_track")  # not done after all
    assert buttons(slack.find_message(first["ts"]) or {}) == []
    assert "The ask is in progress now." in text_of(slack.find_message(first["ts"]) or {})
    clock.advance(minutes=5)
    ask.status(OWNER, 0, "done")  # asked again: only the new question has the buttons
    second = done_question(ask)
    assert second["ts"] != first["ts"]
    assert buttons(second) == ["Yes, it's done", "Not yet"]
    assert buttons(slack.find_message(first["ts"]) or {}) == []

    ask.click(REQUESTER, second, "ask_confirm_done")  # answered: the answer stays
    assert ask.ticket().status.value == "done"
    assert "confirmed that *PLAT-1* is done" in text_of(slack.find_message(second["ts"]) or {})


def test_the_leads_questions_lose_edit_ask_once_answered(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    thread, card = submit_ready_ask(driver, slack, REQUESTER)
    decide(driver, slack, card, "review_request_changes", questions="Which region?")
    questions = thread.last
    assert "Which region?" in text_of(questions) and buttons(questions) == ["Edit ask"]
    assert buttons(submitted_message(slack, thread)) == ["Cancel ask"], "it may still go"

    thread.say("eu-west-1")  # answered: back to the leads
    shown = slack.find_message(questions["ts"]) or {}
    assert "Which region?" in text_of(shown), "the questions stay readable"
    assert buttons(shown) == [] and "*submitted* · submitted by <@U0ALICE>" in text_of(shown)
    approve(driver, slack, review_card(slack))
    assert "accepted" in text_of(slack.find_message(questions["ts"]) or {})


def test_a_change_updates_only_the_messages_that_look_different(
    ask: Ask, slack: FakeSlack, clock: MovableClock
) -> None:
    """chat.update is rate-limited: a message that would show the same is not sent again."""
    nudge = nudge_of(ask, clock)
    ask.status(OWNER, 0, "on_track", nudge)  # starts the work: every message says so
    before = len(slack.calls)
    ask.status(OWNER, 1, "on_track")  # only the milestone lines change
    updated = {call.args["ts"] for call in slack.calls[before:] if call.method == "chat.update"}
    assert updated == {ask.dm["ts"], nudge["ts"]}, "the DM clicked and the nudge, nothing else"
    assert "on track" in ask.line(1, slack.find_message(nudge["ts"]))


def test_a_deleted_message_is_let_go_and_a_deleted_card_posted_again(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    thread, card = submit_ready_ask(driver, slack, REQUESTER)
    click_and_wait(driver, slack, LEAD, card, "review_approve")
    # While Lee fills in the form, someone deletes the card and Alice's message.
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    client.chat_delete(channel=REVIEW_CHANNEL, ts=card["ts"])
    client.chat_delete(channel=thread.channel, ts=submitted_message(slack, thread)["ts"])
    before = len(slack.calls)
    driver.submit_view(LEAD, slack.current_view(LEAD), owner=OWNER)
    wait_for_bot(slack, before)
    assert bot.container is not None
    ask_id = bot.container.intake.list()[0].id or 0
    kept = ask_messages.of_ask(bot.container.db_engine, ask_id)
    cards = [m for m in kept if m.kind == ask_messages.REVIEW_CARD]
    assert [m.ts for m in cards] == [review_card(slack)["ts"]] and cards[0].ts != card["ts"]
    assert "accepted" in text_of(review_card(slack))
    assert not [m for m in kept if m.kind == ask_messages.SUBMITTED], "the deleted one is let go"
