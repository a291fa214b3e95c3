"""Follow-through end to end: the owner (or a lead) updates milestones from Slack, the message
clicked is updated in place, the requester hears about it in their thread, and confirms the
work is done."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.blocks.milestones import milestone_blocks
from tests.e2e.conftest import (
    BOT_TOKEN,
    GROUP_LEAD,
    LEAD,
    OTHER,
    OWNER,
    REQUESTER,
    SIGNING_SECRET,
    BotServer,
    MovableClock,
)
from tests.e2e.helpers import (
    buttons,
    review_card,
    submit_ready_ask,
    text_of,
    wait_for_bot,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import DriverResponse, SlackDriver

STATUS_BUTTONS = ["On track", "At risk", "Blocked", "Done", "Change due date"]


class Ask:
    """An approved ask as its people see it: the requester's thread and the owner's DM."""

    def __init__(self, driver: SlackDriver, slack: FakeSlack, bot: BotServer) -> None:
        self.driver, self.slack, self.bot = driver, slack, bot
        self.thread, card = submit_ready_ask(driver, slack, REQUESTER)
        self.click(LEAD, card, "review_approve")
        self.submit(LEAD, owner=OWNER)
        self.id = self.ticket().id or 0

    def ticket(self) -> Any:
        assert self.bot.container is not None
        return self.bot.container.intake.list()[0]

    def audit(self) -> list[tuple[str, str, str]]:
        assert self.bot.container is not None
        return [(a.actor, a.action, a.outcome) for a in self.bot.container.review.audit(self.id)]

    @property
    def dm(self) -> dict[str, Any]:
        """The owner's DM about the ask, as it is now."""
        found = [
            m
            for m in self.slack.messages(self.slack.dm_channel(OWNER))
            if m.get("bot_id") and "You own" in m.get("text", "")
        ]
        assert found, "the owner got no DM"
        return found[-1]

    def click(
        self, user: str, message: dict[str, Any], prefix: str, value: str | None = None
    ) -> DriverResponse:
        before = len(self.slack.calls)
        response = self.driver.click(user, message, prefix, value)
        wait_for_bot(self.slack, before)
        return response

    def status(
        self, user: str, index: int, status: str, message: dict[str, Any] | None = None
    ) -> None:
        self.click(user, message or self.dm, f"milestone_status_{status}", f"{self.id}:{index}")

    def submit(self, user: str, **inputs: Any) -> DriverResponse:
        before = len(self.slack.calls)
        response = self.driver.submit_view(user, self.slack.current_view(user), **inputs)
        if response.json is None:
            wait_for_bot(self.slack, before)
        return response

    def line(self, index: int, message: dict[str, Any] | None = None) -> str:
        """The text of a milestone's line in a message (the owner's DM by default)."""
        for block in (message or self.dm)["blocks"]:
            if block.get("block_id", "").startswith(f"milestone:{self.id}:{index}:"):
                return str(block["text"]["text"])
        raise AssertionError(f"no line for milestone {index}")

    def notes(self) -> str:
        return "\n---\n".join(text_of(m) for m in self.thread.bot_messages)


@pytest.fixture
def ask(driver: SlackDriver, slack: FakeSlack, bot: BotServer) -> Ask:
    return Ask(driver, slack, bot)


def test_the_owner_sees_each_milestone_with_its_buttons(ask: Ask) -> None:
    dm = ask.dm
    plan = ask.ticket().milestones
    assert len(plan) >= 2
    shown = buttons(dm)
    assert shown[:6] == [*STATUS_BUTTONS, "Remove"]
    assert shown.count("On track") == len(plan) and shown[-2:] == ["Start work", "Mark done"]
    assert "not started" in ask.line(0) and plan[0].title in ask.line(0)
    assert any(b.get("accessory", {}).get("action_id") == "milestone_add" for b in dm["blocks"]), (
        "Add milestone heads the plan"
    )


