"""`serve` and `intake-bot worker` start the follow-through and the queue's runner with
start_background: in the multi-workspace install they work with each workspace's token."""

from __future__ import annotations

from bot.background import start_background
from bot.oauth import InstalledWorkspaces
from bot.sender import MessageSender
from storage import slack_outbox
from tests.multiworkspace.conftest import T1, MultiBot, MultiWorkspaceSlack, bearer
from tests.storage.slack_messages import enqueue


def test_start_background_sends_with_each_workspaces_token(
    multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack
) -> None:
    multi_bot.install(multi_slack, T1)
    container = multi_bot.container
    enqueue(
        container.db_engine,
        f"progress:{T1.id}:1:2026-W48",
        team_id=T1.id,
        channel="C0REVIEW",
        payload={"text": "queued"},
        at=container.clock.now(),
    )
    background = start_background(container, multi_bot.app.client, schedule=False)
    try:
        assert isinstance(background.follow.clients, InstalledWorkspaces)
        sender = background.runner.kinds[slack_outbox.KIND].handler
        assert isinstance(sender, MessageSender)
        assert sender.clients is background.follow.clients
        (posted,) = multi_slack.wait_for("chat.postMessage", timeout=10)
        assert posted.args["text"] == "queued" and bearer(posted) == T1.token
    finally:
        background.stop()
