"""Events API: messages (DMs and thread replies), mentions, the Home tab."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.scope import Scope, scope_of
from bot.slack_text import normalize_incoming
from bot.slack_text import user as mention
from bot.thinking import thinking
from intake.conversation import Source, Thread

# Message subtypes that are still a person writing (others are edits, joins, bots...).
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}


def on_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    scope = scope_of(context)
    if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id"):
        return
    user, channel, ts = event.get("user"), event["channel"], event["ts"]
    if not user:
        return
    text = normalize_incoming(event.get("text") or "")
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != ts:
        answer_in_thread(scope, client, Thread(channel, thread_ts), user, text, ts)
    elif event.get("channel_type") == "im" and text.strip():
        start_in_thread(scope, client, Thread(channel, ts), user, text, Source.DM, ts)


def on_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    scope = scope_of(context)
    user, channel, ts = event.get("user"), event["channel"], event["ts"]
    if not user:
        return
    text = strip_mention(normalize_incoming(event.get("text") or ""), context.bot_user_id)
    thread = Thread(channel, event.get("thread_ts") or ts)
    existing = scope.service.by_thread(scope.team_id, thread)
    if existing is not None and existing.ticket.requester != user:
        scope.replier.notify(
            client,
            thread,
            user,
            f"This thread is {mention(existing.ticket.requester)}'s intake. "
            "Mention me in a new message to start your own.",
        )
    elif existing is not None:
        answer_in_thread(scope, client, thread, user, text, ts)
    elif not text.strip():
        scope.replier.notify(
            client,
            thread,
            user,
            "Tell me what you need, e.g. `@Platform Intake we need a postgres db for billing`.",
        )
    else:
        start_in_thread(scope, client, thread, user, text, Source.MENTION, ts)


def on_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    scope = scope_of(context)
    if event.get("tab", "home") != "home":
        return
    scope.homes.publish(client, scope.team_id, event["user"])


def answer_in_thread(
    scope: Scope,
    client: WebClient,
    thread: Thread,
    user: str,
    text: str,
    ts: str,
) -> None:
    """A reply in a thread: an answer when the thread is the person's intake, else nothing."""
    with thinking(client, thread):
        outcome = scope.service.answer(
            team_id=scope.team_id,
            thread=thread,
            user=user,
            text=text,
            dedupe_key=message_key(thread.channel, ts),
        )
    if outcome is not None:
        scope.replier.deliver(client, outcome, user)


def start_in_thread(
    scope: Scope,
    client: WebClient,
    thread: Thread,
    user: str,
    text: str,
    source: Source,
    ts: str,
) -> None:
    """An intake whose thread is the person's own message (a DM, or a mention's thread)."""
    tz = scope.people.timezone(client, scope.team_id, user)
    with thinking(client, thread):
        started = scope.service.start(
            team_id=scope.team_id,
            requester=user,
            text=text,
            source=source,
            tz=tz,
            thread=thread,
            dedupe_key=message_key(thread.channel, ts),
        )
    if started is not None:
        scope.replier.deliver(client, started, user)


def message_key(channel: str, ts: str) -> str:
    """One key per message, whichever events deliver it (message and app_mention both do)."""
    return f"msg:{channel}:{ts}"


def strip_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"^\s*<@{re.escape(bot_user_id)}>[\s,:]*", "", text)
    return text.strip()


# -- registration ------------------------------------------------------------------------

EVENTS: dict[str | re.Pattern[str], Callable[..., None]] = {
    "message": on_message,
    "app_mention": on_mention,
    "app_home_opened": on_home_opened,
}