def test_the_first_update_starts_the_work_and_everyone_sees_it(ask: Ask, slack: FakeSlack) -> None:
    ts = ask.dm["ts"]
    ask.status(OWNER, 0, "on_track")
    ticket = ask.ticket()
    assert ticket.status.value == "in_progress" and ticket.milestones[0].status.value == "on_track"
    assert ask.dm["ts"] == ts, "updated in place"
    assert "on track" in ask.line(0) and "Start work" not in buttons(ask.dm)
    assert "in progress" in text_of(ask.dm)
    # The thread's notes follow the in-place update; on a busy machine, after a pause.
    slack.wait_for("chat.postMessage", lambda call: "has started" in str(call.args), timeout=10)
    slack.wait_idle(quiet=0.25)
    notes = ask.notes()
    assert "Work on *PLAT-1* has started (<@U0OWEN>)" in notes
    assert f"*{ticket.milestones[0].title}* is now *on track* (<@U0OWEN>)" in notes
    assert "in progress* · started by <@U0OWEN>" in text_of(review_card(slack))
    assert ask.audit()[-2:] == [(OWNER, "milestone_status", "ok"), (OWNER, "start", "ok")]


def test_blocked_needs_a_reason_given_in_a_small_form(ask: Ask, slack: FakeSlack) -> None:
    ask.status(OWNER, 1, "blocked")
    form = slack.current_view(OWNER)
    assert form is not None and form["callback_id"] == "milestone_reason_modal"
    refused = ask.submit(OWNER, reason="   ")
    assert refused.json["errors"] == {"reason": "Say what it is waiting for."}
    assert ask.submit(OWNER, reason="waiting for <@U0LEE> & the network team").json is None
    milestone = ask.ticket().milestones[1]
    assert (milestone.status.value, milestone.reason) == (
        "blocked",
        "waiting for <@U0LEE> & the network team",
    )
    shown = "waiting for @U0LEE &amp; the network team"  # escaped, and pings nobody
    assert "blocked" in ask.line(1) and shown in ask.line(1)
    assert "is now *blocked*" in ask.notes() and shown in ask.notes()
    assert "<@U0LEE>" not in text_of(ask.thread.last)


def test_at_risk_may_go_without_a_reason(ask: Ask, slack: FakeSlack) -> None:
    ask.status(OWNER, 0, "at_risk")
    assert ask.submit(OWNER).json is None
    assert ask.ticket().milestones[0].status.value == "at_risk"
    assert "at risk" in ask.line(0)


def test_changing_a_due_date_keeps_the_old_one_and_the_reason(ask: Ask, slack: FakeSlack) -> None:
    old = ask.ticket().milestones[0].due
    ask.click(OWNER, ask.dm, "milestone_due", f"{ask.id}:0")
    form = slack.current_view(OWNER)
    assert form is not None and form["callback_id"] == "milestone_due_modal"
    assert ask.submit(OWNER, due="2026-11-01", reason="x").json["errors"] == {
        "due": "That date is in the past; pick today or a later date."
    }
    assert ask.submit(OWNER, due="2027-01-15", reason="  ").json["errors"] == {
        "reason": "Say why the date moves."
    }
    assert ask.submit(OWNER, due="2027-01-15", reason="vendor ships in January").json is None
    milestone = ask.ticket().milestones[0]
    assert str(milestone.due) == "2027-01-15"
    change = milestone.log[-1]
    assert (change.what, change.new, change.reason) == (
        "due",
        "2027-01-15",
        "vendor ships in January",
    )
    assert change.old == (old.isoformat() if old else "")
    assert "Fri 15 Jan 2027" in ask.line(0)
    assert "is now due Fri 15 Jan 2027" in ask.notes() and "vendor ships in January" in ask.notes()
    assert ask.ticket().status.value == "accepted", "a new date alone does not start the work"


def test_only_owners_and_leads_may_update(ask: Ask, slack: FakeSlack) -> None:
    ask.status(OTHER, 0, "done")
    told = text_of(slack.ephemerals(OTHER)[-1])
    assert "Only the milestone's owner, the ask's owner or a platform lead can update it." in told
    assert ask.ticket().milestones[0].status.value == "not_started"
    ask.status(REQUESTER, 1, "blocked")
    assert slack.current_view(REQUESTER) is None, "no form for someone who may not"
    ask.status(GROUP_LEAD, 0, "done")  # a lead through the user group
    assert ask.ticket().milestones[0].status.value == "done"
    assert (OTHER, "milestone_status", "denied") in ask.audit()
    assert (REQUESTER, "milestone_status", "denied") in ask.audit()


