"""The message shortcut "Scope this as a platform ask"."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import Handler, later
from bot.errors import after_ack, tell
from bot.listeners.start import StartInDm, cmd_key, start_in_dm
from bot.scope import Scope
from bot.slack_text import normalize_incoming
from bot.slack_text import user as mention
from bot.where import Body, Where
from intake.conversation import Source

log = logging.getLogger(__name__)

CALLBACK_ID = "intake_from_message"
NO_TEXT = "That message has no text I can scope. Try `/intake` and describe what you need."


@dataclass(frozen=True)
class FromMessage:
    """Scope a message (and its thread, when it has one) as an ask."""

    where: Where
    channel: str
    message: Body  # the message as the shortcut showed it: text, ts, thread, author
    dedupe_key: str = ""  # the shortcut's (``cmd_key``): the intake is started once


def from_message_now(command: FromMessage, scope: Scope, client: WebClient) -> None:
    message, channel = command.message, command.channel
    text = normalize_incoming(message.get("text") or "").strip()
    if not text:
        tell(client, command.where, NO_TEXT)
        return
    text = thread_ask(scope, client, channel, message) or text
    note = source_note(client, channel, message)
    opening = StartInDm(command.where, text, Source.SHORTCUT, note, command.dedupe_key)
    start_in_dm(opening, scope, client)


@after_ack
def from_message(ack: Ack, body: Body, shortcut: Body, context: BoltContext) -> None:
    channel = (shortcut.get("channel") or {}).get("id", "")
    message = shortcut.get("message") or {}
    later(context, FromMessage(Where.of(body), channel, message, cmd_key(body)), ack)


THREAD_LIMIT = 50  # messages of a thread read for its summary


def thread_ask(scope: Scope, client: WebClient, channel: str, message: dict[str, Any]) -> str:
    """When the message is part of a thread, an opening ask summarised from the whole thread
    (by the assistant); "" when it stands alone or the thread cannot be read."""
    root = message.get("thread_ts")
    if not root and not message.get("reply_count"):
        return ""
    try:
        replies = client.conversations_replies(
            channel=channel, ts=root or message["ts"], limit=THREAD_LIMIT
        )
    except SlackApiError as exc:  # e.g. not_in_channel: the message alone will do
        log.info("cannot read the thread for a summary: %s", exc.response.get("error"))
        return ""
    texts = [
        normalize_incoming(m.get("text") or "")
        for m in replies.get("messages") or []
        if not m.get("bot_id")
    ]
    if len(texts) < 2:
        return ""
    return normalize_incoming(scope.service.summarise(texts)).strip()


def source_note(client: WebClient, channel: str, message: dict[str, Any]) -> str:
    author = message.get("user")
    note = f"From a message by {mention(author)}" if author else "From a message"
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=message["ts"])["permalink"]
    except (SlackApiError, KeyError):
        return note
    return f"{note} (<{link}|original>)"


# -- registration ------------------------------------------------------------------------

SHORTCUTS: dict[str | re.Pattern[str], Callable[..., None]] = {
    CALLBACK_ID: from_message,
}

LATER: dict[type, Handler] = {FromMessage: from_message_now}
