"""The similar-ask suggestion's buttons: *Join* an existing ask, or *Not the same*."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.blocks import similar as render
from bot.commands import Handler, later
from bot.errors import after_ack
from bot.scope import Scope
from bot.where import Body, Where
from intake.conversation import Conversation
from intake.service import NotAllowed


@dataclass(frozen=True)
class Answered:
    """An answer to the suggestion of ask ``key`` for intake ``ask_id``, clicked in the
    message at ``channel``/``ts`` (as it was then: ``message``)."""

    where: Where
    ask_id: int
    key: str
    channel: str | None
    ts: str | None
    message: Body

    def replace(self, client: WebClient, message: dict[str, Any]) -> None:
        if self.channel and self.ts:
            client.chat_update(channel=self.channel, ts=self.ts, **message)


@dataclass(frozen=True)
class Join(Answered):
    pass


@dataclass(frozen=True)
class NotSame(Answered):
    pass


def join_now(command: Join, scope: Scope, client: WebClient) -> None:
    service, key, user = scope.service, command.key, command.where.user_id
    if not offered(scope, service.get(command.ask_id), key):
        raise NotAllowed(f"{key} is not one of the open asks like this one.")
    outcome = service.join(ask_id=command.ask_id, user=user, key=key)
    command.replace(client, render.answered(command.message.get("text", "Similar asks")))
    scope.replier.deliver(client, outcome, user)


def not_same_now(command: NotSame, scope: Scope, client: WebClient) -> None:
    key = command.key
    scope.service.not_same(ask_id=command.ask_id, user=command.where.user_id, key=key)
    rest = render.without(command.message, key)
    command.replace(client, rest if rest is not None else render.dismissed(key))


def answered(kind: type[Answered]) -> Callable[..., None]:
    """The listener of a suggestion's button: its answer runs later."""

    @after_ack
    def listener(ack: Ack, body: Body, action: Body, context: BoltContext) -> None:
        choice = json.loads(action["value"])
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        answer = int(choice["a"]), str(choice["k"]), channel, ts, body.get("message") or {}
        later(context, kind(Where.of(body), *answer), ack)

    return listener


def offered(scope: Scope, conversation: Conversation, key: str) -> bool:
    """Whether ``key`` is an open ask like this intake, as the bot suggests them. Join is for
    those only: joining makes you a watcher, and a watcher may read the ask."""
    similar = scope.replier.similar_asks
    if similar is None:
        return False
    matches = similar.like(conversation.ticket, exclude=conversation.dismissed, limit=10)
    return any(match.ticket.key == key for match in matches)


# -- registration ------------------------------------------------------------------------

ACTIONS: dict[str | re.Pattern[str], Callable[..., None]] = {
    re.compile(rf"^{render.JOIN_ACTION}:"): answered(Join),
    re.compile(rf"^{render.NOT_SAME_ACTION}:"): answered(NotSame),
}

LATER: dict[type, Handler] = {Join: join_now, NotSame: not_same_now}
