"""The weekly nudge's snooze buttons."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.blocks.nudge import SNOOZE_ACTION, snoozed
from bot.commands import Handler, later
from bot.errors import after_ack
from bot.scope import Scope
from bot.where import Body, Where


@dataclass(frozen=True)
class Snooze:
    """Snooze the nudge ``message`` in ``channel`` ("day" or "week")."""

    where: Where
    choice: str
    channel: str
    message: Body


def snooze_now(command: Snooze, scope: Scope, client: WebClient) -> None:
    now = scope.service.clock.now()
    note = scope.followthrough.snooze(scope.team_id, scope.user, command.choice, now)
    message = command.message
    client.chat_update(
        channel=command.channel,
        ts=message["ts"],
        text=message.get("text") or "Your milestones this week",
        blocks=snoozed(message.get("blocks") or [], note),
    )


@after_ack
def snooze(ack: Ack, body: Body, action: Body, context: BoltContext) -> None:
    channel = (body.get("container") or {}).get("channel_id") or body["channel"]["id"]
    message = body.get("message") or {}
    later(context, Snooze(Where.of(body), action["value"], channel, message), ack)


# -- registration ------------------------------------------------------------------------

ACTIONS: dict[str | re.Pattern[str], Callable[..., None]] = {
    re.compile(f"^{SNOOZE_ACTION}:"): snooze,
}

LATER: dict[type, Handler] = {Snooze: snooze_now}
