"""Corrections, the follow-up on vague criteria and the request-type question, as a requester
sees them in the Slack thread (issue 16)."""

from __future__ import annotations

from tests.e2e.conftest import REQUESTER
from tests.e2e.helpers import ASK, buttons, start_dm, text_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def test_a_correction_during_the_questions_is_said_and_the_question_comes_again(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)  # deadline "asap": Wed 25 Nov 2026
    assert "Question 1" in text_of(c.last)
    c.say("actually the deadline is next Friday")
    said = [text_of(m) for m in c.bot_messages[-2:]]
    assert "*Deadline* changed: Wed 25 Nov → Fri 4 Dec" in said[0]
    assert "Question 1" in said[1] and "environment" in said[1].lower(), "then it goes on"
    assert buttons(c.last)[:3] == ["production", "staging", "development"]
    c.click_button("staging")
    assert "Question 2" in text_of(c.last)


def test_corrections_after_the_draft_change_the_right_field_and_the_title(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = start_dm(driver, slack, REQUESTER, "we need a postgres db for billing in production")
    c.say("done")
    draft = c.draft()
    assert "PostgreSQL database for billing" in text_of(draft)

    c.say("it's for billing-api, not billing")
    assert "*Services* changed: billing → billing-api" in text_of(c.last)
    updated = text_of(slack.find_message(draft["ts"]) or {})
    assert "PostgreSQL database for billing-api" in updated, "the title follows"

    c.say("billing-api connects to it from staging; nightly backups restore in under 1 hour")
    assert "*Acceptance criteria* changed" in text_of(c.last)
    updated = text_of(slack.find_message(draft["ts"]) or {})
    assert "• billing-api connects to it from staging" in updated
    assert "• nightly backups restore in under 1 hour" in updated
    assert "*Services*\nbilling-api" in updated, "a check naming a service changes no services"
    assert ":white_check_mark: At least one verifiable acceptance criterion" in updated

    c.say("priority high")
    assert "*Priority* changed: P3 → P2" in text_of(c.last)
    assert "*Priority*\nP2" in text_of(slack.find_message(draft["ts"]) or {})


def test_vague_criteria_get_one_follow_up_in_the_thread(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = start_dm(driver, slack, REQUESTER, "we need a postgres db for billing in production")
    c.say("done")
    c.say("criteria: it works well")
    follow_up = text_of(c.last)
    assert "What would you check to know it works? e.g." in follow_up
    c.say("looks good")
    assert "What would you check" not in text_of(c.last), "asked once, never a loop"
    draft = text_of(c.draft())
    assert "• it works well" in draft and "• looks good" in draft
    assert ":white_large_square: At least one verifiable acceptance criterion" in draft


def test_a_close_call_on_the_type_is_asked_with_two_buttons(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = start_dm(driver, slack, REQUESTER, "the k8s nodes cost too much, can we scale them down")
    summary, question = c.bot_messages[-2:]
    assert "Compute capacity or Cost?" in text_of(summary)
    assert "Question 1" in text_of(question)
    assert buttons(question) == ["Compute capacity", "Cost"]
    c.click_button("Cost")
    answered = slack.find_message(question["ts"]) or {}
    assert ":white_check_mark: Cost" in text_of(answered) and buttons(answered) == []
    assert "*Request type* changed: Compute capacity → Cost" in text_of(c.bot_messages[-2])
    assert "Question 2" in text_of(c.last)
    c.say("done")
    assert "*Type*\nCost" in text_of(c.draft())


def test_the_edit_form_never_calls_acceptance_criteria_optional(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    c.say("done")
    driver.click(REQUESTER, c.draft(), "intake_edit")
    slack.wait_for("views.update")
    form = slack.current_view(REQUESTER)
    assert form is not None
    criteria = next(b for b in form["blocks"] if b.get("block_id") == "acceptance_criteria")
    assert criteria["optional"] is False
    assert "verify" in criteria["hint"]["text"]
