"""Slash commands."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import after_ack
from bot.listeners.deps import Deps
from bot.listeners.start import start_in_dm
from bot.slack_text import normalize_incoming
from intake.conversation import Source

HELP = (
    "*Platform Intake* turns your ask into a ticket the platform team can act on.\n"
    "• `/intake <what you need>` — e.g. `/intake we need a postgres db for billing by Dec 12`\n"
    "• or send me a DM, or mention me in a channel, or use *Scope this as a platform ask* on "
    "any message.\n"
    "I'll ask a few short questions in a thread, then show you a draft to submit."
)
OPENING = "Got it. I'm opening your intake in a DM with me (Apps → Platform Intake)."


def register(app: App, deps: Deps) -> None:
    @app.command("/intake")
    @after_ack
    def intake_command(
        ack: Ack,
        body: dict[str, Any],
        command: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        text = normalize_incoming(command.get("text") or "").strip()
        if not text or text.lower() in {"help", "?"}:
            ack(response_type="ephemeral", text=HELP)
            return
        ack(response_type="ephemeral", text=OPENING)
        start_in_dm(
            deps,
            client,
            team_id=context.team_id or command.get("team_id", ""),
            user=command["user_id"],
            text=text,
            source=Source.SLASH_COMMAND,
        )