def test_a_second_click_says_who_did_it(ask: Ask, slack: FakeSlack) -> None:
    stale = ask.dm
    ask.status(OWNER, 0, "done", stale)
    ask.status(LEAD, 0, "done", stale)
    assert "It is already done: set by <@U0OWEN> just now." in text_of(slack.ephemerals(LEAD)[-1])


def test_adding_and_removing_milestones_from_the_owners_dm(ask: Ask, slack: FakeSlack) -> None:
    before = len(ask.ticket().milestones)
    ask.click(OWNER, ask.dm, "milestone_add")
    form = slack.current_view(OWNER)
    assert form is not None and form["callback_id"] == "milestone_add_modal"
    response = ask.submit(OWNER, title="Load test at 2x peak", due="2026-12-10", owner=LEAD)
    assert response.json is None, response.body
    plan = ask.ticket().milestones
    assert len(plan) == before + 1 and plan[-1].title == "Load test at 2x peak"
    assert plan[-1].owner == LEAD and plan[-1].log[0].what == "added"
    assert "Load test at 2x peak" in ask.line(before) and "owner <@U0LEE>" in ask.line(before)
    assert "has a new milestone: *Load test at 2x peak*, due Thu 10 Dec (" in ask.notes()
    removed = plan[0].title
    ask.click(OWNER, ask.dm, "milestone_remove", f"{ask.id}:0")
    assert [m.title for m in ask.ticket().milestones] == [m.title for m in plan[1:]]
    assert removed not in text_of(ask.dm)
    assert f"the milestone *{removed}* was removed" in ask.notes()
    assert (OWNER, "milestone_remove", "ok") in ask.audit()


def test_a_click_on_an_old_line_never_changes_another_milestone(ask: Ask, slack: FakeSlack) -> None:
    old = ask.dm
    plan = ask.ticket().milestones
    ask.click(OWNER, ask.dm, "milestone_remove", f"{ask.id}:0")
    before = len(slack.calls)
    # A second window still shows the old plan: its click carries the old line's block_id.
    ask.driver.block_action(OWNER, f"milestone_status_done:{ask.id}:1", message=old, stale=True)
    wait_for_bot(slack, before)
    assert all(m.status.value == "not_started" for m in ask.ticket().milestones)
    assert "no longer in the plan" in text_of(slack.ephemerals(OWNER)[-1])
    assert plan[1].title in ask.line(0), "the message shows the plan as it is"


def test_a_line_in_another_message_is_updated_in_place(ask: Ask, slack: FakeSlack) -> None:
    """As the weekly nudge does: lines from milestone_blocks() in a message of its own."""
    ticket = ask.ticket()
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    intro = {"type": "section", "text": {"type": "mrkdwn", "text": "Due soon"}, "block_id": "intro"}
    last = len(ticket.milestones) - 1  # the asap ask's plan is merged to its two days
    blocks = [intro, *milestone_blocks(ticket, 0), *milestone_blocks(ticket, last)]
    posted = client.chat_postMessage(channel=OWNER, text="Your milestones", blocks=blocks)
    nudge = slack.find_message(str(posted["ts"]))
    assert nudge is not None
    ask.status(OWNER, last, "done", nudge)
    nudge = slack.find_message(str(posted["ts"])) or {}
    assert nudge["blocks"][0] == intro and "done" in ask.line(last, nudge)
    assert "not started" in ask.line(0, nudge)
    assert nudge.get("text") == "Your milestones"
    # A form opened from it updates it too.
    ask.status(OWNER, 0, "blocked", nudge)
    assert ask.submit(OWNER, reason="disk quota").json is None
    nudge = slack.find_message(str(posted["ts"])) or {}
    assert "blocked" in ask.line(0, nudge) and "disk quota" in ask.line(0, nudge)
    assert "*Milestones*" not in text_of(nudge), "only the lines change"


def finish(ask: Ask) -> None:
    for index in range(len(ask.ticket().milestones)):
        ask.status(OWNER, index, "done")


def confirmation(ask: Ask) -> dict[str, Any]:
    found = [m for m in ask.thread.bot_messages if "Yes, it's done" in buttons(m)]
    assert found, "the requester was not asked\n" + ask.notes()
    return ask.slack.find_message(found[-1]["ts"]) or found[-1]


