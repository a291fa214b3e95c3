"""A request refused in the multi-workspace install (bot.busy) still gets its private note:
the app's own client has no token there, so the note goes out on the request's client, the
one with its workspace's bot token."""

from __future__ import annotations

import pytest

from bot.busy import SLOW_DOWN_ACTION
from tests.e2e.helpers import start_dm, text_of
from tests.fakes.slack_requests import SlackDriver
from tests.multiworkspace.conftest import (
    REQUESTER,
    SIGNING_SECRET,
    T1,
    MultiBot,
    MultiWorkspaceSlack,
    bearer,
)


@pytest.fixture
def two_actions_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the multi_bot built after it (settings are read from the environment too)."""
    monkeypatch.setenv("INTAKE_LIMIT_PERSON_ACTIONS", "2")


def test_a_refused_dm_gets_its_note_on_the_workspace_token(
    two_actions_a_minute: None, multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack
) -> None:
    assert multi_bot.install(multi_slack, T1).status == 200
    driver = SlackDriver(multi_bot.events_url, SIGNING_SECRET, multi_slack, team_id=T1.id)
    conversation = start_dm(driver, multi_slack, REQUESTER, "we need a postgres db for billing")
    assert "Question 1" in text_of(conversation.bot_messages[-1])
    for n in range(3):
        assert driver.message_im(REQUESTER, f"more about it {n}")[0].status == 200
    multi_slack.wait_idle()
    notes = [e["text"] for e in multi_slack.ephemerals(REQUESTER)]
    assert notes == [SLOW_DOWN_ACTION], "one note, not one per refused message"
    assert [bearer(c) for c in multi_slack.calls_to("chat.postEphemeral")] == [T1.token]
