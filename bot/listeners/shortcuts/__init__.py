"""The message shortcut "Scope this as a platform ask"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import after_ack, tell
from bot.listeners.deps import Deps
from bot.listeners.start import start_in_dm
from bot.slack_text import normalize_incoming
from bot.slack_text import user as mention
from intake.conversation import Source

CALLBACK_ID = "intake_from_message"


def register(app: App, deps: Deps) -> None:
    @app.shortcut(CALLBACK_ID)
    @after_ack
    def from_message(
        ack: Ack,
        body: dict[str, Any],
        shortcut: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        message = shortcut.get("message") or {}
        text = normalize_incoming(message.get("text") or "").strip()
        if not text:
            tell(
                client,
                shortcut,
                "That message has no text I can scope. Try `/intake` and describe what you need.",
            )
            return
        channel = (shortcut.get("channel") or {}).get("id", "")
        start_in_dm(
            deps,
            client,
            team_id=context.team_id or "",
            user=shortcut["user"]["id"],
            text=text,
            source=Source.SHORTCUT,
            source_note=source_note(client, channel, message),
        )


def source_note(client: WebClient, channel: str, message: dict[str, Any]) -> str:
    author = message.get("user")
    note = f"From a message by {mention(author)}" if author else "From a message"
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=message["ts"])["permalink"]
    except (SlackApiError, KeyError):
        return note
    return f"{note} (<{link}|original>)"