def test_every_milestone_done_asks_the_requester_who_confirms(ask: Ask, slack: FakeSlack) -> None:
    finish(ask)
    question = confirmation(ask)
    assert "Every milestone of *PLAT-1* is done. Is the work done for you?" in text_of(question)
    assert "If I hear nothing in 7 days" in text_of(question)
    assert ask.ticket().status.value == "in_progress" and ask.ticket().done_requested_at
    ask.click(OWNER, question, "ask_confirm_done")
    assert "Only the requester can confirm" in text_of(slack.ephemerals(OWNER)[-1])
    ask.click(REQUESTER, question, "ask_confirm_done")
    assert ask.ticket().status.value == "done"
    assert "confirmed that *PLAT-1* is done" in text_of(slack.find_message(question["ts"]) or {})
    assert "done* · marked done by <@U0ALICE>" in text_of(review_card(slack))
    owner_dms = [text_of(m) for m in slack.messages(slack.dm_channel(OWNER)) if m.get("bot_id")]
    assert "<@U0ALICE> confirmed that *PLAT-1* is done. Nice work!" in owner_dms[-1]
    assert ask.ticket().history[-1].note == "confirmed done by the requester"


def test_not_yet_reopens_a_milestone_and_tells_the_owner(ask: Ask, slack: FakeSlack) -> None:
    finish(ask)
    question = confirmation(ask)
    ask.click(REQUESTER, question, "ask_not_done")
    form = slack.current_view(REQUESTER)
    assert form is not None and form["callback_id"] == "ask_not_done_modal"
    assert ask.submit(REQUESTER, reason="backups never ran", milestone="1").json is None
    ticket = ask.ticket()
    assert ticket.status.value == "in_progress" and ticket.done_requested_at is None
    assert ticket.milestones[1].status.value == "on_track"
    assert "is not done yet" in text_of(slack.find_message(question["ts"]) or {})
    owner_dms = [text_of(m) for m in slack.messages(slack.dm_channel(OWNER)) if m.get("bot_id")]
    assert "<@U0ALICE> says *PLAT-1* is not done yet" in owner_dms[-1]
    assert "backups never ran" in owner_dms[-1] and "is back to on track" in owner_dms[-1]
    # Done again: the requester is asked again.
    ask.status(OWNER, 1, "done")
    assert confirmation(ask)["ts"] != question["ts"]


def test_no_answer_for_seven_days_completes_it_on_record(
    ask: Ask, bot: BotServer, clock: MovableClock
) -> None:
    finish(ask)
    assert bot.container is not None
    service = bot.container.milestones
    assert service.auto_complete(clock.now() + timedelta(days=6)) == []
    done = service.auto_complete(clock.now() + timedelta(days=7))
    assert [d.ticket.key for d in done] == ["PLAT-1"]
    ticket = ask.ticket()
    assert ticket.status.value == "done"
    assert ticket.history[-1].note == "completed automatically: no answer in 7 days"


def test_two_replicas_updating_at_once_start_the_work_and_ask_the_requester_once(
    database_url: str, make_bot: Callable[[str], BotServer], slack: FakeSlack
) -> None:
    replicas = [make_bot(database_url), make_bot(database_url)]
    drivers = [SlackDriver(r.events_url, SIGNING_SECRET, slack) for r in replicas]
    ask = Ask(drivers[0], slack, replicas[0])
    count = len(ask.ticket().milestones)

    def at_once(status: str, first: int, second: int) -> None:
        dm, go = ask.dm, threading.Barrier(2)

        def click(driver: SlackDriver, user: str, index: int) -> None:
            go.wait()
            driver.click(user, dm, f"milestone_status_{status}", f"{ask.id}:{index}")

        threads = [
            threading.Thread(target=click, args=(drivers[0], OWNER, first)),
            threading.Thread(target=click, args=(drivers[1], LEAD, second)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        slack.wait_idle(quiet=0.5)

    at_once("on_track", 0, 1)
    ticket = ask.ticket()
    assert [m.status.value for m in ticket.milestones[:2]] == ["on_track", "on_track"]
    assert [h.to_status.value for h in ticket.history].count("in_progress") == 1
    for index in range(2, count):
        ask.status(OWNER, index, "done")
    at_once("done", 0, 1)
    assert all(m.status.value == "done" for m in ask.ticket().milestones)
    questions = [m for m in ask.thread.bot_messages if "Yes, it's done" in buttons(m)]
    assert len(questions) == 1, "the requester is asked once"
