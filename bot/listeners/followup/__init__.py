"""The weekly nudge's snooze buttons."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.blocks.nudge import SNOOZE_ACTION, snoozed
from bot.errors import after_ack
from bot.scope import scope_of


@after_ack
def snooze(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    user = body["user"]["id"]
    now = scope.service.clock.now()
    note = scope.followthrough.snooze(scope.team_id, user, action["value"], now)
    message = body.get("message") or {}
    channel = (body.get("container") or {}).get("channel_id") or body["channel"]["id"]
    client.chat_update(
        channel=channel,
        ts=message["ts"],
        text=message.get("text") or "Your milestones this week",
        blocks=snoozed(message.get("blocks") or [], note),
    )


# -- registration ------------------------------------------------------------------------

ACTIONS: dict[str | re.Pattern[str], Callable[..., None]] = {
    re.compile(f"^{SNOOZE_ACTION}:"): snooze,
}
