"""A requester's intake through real Slack-shaped traffic, from each entry point to submit."""

from __future__ import annotations

from tests.e2e.conftest import OTHER, REQUESTER, BotServer
from tests.e2e.helpers import (
    ASK,
    Conversation,
    answer_database_questions,
    buttons,
    dm_root,
    review_posts,
    start_dm,
    start_slash,
    text_of,
    wait_for_bot,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def test_slash_command_intake_to_submit(driver: SlackDriver, slack: FakeSlack) -> None:
    c, ack = start_slash(driver, slack, REQUESTER, ASK)

    # The ack comes at once and tells the person where to look.
    assert ack.elapsed_seconds < 3
    assert "DM" in ack.body
    summary, opening = c.bot_messages[:2]
    understood = text_of(summary)
    assert "Here is what I understood" in understood
    assert "Database" in understood and "billing" in understood and "PostgreSQL" in understood
    assert "*Deadline:* Wed 25 Nov\n" in understood, "this year's date, without the year"
    said = text_of(opening)
    assert "Question 1" in said and "environment" in said.lower()
    assert buttons(opening)[:3] == ["production", "staging", "development"]

    answer_database_questions(c)
    # The summary is its own message: answering the questions after it never overwrote it.
    assert text_of(slack.find_message(summary["ts"]) or {}) == understood
    draft = c.draft()
    shown = text_of(draft)
    assert "PostgreSQL database for billing" in shown
    assert "Ready for review" in shown
    assert buttons(draft) == ["Submit", "Edit", "Cancel"]

    c.click_button("Submit")
    assert "Submitted as *PLAT-1*" in text_of(c.last)
    assert buttons(slack.find_message(draft["ts"]) or {}) == [], "the draft keeps no buttons"
    posts = review_posts(slack)
    assert (
        len(posts) == 1 and "PLAT-1" in text_of(posts[0]) and f"<@{REQUESTER}>" in text_of(posts[0])
    )


def test_dm_intake_asks_nothing_already_said(driver: SlackDriver, slack: FakeSlack) -> None:
    c = start_dm(
        driver,
        slack,
        REQUESTER,
        "We need a postgres db for the billing service in production and staging by 2026-12-15, "
        "about 100GB. Invoices can't be generated without it. Done when billing-api connects "
        "to it from staging.",
    )
    questions = [text_of(m) for m in c.bot_messages if "Question" in text_of(m)]
    asked = " ".join(questions).lower()
    for already_said in ("which engine", "which environments", "how much storage", "need this by"):
        assert already_said not in asked, f"asked again: {already_said}"
    # Whatever is left, "done" goes straight to the draft.
    if "Submit" not in buttons(c.last):
        c.say("done")
    assert "*Deadline*\nTue 15 Dec\n" in text_of(c.draft()), "this year's date, no year"


def test_mention_in_channel_runs_in_the_mention_thread(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    before = len(slack.calls)
    response, ts = driver.app_mention(REQUESTER, "CI is slow, help", "C0REQUESTS")
    assert response.status == 200
    wait_for_bot(slack, before)
    c = Conversation(driver, slack, REQUESTER, "C0REQUESTS", ts)
    assert "CI/CD" in text_of(c.bot_messages[0])
    # Someone else talking in the thread is not taken as an answer.
    driver.channel_message(OTHER, "same for us!", "C0REQUESTS", thread_ts=ts)
    slack.wait_idle(quiet=0.3)
    assert len(c.bot_messages) == 2, "the summary and the first question, nothing more"
    c.say("done")
    assert "Submit" in buttons(c.draft())


def test_message_shortcut_scopes_someone_elses_message(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    original = slack.add_message(
        "C0REQUESTS", OTHER, "our staging cert expired on api.example.com again"
    )
    before = len(slack.calls)
    response = driver.message_shortcut(REQUESTER, original, "C0REQUESTS", "intake_from_message")
    assert response.status == 200
    wait_for_bot(slack, before)
    dm = slack.dm_channel(REQUESTER)
    root = dm_root(slack, REQUESTER)
    assert "cert expired" in text_of(root) and "From a message by" in text_of(root)
    c = Conversation(driver, slack, REQUESTER, dm, root["ts"])
    assert "Networking" in text_of(c.bot_messages[0])


def test_home_tab_new_request(driver: SlackDriver, slack: FakeSlack) -> None:
    before = len(slack.calls)
    driver.app_home_opened(REQUESTER)
    wait_for_bot(slack, before)
    home = slack.home(REQUESTER)
    assert home is not None
    driver.click(REQUESTER, home, "home_new_request")
    slack.wait_for("views.open")
    modal = slack.current_view(REQUESTER)
    before = len(slack.calls)
    result = driver.submit_view(
        REQUESTER, modal, ask="read access to the prod billing db for <@U0BOB>"
    )
    assert result.status == 200
    wait_for_bot(slack, before)
    dm = slack.dm_channel(REQUESTER)
    root = dm_root(slack, REQUESTER)
    c = Conversation(driver, slack, REQUESTER, dm, root["ts"])
    assert "Access" in text_of(c.bot_messages[0])


def test_two_intakes_at_once_keep_their_answers_apart(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    db = start_dm(driver, slack, REQUESTER, ASK)
    ci = start_dm(driver, slack, REQUESTER, "CI is slow, help")
    db.click_button("staging")
    ci.say("done")
    db.say("50 GB")
    assert "staging" in text_of(db.bot_messages[1]).lower()
    assert "Submit" in buttons(ci.draft())
    assert "Question 3" in text_of(db.last)


def test_unreadable_answer_is_explained_and_asked_again_in_other_words(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = start_dm(driver, slack, REQUESTER, "we need a postgres db for billing in production")
    while "deadline" not in text_of(c.last).lower() and "by when" not in text_of(c.last).lower():
        c.say("skip")
    number = int(text_of(c.last).split("Question ")[1].split(":")[0])
    c.say("whenever the moon is blue")
    again = text_of(c.last)
    assert "couldn't read" in again and f"Question {number + 1}" in again
    assert "Put another way" in again and "e.g." in again
    c.say("end of the month")
    answered = [text_of(m) for m in c.bot_messages if f"Question {number + 1}" in text_of(m)]
    assert "Mon 30 Nov 2026" in answered[-1], "the answer shows under its question"
    assert f"Question {number + 2}" in text_of(c.last)


def test_not_ready_draft_offers_submit_anyway(driver: SlackDriver, slack: FakeSlack) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    c.say("done")
    c.click_button("Submit")
    missing = text_of(c.last)
    assert "not ready" in missing and "verifiable acceptance criterion" in missing
    c.click_button("Submit anyway")
    assert "Submitted as *PLAT-1*" in text_of(c.last)


def test_edit_modal_updates_the_draft_in_place(driver: SlackDriver, slack: FakeSlack) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    c.say("done")
    draft = c.draft()
    driver.click(REQUESTER, draft, "intake_edit")
    slack.wait_for("views.update")  # opened at once as "Loading…", then filled in
    modal = slack.current_view(REQUESTER)
    assert modal is not None
    before = len(slack.calls)
    result = driver.submit_view(
        REQUESTER,
        modal,
        title="Postgres for billing v2",
        acceptance_criteria="billing-api connects from production\np95 query latency under 50 ms",
        deadline="2026-12-18",
    )
    assert result.status == 200 and not (result.json or {}).get("errors")
    wait_for_bot(slack, before)
    updated = slack.find_message(draft["ts"])
    assert updated is not None
    shown = text_of(updated)
    assert "Postgres for billing v2" in shown and "p95 query latency under 50 ms" in shown
    assert "*Deadline*\nFri 18 Dec\n" in shown
    assert len([m for m in c.bot_messages if "Submit" in buttons(m)]) == 1, (
        "edited in place, not reposted"
    )


def test_edit_modal_refuses_a_past_deadline(driver: SlackDriver, slack: FakeSlack) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    c.say("done")
    driver.click(REQUESTER, c.draft(), "intake_edit")
    slack.wait_for("views.update")
    # Acceptance criteria are required in the form (never "(optional)"): this draft has none.
    form = slack.current_view(REQUESTER)
    result = driver.submit_view(
        REQUESTER, form, deadline="2025-01-01", acceptance_criteria="billing-api connects"
    )
    assert result.json["response_action"] == "errors"
    assert "past" in result.json["errors"]["deadline"]


def test_cancel(driver: SlackDriver, slack: FakeSlack) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    c.say("done")
    c.click_button("Cancel")
    assert "Cancelled" in text_of(c.last)
    c.say("hello?")
    notes = slack.ephemerals(REQUESTER)
    assert notes and "cancelled" in text_of(notes[-1]).lower()
    assert review_posts(slack) == []


def test_only_the_requester_can_answer_with_buttons(driver: SlackDriver, slack: FakeSlack) -> None:
    before = len(slack.calls)
    _, ts = driver.app_mention(REQUESTER, ASK, "C0REQUESTS")
    # The first question, in the mention's thread (other calls, e.g. users.info, come first).
    slack.wait_for("chat.postMessage", lambda call: call.args.get("thread_ts") == ts, timeout=10)
    wait_for_bot(slack, before)
    c = Conversation(driver, slack, REQUESTER, "C0REQUESTS", ts)
    question = c.last
    before = len(slack.calls)
    element = next(e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"])
    driver.click(OTHER, question, element["action_id"], element["value"])
    wait_for_bot(slack, before)
    assert "Only the person who opened this intake" in text_of(slack.ephemerals(OTHER)[-1])
    assert "Question 1" in text_of(c.last), "nothing was answered"


def test_restart_in_the_middle_resumes(
    bot: BotServer, driver: SlackDriver, slack: FakeSlack
) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    c.click_button("production")
    bot.restart()
    c.driver = SlackDriver(bot.events_url, driver.signing_secret, slack)
    c.say("300 GB")
    said = text_of(c.last)
    assert "Question 3" in said, said
    # The buttons of the question answered before the restart still say what was chosen.
    assert "production" in text_of(c.bot_messages[1])


def test_a_skipped_question_reads_as_skipped_not_as_an_answer(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = start_dm(driver, slack, REQUESTER, ASK)
    question = c.last
    assert "Question 1" in text_of(question)
    c.say("skip")
    shown = text_of(slack.find_message(question["ts"]) or {})
    outcome = shown.splitlines()[-1]  # under the question, where the answer would be
    assert outcome.startswith(":heavy_minus_sign: Skipped") and "Edit" in outcome, shown
    assert ":white_check_mark:" not in shown, "a skipped question has no check mark"
