"""An ask belongs to its workspace: requests from another workspace cannot list it, show it,
act on it, answer it or see it on the Home tab.

Every ask is stamped with the team ID of the request that opened it, in single-workspace mode
too. The requests below come from workspace T0002, validly signed (the same app installed in
a second workspace, or another workspace of the same Enterprise Grid, where user IDs are shared).
They are sent by the very people who may see and act on PLAT-1 in T0001: its requester, a lead,
its owner. So a refusal here can only come from the workspace, not from the person's role.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from intake.export import to_dict
from tests.e2e.conftest import LEAD, OTHER, OWNER, REQUESTER, REVIEW_CHANNEL, BotServer
from tests.e2e.helpers import (
    ASK,
    answer_database_questions,
    approve,
    click_and_wait,
    review_card,
    start_dm,
    text_of,
    wait_for_bot,
)
from tests.fakes.slack_api import FakeSlack
from tests.security.checks import CapturingDriver, submitted_ask
from tests.security.conftest import OTHER_TEAM

TITLE = "PostgreSQL database for billing"


def state(bot: BotServer) -> dict[int | None, Any]:
    assert bot.container is not None
    tickets = bot.container.intake.list()
    return {t.id: to_dict(t) for t in tickets}


def audited(bot: BotServer, ask_id: int) -> list[tuple[str, str, str]]:
    assert bot.container is not None
    return [(a.actor, a.action, a.outcome) for a in bot.container.review.audit(ask_id)]


def submit_elsewhere(
    d: CapturingDriver, slack: FakeSlack, user: str, view: dict[str, Any], **inputs: Any
) -> Any:
    """Submit ``view`` (opened at home) with ``inputs`` as a client of workspace T0002 would:
    the payload's team, user and view all say T0002 (Bolt takes the workspace from
    ``view.app_installed_team_id`` first)."""
    sent = copy.deepcopy(view)
    sent["team_id"] = sent["app_installed_team_id"] = OTHER_TEAM
    sent["state"] = {"values": d.state_values(view, inputs)}
    return d.send_payload(
        {
            "type": "view_submission",
            "team": {"id": OTHER_TEAM, "domain": "elsewhere"},
            "user": {"id": user, "username": slack.user_name(user), "team_id": OTHER_TEAM},
            "api_app_id": d.api_app_id,
            "token": d.verification_token,
            "trigger_id": slack.issue_trigger_id(user),
            "view": sent,
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
    )


def quietly(slack: FakeSlack, send: Any) -> Any:
    calls = len(slack.calls)
    response = send()
    slack.wait_idle(timeout=10)  # a listener runs after the ack: wait for it
    return response, slack.calls[calls:]


@pytest.fixture
def card(capturing: CapturingDriver, slack: FakeSlack) -> dict[str, Any]:
    """The review card of PLAT-1, the requester's ask submitted at home (T0001)."""
    _, card = submitted_ask(capturing, slack, REQUESTER)
    return card


def test_another_workspace_cannot_list_or_show_an_ask(
    capturing: CapturingDriver,
    other_workspace: CapturingDriver,
    slack: FakeSlack,
) -> None:
    submitted_ask(capturing, slack, REQUESTER)
    assert "PLAT-1" in capturing.slash_command(REQUESTER, "list").body  # at home it is there

    for who in (REQUESTER, LEAD):
        listed = other_workspace.slash_command(who, "list")
        shown = other_workspace.slash_command(who, "show PLAT-1")

        assert "PLAT-1" not in listed.body and TITLE not in listed.body
        assert TITLE not in shown.body
        assert shown.json["text"] == "No ask PLAT-1 found."


def test_another_workspace_sees_none_of_its_asks_on_the_home_tab(
    capturing: CapturingDriver,
    other_workspace: CapturingDriver,
    slack: FakeSlack,
) -> None:
    submitted_ask(capturing, slack, REQUESTER)
    for who in (REQUESTER, LEAD):
        calls = len(slack.calls)
        other_workspace.app_home_opened(who)
        wait_for_bot(slack, calls)
        published = [c for c in slack.calls[calls:] if c.method == "views.publish"]
        assert published, f"no Home tab for {who}"
        shown = text_of(published[-1].args["view"])
        assert "PLAT-1" not in shown and TITLE not in shown, shown
        assert "1 waiting" not in shown


