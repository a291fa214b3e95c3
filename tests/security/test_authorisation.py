"""Who may do what is decided on the server, from the user ID Slack signed, for every click and
every form, whatever the buttons someone was shown.

The user ID in a payload is whatever Slack put there; the signature is what makes it true. So
these requests are all validly signed: a non-lead clicking a lead's button, a click built by
hand with no message behind it, a lead's form submitted by someone else, a payload dressed up
with the lead's name. Each is refused, the refusal is told privately to who tried, the ask is
exactly as it was (every field, its history) and the attempt is in the audit trail as
"denied". Changing the user ID without the signing secret is a forgery (401, nothing done).
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import text

from intake.export import to_dict
from tests.e2e.conftest import LEAD, OTHER, OWNER, REQUESTER, REVIEW_CHANNEL, BotServer
from tests.e2e.helpers import (
    ASK,
    Conversation,
    answer_database_questions,
    buttons,
    review_card,
    start_dm,
    text_of,
    wait_for_bot,
)
from tests.fakes.slack_api import FakeSlack
from tests.security.checks import FORM, CapturingDriver, Effects, submitted_ask

LEAD_ONLY = "Only a platform lead can"
REQUESTER_ONLY = "Only the person who opened this intake can"
DECISIONS = {
    "review_approve": "approve",
    "review_request_changes": "request_changes",
    "review_decline": "decline",
    "review_assign": "assign",
}


class Ask:
    """The submitted ask PLAT-1 (by REQUESTER) as it is stored, and its audit trail."""

    def __init__(self, bot: BotServer) -> None:
        assert bot.container is not None
        self.container = bot.container
        self.id = self.container.intake.list()[0].id or 0

    def state(self) -> dict[str, Any]:
        conversation = self.container.intake.get(self.id)
        return {"ticket": to_dict(conversation.ticket), "phase": str(conversation.phase)}

    def audit(self) -> list[tuple[str, str, str]]:
        return [(a.actor, a.action, a.outcome) for a in self.container.review.audit(self.id)]

    def said_by(self, user: str) -> list[str]:
        """What the transcript holds from ``user``."""
        with self.container.db_engine.connect() as connection:
            rows = connection.execute(
                text("SELECT text FROM transcript WHERE ask_id = :a AND author = :u"),
                {"a": self.id, "u": user},
            )
            return [str(row[0]) for row in rows]


def act(d: CapturingDriver, slack: FakeSlack, send: Any) -> Any:
    """Send a request and wait until the bot has answered it."""
    calls = len(slack.calls)
    response = send()
    wait_for_bot(slack, calls)
    return response


def approve(d: CapturingDriver, slack: FakeSlack, card: dict[str, Any]) -> None:
    """A lead approves the ask with OWNER as its owner."""
    act(d, slack, lambda: d.click(LEAD, card, "review_approve"))
    act(d, slack, lambda: d.submit_view(LEAD, slack.current_view(LEAD), owner=OWNER))


def told(slack: FakeSlack, user: str) -> str:
    notes = slack.ephemerals(user)
    assert notes, f"{user} was told nothing"
    return text_of(notes[-1])


def opened_forms(slack: FakeSlack, since: int) -> list[Any]:
    return [c for c in slack.calls[since:] if c.method in ("views.open", "views.push")]


# -- the review card's decisions ------------------------------------------------------------


@pytest.fixture
def accepted(capturing: CapturingDriver, slack: FakeSlack, bot: BotServer) -> Ask:
    """The requester's ask, submitted and approved by a lead with OWNER as its owner."""
    _, card = submitted_ask(capturing, slack, REQUESTER)
    approve(capturing, slack, card)
    return Ask(bot)


@pytest.fixture
def answered(capturing: CapturingDriver, slack: FakeSlack) -> Conversation:
    """The requester's database intake in a DM, every question answered: its draft is shown."""
    c = start_dm(capturing, slack, REQUESTER, ASK)
    answer_database_questions(c)
    return c


