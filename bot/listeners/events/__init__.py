"""Events API: messages (DMs and thread replies), mentions, the Home tab."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.blocks.home import home
from bot.listeners.deps import Deps
from bot.slack_text import normalize_incoming
from bot.slack_text import user as mention
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
        team_id = context.team_id or ""
        text = normalize_incoming(event.get("text") or "")
        key = message_key(channel, ts)
        thread_ts = event.get("thread_ts")
        if thread_ts and thread_ts != ts:
            outcome = deps.service.answer(
                team_id=team_id,
                thread=Thread(channel, thread_ts),
                user=user,
                text=text,
                dedupe_key=key,
            )
            if outcome is not None:
                deps.replier.deliver(client, outcome, user)
            return
        if event.get("channel_type") == "im" and text.strip():
            tz = deps.people.timezone(client, user)
            started = deps.service.start(
                team_id=team_id,
                requester=user,
                text=text,
                source=Source.DM,
                tz=tz,
                thread=Thread(channel, ts),
                dedupe_key=key,
            )
            if started is not None:
                deps.replier.deliver(client, started, user)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        user, channel, ts = event.get("user"), event["channel"], event["ts"]
        if not user:
            return
        team_id = context.team_id or ""
        text = strip_mention(normalize_incoming(event.get("text") or ""), context.bot_user_id)
        key = message_key(channel, ts)
        thread_ts = event.get("thread_ts")
        if thread_ts:
            existing = deps.service.by_thread(team_id, Thread(channel, thread_ts))
            if existing is not None:
                if existing.ticket.requester != user:
                    deps.replier.notify(
                        client,
                        Thread(channel, thread_ts),
                        user,
                        f"This thread is {mention(existing.ticket.requester)}'s intake. "
                        "Mention me in a new message to start your own.",
                    )
                    return
                outcome = deps.service.answer(
                    team_id=team_id,
                    thread=Thread(channel, thread_ts),
                    user=user,
                    text=text,
                    dedupe_key=key,
                )
                if outcome is not None:
                    deps.replier.deliver(client, outcome, user)
                return
        thread = Thread(channel, thread_ts or ts)
        if not text.strip():
            deps.replier.notify(
                client,
                thread,
                user,
                "Tell me what you need, e.g. `@Platform Intake we need a postgres db for billing`.",
            )
            return
        tz = deps.people.timezone(client, user)
        started = deps.service.start(
            team_id=team_id,
            requester=user,
            text=text,
            source=Source.MENTION,
            tz=tz,
            thread=thread,
            dedupe_key=key,
        )
        if started is not None:
            deps.replier.deliver(client, started, user)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        publish_home(deps, client, context.team_id or "", event["user"])


def publish_home(deps: Deps, client: WebClient, team_id: str, user: str) -> None:
    tickets = deps.service.list(team_id=team_id, requester=user)
    client.views_publish(user_id=user, view=home(tickets))


def message_key(channel: str, ts: str) -> str:
    """One key per message, whichever events deliver it (message and app_mention both do)."""
    return f"msg:{channel}:{ts}"


def strip_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"^\s*<@{re.escape(bot_user_id)}>[\s,:]*", "", text)
    return text.strip()
