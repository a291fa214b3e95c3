"""Events API: messages (DMs and thread replies), mentions, the Home tab.

A message or mention is read into its command (``message_command``, ``mention_command``): in
``serve`` with deferral those readers run in the middleware that queues the event before Slack
hears back (``bot.commands.defer_events``), so the listeners below only run without it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.commands import Command, EventReader, Handler, later
from bot.scope import Scope, scope_of
from bot.slack_text import normalize_incoming
from bot.slack_text import user as mention
from bot.thinking import thinking
from bot.where import Body, Where
from intake.conversation import Source, Thread

# Message subtypes that are still a person writing (others are edits, joins, bots...).
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}


@dataclass(frozen=True)
class Said:
    """A person wrote ``text`` in ``thread`` (their message: ``ts``). ``source``: where an
    intake it starts comes from; "" when it can only answer one."""

    where: Where
    thread: Thread
    text: str
    ts: str
    source: str = ""


def answer(command: Said, scope: Scope, client: WebClient) -> None:
    """A reply in a thread: an answer when the thread is the person's intake, else nothing."""
    user = command.where.user_id
    with thinking(client, command.thread):
        outcome = scope.service.answer(
            team_id=scope.team_id,
            thread=command.thread,
            user=user,
            text=command.text,
            dedupe_key=message_key(command.thread.channel, command.ts),
        )
    if outcome is not None:
        scope.replier.deliver(client, outcome, user)


def start(command: Said, scope: Scope, client: WebClient) -> None:
    """An intake whose thread is the person's own message (a DM, or a mention's thread)."""
    user, thread = command.where.user_id, command.thread
    tz = scope.people.timezone(client, scope.team_id, user)
    with thinking(client, thread):
        started = scope.service.start(
            team_id=scope.team_id,
            requester=user,
            text=command.text,
            source=Source(command.source),
            tz=tz,
            thread=thread,
            dedupe_key=message_key(thread.channel, command.ts),
        )
    if started is not None:
        scope.replier.deliver(client, started, user)


@dataclass(frozen=True)
class Reply(Said):
    """A reply in a thread."""


@dataclass(frozen=True)
class Start(Said):
    """A new ask in a DM."""


@dataclass(frozen=True)
class Mentioned(Said):
    """A mention: an answer in the person's own intake thread, else a new intake."""


def mentioned(command: Mentioned, scope: Scope, client: WebClient) -> None:
    thread, user = command.thread, command.where.user_id
    existing = scope.service.by_thread(scope.team_id, thread)
    if existing is not None and existing.ticket.requester != user:
        owner = mention(existing.ticket.requester)
        note = f"This thread is {owner}'s intake. Mention me in a new message to start your own."
        scope.replier.notify(client, thread, user, note)
    elif existing is not None:
        answer(command, scope, client)
    elif not command.text.strip():
        note = "Tell me what you need, e.g. `@Platform Intake we need a postgres db for billing`."
        scope.replier.notify(client, thread, user, note)
    else:
        start(command, scope, client)


def message_command(event: Body, where: Where, bot_user_id: str | None) -> Command | None:
    """A person's message: a reply in a thread, or a new ask in a DM (None: neither)."""
    if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id") or not where.user_id:
        return None
    channel, ts, thread_ts = event["channel"], event["ts"], event.get("thread_ts")
    raw = event.get("text") or ""
    if bot_user_id and f"<@{bot_user_id}>" in raw and event.get("channel_type") != "im":
        return None  # Slack sends it as an app_mention too: that one answers (mention_command)
    text = normalize_incoming(raw)
    if thread_ts and thread_ts != ts:
        return Reply(where, Thread(channel, thread_ts), text, ts)
    if event.get("channel_type") == "im" and text.strip():
        return Start(where, Thread(channel, ts), text, ts, Source.DM)
    return None


def mention_command(event: Body, where: Where, bot_user_id: str | None) -> Command | None:
    if not where.user_id:
        return None
    text = strip_mention(normalize_incoming(event.get("text") or ""), bot_user_id)
    thread = Thread(event["channel"], event.get("thread_ts") or event["ts"])
    return Mentioned(where, thread, text, event["ts"], Source.MENTION)


def on_event(event: Body, body: Body, context: BoltContext) -> None:
    """A message or mention without deferral: its command runs now."""
    command = EVENT_COMMANDS[event["type"]](event, Where.of(body), context.bot_user_id)
    if command is not None:
        later(context, command, None)  # Bolt acked the event already


def on_home_opened(event: Body, client: WebClient, context: BoltContext) -> None:
    scope = scope_of(context)
    if event.get("tab", "home") != "home":
        return
    scope.homes.publish(client, scope.team_id, event["user"])


def message_key(channel: str, ts: str) -> str:
    """One key per message, whichever events deliver it (message and app_mention both do)."""
    return f"msg:{channel}:{ts}"


def strip_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"^\s*<@{re.escape(bot_user_id)}>[\s,:]*", "", text)
    return text.strip()


# -- registration ------------------------------------------------------------------------

EVENT_COMMANDS: dict[str, EventReader] = {
    "message": message_command,
    "app_mention": mention_command,
}

EVENTS: dict[str | re.Pattern[str], Callable[..., None]] = {
    "message": on_event,
    "app_mention": on_event,
    "app_home_opened": on_home_opened,
}

LATER: dict[type, Handler] = {Reply: answer, Start: start, Mentioned: mentioned}