def test_a_lead_in_another_workspace_cannot_decide_on_an_ask(
    other_workspace: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
    card: dict[str, Any],
) -> None:
    before = state(bot)
    opened: dict[str, list[str]] = {}

    for action_id in (
        "review_approve",
        "review_request_changes",
        "review_decline",
        "review_assign",
    ):
        _, calls = quietly(slack, lambda a=action_id: other_workspace.click(LEAD, card, a))
        opened[action_id] = [c.method for c in calls if c.method in ("views.open", "views.push")]

    assert all(forms == [] for forms in opened.values()), f"forms opened: {opened}"
    assert state(bot) == before
    assert audited(bot, 1) == [], "nothing was attempted on this workspace's ask"


def test_a_lead_s_form_sent_from_another_workspace_decides_nothing(
    capturing: CapturingDriver,
    other_workspace: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
    card: dict[str, Any],
) -> None:
    """The approve form opened at home, submitted from T0002."""
    click_and_wait(capturing, slack, LEAD, card, "review_approve")
    form = slack.current_view(LEAD)
    assert form is not None
    before = state(bot)

    quietly(slack, lambda: submit_elsewhere(other_workspace, slack, LEAD, form, owner=OWNER))

    assert state(bot) == before
    assert "approved" not in text_of(review_card(slack))


def test_work_cannot_be_moved_from_another_workspace(
    capturing: CapturingDriver,
    other_workspace: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
    card: dict[str, Any],
) -> None:
    approve(capturing, slack, card)
    before = state(bot)

    for who, action_id in ((OWNER, "ask_start"), (LEAD, "ask_done"), (OWNER, "ask_done")):
        quietly(
            slack,
            lambda w=who, a=action_id: other_workspace.block_action(
                w, a, value="1", channel=REVIEW_CHANNEL
            ),
        )
    dm = [m for m in slack.messages(slack.dm_channel(OWNER)) if m.get("bot_id")][-1]
    quietly(slack, lambda: other_workspace.click(OWNER, dm, "milestone_status_done", "1:0"))

    assert state(bot) == before


def test_a_requester_cannot_reach_their_intake_from_another_workspace(
    capturing: CapturingDriver,
    other_workspace: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
) -> None:
    """Their T0001 intake does not answer, submit, cancel or edit from T0002."""
    c = start_dm(capturing, slack, REQUESTER, ASK)
    question = c.last
    before = state(bot)

    # A reply in the thread, and a click on the question's first button.
    quietly(
        slack,
        lambda: other_workspace.message_im(
            REQUESTER, "staging", channel=c.channel, thread_ts=c.thread_ts
        ),
    )
    choice = next(e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"])
    quietly(slack, lambda: other_workspace.click(REQUESTER, question, choice["action_id"]))
    assert state(bot) == before

    answer_database_questions(c)
    draft = c.draft()
    before = state(bot)
    for prefix in ("intake_cancel", "intake_submit"):
        quietly(slack, lambda p=prefix: other_workspace.click(REQUESTER, draft, p))
    assert state(bot) == before

    calls = len(slack.calls)
    capturing.click(REQUESTER, draft, "intake_edit")
    wait_for_bot(slack, calls)
    form = slack.current_view(REQUESTER)
    assert form is not None
    quietly(
        slack,
        lambda: submit_elsewhere(
            other_workspace, slack, REQUESTER, form, title="Changed from elsewhere"
        ),
    )
    assert state(bot) == before


def test_asks_of_another_workspace_are_not_suggested_as_similar(
    capturing: CapturingDriver,
    other_workspace: CapturingDriver,
    slack: FakeSlack,
) -> None:
    submitted_ask(capturing, slack, REQUESTER)
    elsewhere = start_dm(
        other_workspace, slack, OTHER, "can we get a postgres database for billing?"
    )
    shown = "\n".join(text_of(m) for m in elsewhere.bot_messages)
    assert "PLAT-1" not in shown and "join it instead?" not in shown