def test_only_a_lead_may_open_a_decision_on_the_review_card(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    """Approve, Request changes, Decline, Assign: not for someone else, not for the owner,
    and not for the requester on their own ask."""
    _, card = submitted_ask(capturing, slack, REQUESTER)
    ask = Ask(bot)
    before, calls = ask.state(), len(slack.calls)

    for action_id, action in DECISIONS.items():
        for who in (OTHER, OWNER, REQUESTER):
            act(capturing, slack, lambda w=who, a=action_id: capturing.click(w, card, a))
            assert told(slack, who).startswith(LEAD_ONLY)
            assert ask.audit()[-1] == (who, action, "denied")

    assert opened_forms(slack, calls) == [], "no form was opened"
    assert ask.state() == before


def test_a_click_built_by_hand_is_checked_like_a_real_one(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    """No card, no message: just an action ID and the ask's ID, signed."""
    submitted_ask(capturing, slack, REQUESTER)
    ask = Ask(bot)
    before, calls = ask.state(), len(slack.calls)

    for action_id, action in DECISIONS.items():
        act(
            capturing,
            slack,
            lambda a=action_id: capturing.block_action(
                OTHER, a, value=str(ask.id), channel="C0REQUESTS"
            ),
        )
        assert told(slack, OTHER).startswith(LEAD_ONLY)
        assert ask.audit()[-1] == (OTHER, action, "denied")

    assert opened_forms(slack, calls) == []
    assert ask.state() == before


def test_the_acting_user_is_the_signed_user_id_not_a_name_or_the_message(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    """A payload for OTHER that names the lead everywhere else (user name, the message's
    author, a "user" in the action) is still OTHER's click."""
    _, card = submitted_ask(capturing, slack, REQUESTER)
    ask = Ask(bot)
    before, calls = ask.state(), len(slack.calls)
    act(capturing, slack, lambda: capturing.click(OTHER, card, "review_approve"))  # a real one
    payload = json.loads(_payload_of(capturing.sent[-1].body))
    payload["user"].update({"username": "lee", "name": "lee", "real_name": "Lee"})
    payload["message"]["user"] = LEAD
    payload["actions"][0]["user"] = LEAD
    payload["trigger_id"] = slack.issue_trigger_id(OTHER)
    calls = len(slack.calls)

    act(capturing, slack, lambda: capturing.send_payload(payload))

    assert opened_forms(slack, calls) == []
    assert ask.state() == before
    assert ask.audit()[-2:] == [(OTHER, "approve", "denied")] * 2


def test_changing_the_user_id_needs_the_signing_secret(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    """OTHER's signed click, with the user ID swapped for the lead's: a forgery (401)."""
    _, card = submitted_ask(capturing, slack, REQUESTER)
    ask = Ask(bot)
    act(capturing, slack, lambda: capturing.click(OTHER, card, "review_approve"))
    clicked = capturing.sent[-1]
    before, state = Effects.now(bot, slack), ask.state()
    forged = clicked.body.replace(OTHER.encode(), LEAD.encode())
    assert forged != clicked.body

    response = capturing.send_raw(forged, FORM, clicked.headers, sign=False)

    assert response.status == 401
    before.assert_none()
    assert ask.state() == state


FORMS = {
    "review_approve": {"owner": OTHER},
    "review_request_changes": {"questions": "Why?"},
    "review_decline": {"reason": "Not needed."},
    "review_assign": {"owner": OTHER},
}


def test_a_lead_s_form_submitted_by_someone_else_is_denied(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    """Each form is checked again on submit: holding the view (or a copy of it) is not
    permission."""
    _, card = submitted_ask(capturing, slack, REQUESTER)
    ask = Ask(bot)
    before = ask.state()
    for action_id, inputs in FORMS.items():
        act(capturing, slack, lambda a=action_id: capturing.click(LEAD, card, a))
        form = slack.current_view(LEAD)
        assert form is not None

        response = capturing.submit_view(OTHER, copy.deepcopy(form), **inputs)

        assert isinstance(response.json, dict) and response.json["response_action"] == "errors"
        assert LEAD_ONLY in json.dumps(response.json["errors"])
        slack.wait_idle(quiet=0.3)
        assert ask.state() == before
        assert ask.audit()[-1] == (OTHER, DECISIONS[action_id], "denied")
        capturing.view_closed(LEAD, form)


def test_only_a_lead_or_the_owner_moves_accepted_work_and_only_a_lead_reopens(
    capturing: CapturingDriver, slack: FakeSlack, accepted: Ask
) -> None:
    for action_id, verb in (("ask_start", "start"), ("ask_done", "complete")):
        for who in (OTHER, REQUESTER):
            before = accepted.state()
            act(
                capturing,
                slack,
                lambda a=action_id, w=who: capturing.block_action(
                    w, a, value=str(accepted.id), channel=REVIEW_CHANNEL
                ),
            )
            assert "Only a platform lead or the owner" in told(slack, who)
            assert accepted.state() == before
            assert accepted.audit()[-1] == (who, verb, "denied")
    act(capturing, slack, lambda: capturing.click(OWNER, review_card(slack), "ask_done"))
    before = accepted.state()
    for who in (OTHER, REQUESTER, OWNER):
        act(capturing, slack, lambda w=who: capturing.click(w, review_card(slack), "ask_reopen"))
        assert told(slack, who).startswith(LEAD_ONLY)
        assert accepted.state() == before
        assert accepted.audit()[-1] == (who, "reopen", "denied")


def test_only_owners_and_leads_update_milestones(
    capturing: CapturingDriver, slack: FakeSlack, accepted: Ask
) -> None:
    dm = [m for m in slack.messages(slack.dm_channel(OWNER)) if m.get("bot_id")][-1]
    before = accepted.state()
    for status in ("done", "on_track", "at_risk"):
        act(
            capturing,
            slack,
            lambda s=status: capturing.click(
                OTHER, dm, f"milestone_status_{s}", f"{accepted.id}:0"
            ),
        )
        assert accepted.state() == before
        assert (OTHER, "milestone_status", "denied") in accepted.audit()
    assert slack.current_view(OTHER) is None, "no reason form for someone who may not"


# -- the requester's intake ------------------------------------------------------------------


def test_only_the_requester_answers_their_intake(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    c = start_dm(capturing, slack, REQUESTER, ASK)
    ask = Ask(bot)
    before = ask.state()
    question = c.last
    choice = next(e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"])

    act(capturing, slack, lambda: capturing.click(OTHER, question, choice["action_id"]))
    assert told(slack, OTHER).startswith(REQUESTER_ONLY)
    # A reply in the intake's thread by someone else is not an answer (and gets no reply).
    calls = len(slack.calls)
    capturing.message_im(OTHER, "staging", channel=c.channel, thread_ts=c.thread_ts)
    slack.wait_idle()  # the listener runs after the ack
    assert slack.calls[calls:] == []

    assert ask.state() == before
    assert ask.said_by(OTHER) == []


def test_only_the_requester_submits_edits_or_cancels_their_draft(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer, answered: Conversation
) -> None:
    draft = answered.draft()
    ask = Ask(bot)
    before, calls = ask.state(), len(slack.calls)
    draft_buttons = {
        e["text"]["text"]: e["action_id"]
        for b in draft["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert {"Submit", "Edit", "Cancel"} <= set(draft_buttons)

    for button in ("Submit", "Edit", "Cancel"):
        act(capturing, slack, lambda b=button: capturing.click(OTHER, draft, draft_buttons[b]))
        assert told(slack, OTHER).startswith(REQUESTER_ONLY), button

    assert opened_forms(slack, calls) == []
    assert ask.state() == before
    assert ask.said_by(OTHER) == []


def test_the_requesters_edit_form_submitted_by_someone_else_changes_nothing(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer, answered: Conversation
) -> None:
    act(capturing, slack, lambda: capturing.click(REQUESTER, answered.draft(), "intake_edit"))
    form = slack.current_view(REQUESTER)
    assert form is not None and form["callback_id"] == "intake_edit_modal"
    ask = Ask(bot)
    before = ask.state()

    act(
        capturing,
        slack,
        lambda: capturing.submit_view(OTHER, copy.deepcopy(form), title="Bob's database now"),
    )

    assert told(slack, OTHER).startswith(REQUESTER_ONLY)
    assert ask.state() == before
    assert ask.said_by(OTHER) == []


def test_only_the_requester_withdraws_a_submitted_ask(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    c, _ = submitted_ask(capturing, slack, REQUESTER)
    ask = Ask(bot)
    before = ask.state()
    confirmation = next(m for m in c.bot_messages if "Cancel ask" in buttons(m))
    for who in (OTHER, LEAD):
        act(capturing, slack, lambda w=who: capturing.click(w, confirmation, "ask_cancel"))
        assert "Only the requester can cancel this ask." in told(slack, who)
        assert ask.state() == before
        assert ask.audit()[-1] == (who, "cancel", "denied")


def test_someone_else_cannot_join_or_dismiss_on_the_requesters_behalf(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    submitted_ask(capturing, slack, REQUESTER)
    second = start_dm(capturing, slack, REQUESTER, "can we get a postgres database for billing?")
    offer = next(m for m in second.bot_messages if "join it instead?" in text_of(m))
    assert bot.container is not None
    mine = next(t for t in bot.container.intake.list() if t.key is None)
    before = to_dict(bot.container.intake.get(mine.id or 0).ticket)
    for prefix in ("similar_join", "similar_not_same"):
        act(capturing, slack, lambda p=prefix: capturing.click(OTHER, offer, p))
        assert told(slack, OTHER).startswith(REQUESTER_ONLY)
    assert to_dict(bot.container.intake.get(mine.id or 0).ticket) == before
    plat_1 = bot.container.intake.find("PLAT-1")
    assert plat_1 is not None and plat_1.ticket.watchers == []


def test_joining_is_only_for_an_ask_the_bot_offered(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    """Joining makes you a watcher, and watchers may read the ask (/intake show). A Join
    click crafted for an ask nobody offered must not be a way to read other people's asks."""
    submitted_ask(capturing, slack, REQUESTER)
    mine = start_dm(capturing, slack, OTHER, "our CI runners are slow, builds take 40 minutes")
    assert not any("join it instead?" in text_of(m) for m in mine.bot_messages)
    assert bot.container is not None
    own = next(t for t in bot.container.intake.list() if t.requester == OTHER)
    value = json.dumps({"a": own.id, "k": "PLAT-1"}, separators=(",", ":"))

    act(
        capturing,
        slack,
        lambda: capturing.block_action(
            OTHER, "similar_join:PLAT-1", value=value, channel=mine.channel
        ),
    )

    plat_1 = bot.container.intake.find("PLAT-1")
    assert plat_1 is not None and OTHER not in plat_1.ticket.watchers
    shown = capturing.slash_command(OTHER, "show PLAT-1")
    assert shown.json["text"] == "No ask PLAT-1 found."


def _payload_of(body: bytes) -> str:
    return parse_qs(body.decode())["payload"][0]
