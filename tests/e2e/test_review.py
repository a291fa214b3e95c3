"""Platform leads reviewing asks from the card in the review channel, end to end."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import GROUP_LEAD, LEAD, OTHER, OWNER, REQUESTER, BotServer
from tests.e2e.helpers import (
    buttons,
    review_card,
    submit_ready_ask,
    text_of,
    wait_for_bot,
)
from tests.e2e.helpers import (
    click_and_wait as click,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def submit_form(driver: SlackDriver, slack: FakeSlack, user: str, **inputs: Any) -> Any:
    before = len(slack.calls)
    response = driver.submit_view(user, slack.current_view(user), **inputs)
    if response.json is None:  # accepted: the bot goes on to announce it
        wait_for_bot(slack, before)
    return response


def ask_id(bot: BotServer) -> int:
    assert bot.container is not None
    return bot.container.intake.list()[0].id or 0


def test_the_card_shows_the_ask_and_the_four_decisions(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    _, card = submit_ready_ask(driver, slack, REQUESTER)
    shown = text_of(card)
    assert "PLAT-1: PostgreSQL database for billing" in shown
    assert f"<@{REQUESTER}>" in shown and "Meets the definition of ready" in shown
    assert "submitted* · submitted by" in shown and "Waiting" in shown
    assert buttons(card) == ["Approve", "Request changes", "Decline", "Assign"]


def test_a_lead_approves_with_an_owner_and_an_edited_plan(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    c, card = submit_ready_ask(driver, slack, REQUESTER)
    click(driver, slack, LEAD, card, "review_approve")
    form = slack.current_view(LEAD)
    assert form is not None and form["callback_id"] == "review_approve_modal"
    rows_before = [b["block_id"] for b in form["blocks"] if b["block_id"].startswith("ms_title:")]
    # The asap ask leaves two working days: its plan is merged to two, and the form says so.
    assert len(rows_before) == 2, "the proposed plan is in the form"
    assert ":warning: Too tight for 3 milestones by Wed 25 Nov" in text_of(form)
    # Remove the last milestone, add one, and rename the first.
    click(driver, slack, LEAD, form, f"review_milestone_remove:{rows_before[-1].split(':')[1]}")
    click(driver, slack, LEAD, slack.current_view(LEAD) or {}, "review_milestone_add")
    form = slack.current_view(LEAD) or {}
    rows = [
        b["block_id"].split(":")[1] for b in form["blocks"] if b["block_id"].startswith("ms_title:")
    ]
    assert len(rows) == 2 and rows[-1] not in {r.split(":")[1] for r in rows_before}
    response = submit_form(
        driver,
        slack,
        LEAD,
        owner=OWNER,
        **{
            f"ms_title:{rows[0]}": "Staging database with backups",
            f"ms_title:{rows[-1]}": "Load test at 2x peak",
            f"ms_due:{rows[-1]}": "2026-12-10",
        },
    )
    assert response.json is None, response.body
    ticket = bot.container.intake.get(ask_id(bot)).ticket if bot.container else None
    assert ticket is not None and ticket.status.value == "accepted" and ticket.owner == OWNER
    assert ticket.milestones[0].title == "Staging database with backups"
    assert (
        ticket.milestones[-1].title == "Load test at 2x peak"
        and str(ticket.milestones[-1].due) == "2026-12-10"
    )
    assert all(m.owner == OWNER for m in ticket.milestones)
    updated = review_card(slack)
    assert "accepted* · approved by <@U0LEE>" in text_of(updated)
    assert buttons(updated) == ["Start work", "Mark done", "Assign"]
    assert "was approved by <@U0LEE>" in text_of(c.last)
    owner_dm = [m for m in slack.messages(slack.dm_channel(OWNER)) if m.get("bot_id")]
    assert owner_dm and "You own *PLAT-1*" in text_of(owner_dm[-1])
    # The plan with each milestone's buttons (tests/e2e/test_milestones.py), then the ask's.
    first_line = ["On track", "At risk", "Blocked", "Done", "Change due date"]
    assert buttons(owner_dm[-1])[:5] == first_line
    assert buttons(owner_dm[-1])[-2:] == ["Start work", "Mark done"]


def test_a_milestone_due_after_the_deadline_is_accepted_with_a_warning_everyone_sees(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    c, card = submit_ready_ask(driver, slack, REQUESTER)
    assert bot.container is not None
    deadline = bot.container.intake.get(ask_id(bot)).ticket.deadline
    assert deadline is not None, "the ask says when it is needed"
    click(driver, slack, LEAD, card, "review_approve")
    form = slack.current_view(LEAD) or {}
    rows = [
        b["block_id"].split(":")[1] for b in form["blocks"] if b["block_id"].startswith("ms_title:")
    ]
    response = submit_form(driver, slack, LEAD, owner=OWNER, **{f"ms_due:{rows[-1]}": "2027-06-30"})
    assert response.json is None, response.body
    warning = "after the deadline"
    assert warning in text_of(c.last), "the requester is told, not left to find out"
    owner_dm = [m for m in slack.messages(slack.dm_channel(OWNER)) if m.get("bot_id")]
    assert warning in text_of(owner_dm[-1]), "and so is the owner, in the plan they work from"
    first = text_of(c.last).split(warning)[0]
    assert "Wed 30 Jun 2027" in first, "next to the milestone that is late"


def test_someone_who_is_not_a_lead_is_refused_and_it_is_recorded(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    _, card = submit_ready_ask(driver, slack, REQUESTER)
    click(driver, slack, OTHER, card, "review_approve")
    assert "Only a platform lead can approve this ask." in text_of(slack.ephemerals(OTHER)[-1])
    assert slack.current_view(OTHER) is None, "no form was opened"
    assert bot.container is not None
    audit = bot.container.review.audit(ask_id(bot))
    assert [(a.actor, a.action, a.outcome) for a in audit] == [(OTHER, "approve", "denied")]


def test_a_lead_by_user_group_may_decide(driver: SlackDriver, slack: FakeSlack) -> None:
    _, card = submit_ready_ask(driver, slack, REQUESTER)
    click(driver, slack, GROUP_LEAD, card, "review_decline")
    assert slack.current_view(GROUP_LEAD) is not None


def test_request_changes_round_trip(driver: SlackDriver, slack: FakeSlack, bot: BotServer) -> None:
    c, card = submit_ready_ask(driver, slack, REQUESTER)
    click(driver, slack, LEAD, card, "review_request_changes")
    submit_form(driver, slack, LEAD, questions="Which region? And can it wait until 2026-12-18?")
    asked = text_of(c.last)
    assert "has questions about *PLAT-1*" in asked and "Which region?" in asked
    assert "needs info" in text_of(review_card(slack))
    c.say("eu-west-1 is fine, and yes the deadline is 2026-12-18")
    assert "sent your answer back" in text_of(c.last)
    back = text_of(review_card(slack))
    assert "Back from the requester" in back and "Changed since you asked: Deadline" in back
    assert "eu-west-1 is fine" in back
    assert buttons(review_card(slack))[0] == "Approve"
    assert bot.container is not None
    ticket = bot.container.intake.get(ask_id(bot)).ticket
    assert [h.to_status.value for h in ticket.history] == ["submitted", "needs_info", "submitted"]


def test_decline_needs_a_reason_that_the_requester_sees(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c, card = submit_ready_ask(driver, slack, REQUESTER)
    click(driver, slack, LEAD, card, "review_decline")
    refused = driver.view_submission(
        LEAD,
        slack.current_view(LEAD) or {},
        {"reason": {"reason": {"type": "plain_text_input", "value": "  "}}},
    )
    assert refused.json["errors"]["reason"] == "A reason is required."
    submit_form(driver, slack, LEAD, reason="Use the shared billing cluster instead.")
    assert "was declined by <@U0LEE>" in text_of(c.last) and "shared billing cluster" in text_of(
        c.last
    )
    assert buttons(review_card(slack)) == ["Reopen"]


def test_a_second_approve_says_who_approved_and_when(driver: SlackDriver, slack: FakeSlack) -> None:
    _, card = submit_ready_ask(driver, slack, REQUESTER)
    click(driver, slack, LEAD, card, "review_approve")
    submit_form(driver, slack, LEAD, owner=OWNER)
    stale = card  # the card as the other lead still sees it, with its buttons
    block_id = next(b["block_id"] for b in stale["blocks"] if b["type"] == "actions")
    before = len(slack.calls)
    driver.block_action(
        GROUP_LEAD, "review_approve", value="1", message=stale, block_id=block_id, stale=True
    )
    wait_for_bot(slack, before)
    assert "Approved by <@U0LEE> just now." in text_of(slack.ephemerals(GROUP_LEAD)[-1])


def test_owner_moves_the_work_and_a_lead_reopens(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    c, card = submit_ready_ask(driver, slack, REQUESTER)
    click(driver, slack, LEAD, card, "review_approve")
    submit_form(driver, slack, LEAD, owner=OWNER)
    dm = [m for m in slack.messages(slack.dm_channel(OWNER)) if m.get("bot_id")][-1]
    click(driver, slack, OWNER, dm, "ask_start")
    assert "Work on *PLAT-1* has started" in text_of(c.last)
    click(driver, slack, OTHER, review_card(slack), "ask_done")
    assert "Only a platform lead or the owner can mark done this ask." in text_of(
        slack.ephemerals(OTHER)[-1]
    )
    click(driver, slack, OWNER, review_card(slack), "ask_done")
    assert "*PLAT-1* is done" in text_of(c.last)
    click(driver, slack, LEAD, review_card(slack), "ask_reopen")
    assert bot.container is not None
    assert bot.container.intake.get(ask_id(bot)).ticket.status.value == "in_progress"


def test_the_requester_may_cancel_until_accepted(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    c, _ = submit_ready_ask(driver, slack, REQUESTER)
    confirmation = next(m for m in c.bot_messages if "Cancel ask" in buttons(m))
    click(driver, slack, REQUESTER, confirmation, "ask_cancel")
    assert "was cancelled" in text_of(c.last)
    assert buttons(review_card(slack)) == []
    assert bot.container is not None
    assert bot.container.intake.get(ask_id(bot)).ticket.status.value == "cancelled"


def test_show_finds_an_ask_only_for_people_who_may_see_it(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    submit_ready_ask(driver, slack, REQUESTER)
    assert "PostgreSQL database for billing" in driver.slash_command(REQUESTER, "show PLAT-1").body
    assert "PostgreSQL database for billing" in driver.slash_command(LEAD, "show plat-1").body
    for probe in ("show PLAT-1", "show PLAT-99"):
        answer = driver.slash_command(OTHER, probe).json
        assert answer["text"].startswith("No ask PLAT-") and answer["text"].endswith("found.")
    mine = driver.slash_command(REQUESTER, "list").body
    assert "PLAT-1" in mine and "submitted" in mine


def test_the_requester_answers_questions_by_editing_the_ask(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c, card = submit_ready_ask(driver, slack, REQUESTER)
    click(driver, slack, LEAD, card, "review_request_changes")
    submit_form(driver, slack, LEAD, questions="Can it wait until mid December?")
    click(driver, slack, REQUESTER, c.last, "intake_edit")
    form = slack.current_view(REQUESTER)
    assert form is not None and form["callback_id"] == "intake_edit_modal"
    before = len(slack.calls)
    assert driver.submit_view(REQUESTER, form, deadline="2026-12-16").json is None
    wait_for_bot(slack, before)
    back = text_of(review_card(slack))
    assert "submitted" in back and "Changed since you asked: Deadline" in back
    assert "*Deadline*\nWed 16 Dec\n" in back, "a date of this year, without the year"
