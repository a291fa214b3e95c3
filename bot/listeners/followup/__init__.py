"""The weekly nudge's snooze buttons."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks.nudge import SNOOZE_ACTION, snoozed
from bot.errors import after_ack
from bot.listeners.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.action(re.compile(f"^{SNOOZE_ACTION}:"))
    @after_ack
    def snooze(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user = body["user"]["id"]
        now = deps.service.clock.now()
        note = deps.followthrough.snooze(context.team_id or "", user, action["value"], now)
        message = body.get("message") or {}
        channel = (body.get("container") or {}).get("channel_id") or body["channel"]["id"]
        client.chat_update(
            channel=channel,
            ts=message["ts"],
            text=message.get("text") or "Your milestones this week",
            blocks=snoozed(message.get("blocks") or [], note),
        )
