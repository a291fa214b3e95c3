"""Events API: messages (DMs and thread replies), mentions, the Home tab."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.listeners.deps import Deps
from bot.slack_text import normalize_incoming
from bot.slack_text import user as mention
from bot.thinking import thinking
from intake.conversation import Source, Thread

# Message subtypes that are still a person writing (others are edits, joins, bots...).
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def on_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id"):
            return
        user, channel, ts = event.get("user"), event["channel"], event["ts"]
        if not user:
            return
        text = normalize_incoming(event.get("text") or "")
        thread_ts = event.get("thread_ts")
        if thread_ts and thread_ts != ts:
            answer_in_thread(deps, client, context, Thread(channel, thread_ts), user, text, ts)
        elif event.get("channel_type") == "im" and text.strip():
            start_in_thread(deps, client, context, Thread(channel, ts), user, text, Source.DM, ts)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        user, channel, ts = event.get("user"), event["channel"], event["ts"]
        if not user:
            return
        text = strip_mention(normalize_incoming(event.get("text") or ""), context.bot_user_id)
        thread = Thread(channel, event.get("thread_ts") or ts)
        existing = deps.service_in(context).by_thread(context.team_id or "", thread)
        if existing is not None and existing.ticket.requester != user:
            deps.replier.notify(
                client,
                thread,
                user,
                f"This thread is {mention(existing.ticket.requester)}'s intake. "
                "Mention me in a new message to start your own.",
            )
        elif existing is not None:
            answer_in_thread(deps, client, context, thread, user, text, ts)
        elif not text.strip():
            deps.replier.notify(
                client,
                thread,
                user,
                "Tell me what you need, e.g. `@Platform Intake we need a postgres db for billing`.",
            )
        else:
            start_in_thread(deps, client, context, thread, user, text, Source.MENTION, ts)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        deps.homes.publish(client, context.team_id or "", event["user"])


def answer_in_thread(
    deps: Deps,
    client: WebClient,
    context: BoltContext,
    thread: Thread,
    user: str,
    text: str,
    ts: str,
) -> None:
    """A reply in a thread: an answer when the thread is the person's intake, else nothing."""
    with thinking(client, thread):
        outcome = deps.service_in(context).answer(
            team_id=context.team_id or "",
            thread=thread,
            user=user,
            text=text,
            dedupe_key=message_key(thread.channel, ts),
        )
    if outcome is not None:
        deps.replier.deliver(client, outcome, user)


def start_in_thread(
    deps: Deps,
    client: WebClient,
    context: BoltContext,
    thread: Thread,
    user: str,
    text: str,
    source: Source,
    ts: str,
) -> None:
    """An intake whose thread is the person's own message (a DM, or a mention's thread)."""
    tz = deps.people.timezone(client, context.team_id or "", user)
    with thinking(client, thread):
        started = deps.service_in(context).start(
            team_id=context.team_id or "",
            requester=user,
            text=text,
            source=source,
            tz=tz,
            thread=thread,
            dedupe_key=message_key(thread.channel, ts),
        )
    if started is not None:
        deps.replier.deliver(client, started, user)


def message_key(channel: str, ts: str) -> str:
    """One key per message, whichever events deliver it (message and app_mention both do)."""
    return f"msg:{channel}:{ts}"


def strip_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"^\s*<@{re.escape(bot_user_id)}>[\s,:]*", "", text)
    return text.strip()
