"""Similar open asks, end to end: the requester joins one instead, or says it is not the same;
leads see them on the review card; watchers hear about status changes."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import OTHER, REQUESTER, BotServer
from tests.e2e.helpers import (
    Conversation,
    answer_database_questions,
    buttons,
    decide,
    review_card,
    review_posts,
    start_dm,
    submit_ready_ask,
    text_of,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver

SAME_NEED = "can we get a postgres database for billing? invoices need it"


def suggestion(messages: list[dict[str, Any]]) -> dict[str, Any]:
    found = [m for m in messages if "join it instead?" in text_of(m)]
    assert found, "no similar-ask suggestion in the thread"
    return found[-1]


def offered_to_bob(driver: SlackDriver, slack: FakeSlack) -> tuple[Conversation, dict[str, Any]]:
    """Alice's ask submitted, Bob asks for the same: his thread, and the offer of hers."""
    submit_ready_ask(driver, slack, REQUESTER)
    bob = start_dm(driver, slack, OTHER, SAME_NEED)
    return bob, suggestion(bob.bot_messages)


def test_a_similar_open_ask_is_offered_and_joining_makes_a_watcher(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    bob, offer = offered_to_bob(driver, slack)
    assert "*PLAT-1* “PostgreSQL database for billing”" in text_of(offer)
    assert buttons(offer) == ["Join", "Not the same"]
    assert "Question 1" in text_of(bob.last), "the question stays the last word"

    bob.click_button("Join")
    assert "You joined *PLAT-1*" in text_of(bob.last)
    assert bot.container is not None
    joined = bot.container.intake.find("PLAT-1")
    assert joined is not None and joined.ticket.watchers == [OTHER]
    drafts = [t for t in bot.container.intake.list() if t.requester == OTHER]
    assert drafts[0].status.value == "cancelled" and "Joined PLAT-1" in drafts[0].history[-1].note
    assert buttons(slack.find_message(offer["ts"]) or {}) == [], "the answered offer has no buttons"
    assert f"Also wanted by <@{OTHER}>" in text_of(review_card(slack))

    # The watcher hears when the ask they joined is decided.
    decide(
        driver, slack, review_card(slack), "review_decline", reason="We already run one for billing"
    )
    dm = [m for m in slack.messages(slack.dm_channel(OTHER)) if m.get("bot_id")]
    assert "which you joined, was declined" in text_of(dm[-1])


def test_the_persons_own_similar_ask_is_called_theirs_not_someone_elses(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    submit_ready_ask(driver, slack, REQUESTER)
    again = start_dm(driver, slack, REQUESTER, SAME_NEED)
    shown = text_of(suggestion(again.bot_messages))
    assert "You may have asked for this already" in shown and "your ask" in shown
    assert "Someone may have asked" not in shown

    bob = start_dm(driver, slack, OTHER, SAME_NEED)  # someone else's ask: as before
    shown = text_of(suggestion(bob.bot_messages))
    assert "Someone may have asked for this already" in shown and "your ask" not in shown


def test_not_the_same_removes_the_offer_and_it_is_not_made_again(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    bob, offer = offered_to_bob(driver, slack)
    bob.click("similar_not_same", message=offer)
    shown = slack.find_message(offer["ts"]) or {}
    assert "not the same as *PLAT-1*" in text_of(shown) and buttons(shown) == []
    bob.say("done")  # the draft: no second offer of PLAT-1
    assert not [m for m in bob.bot_messages if "join it instead?" in text_of(m)]
    assert bot.container is not None
    mine = next(t for t in bot.container.intake.list() if t.requester == OTHER)
    assert bot.container.intake.get(mine.id or 0).dismissed == ["PLAT-1"]


def test_leads_see_similar_asks_and_the_suggestion_rationale_on_the_card(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    submit_ready_ask(driver, slack, REQUESTER)
    bob = start_dm(driver, slack, OTHER, "we need a postgres db for billing asap")
    answer_database_questions(bob)
    bob.click_button("Submit")
    cards = review_posts(slack)
    assert len(cards) == 2
    second = text_of(review_card(slack))
    assert "Looks like: *PLAT-1*" in second
    assert "Suggested: Database; P1: deadline in 2 days; M: usual for Database." in second


def test_an_unrelated_ask_gets_no_offer(driver: SlackDriver, slack: FakeSlack) -> None:
    submit_ready_ask(driver, slack, REQUESTER)
    bob = start_dm(driver, slack, OTHER, "CI for checkout-web is slow, builds take 40 minutes")
    assert not [m for m in bob.bot_messages if "join it instead?" in text_of(m)]
