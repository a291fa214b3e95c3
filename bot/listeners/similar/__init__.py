"""The similar-ask suggestion's buttons: *Join* an existing ask, or *Not the same*."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.blocks import similar as render
from bot.errors import after_ack
from bot.scope import Scope, scope_of
from intake.conversation import Conversation
from intake.service import NotAllowed


@after_ack
def join(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    choice = json.loads(action["value"])
    user = body["user"]["id"]
    ask_id, key = int(choice["a"]), str(choice["k"])
    service = scope.service
    if not offered(scope, service.get(ask_id), key):
        raise NotAllowed(f"{key} is not one of the open asks like this one.")
    outcome = service.join(ask_id=ask_id, user=user, key=key)
    _settle(client, body)
    scope.replier.deliver(client, outcome, user)


@after_ack
def not_same(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    choice = json.loads(action["value"])
    key = str(choice["k"])
    scope.service.not_same(ask_id=int(choice["a"]), user=body["user"]["id"], key=key)
    message = body.get("message") or {}
    rest = render.without(message, key)
    _replace(client, body, rest if rest is not None else render.dismissed(key))


def offered(scope: Scope, conversation: Conversation, key: str) -> bool:
    """Whether ``key`` is an open ask like this intake, as the bot suggests them. Join is for
    those only: joining makes you a watcher, and a watcher may read the ask."""
    similar = scope.replier.similar_asks
    if similar is None:
        return False
    matches = similar.like(conversation.ticket, exclude=conversation.dismissed, limit=10)
    return any(match.ticket.key == key for match in matches)


def _settle(client: WebClient, body: dict[str, Any]) -> None:
    """The suggestion has been answered: its buttons go."""
    message = body.get("message") or {}
    text = message.get("text", "Similar asks")
    _replace(client, body, render.answered(text))


def _replace(client: WebClient, body: dict[str, Any], message: dict[str, Any]) -> None:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, **message)


# -- registration ------------------------------------------------------------------------

ACTIONS: dict[str | re.Pattern[str], Callable[..., None]] = {
    re.compile(rf"^{render.JOIN_ACTION}:"): join,
    re.compile(rf"^{render.NOT_SAME_ACTION}:"): not_same,
}
