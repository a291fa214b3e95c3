"""Slash commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.blocks import review
from bot.commands import later
from bot.errors import after_ack
from bot.listeners.start import StartInDm, cmd_key
from bot.scope import Scope, scope_of
from bot.slack_text import normalize_incoming, safe
from bot.where import Body, Where
from intake import readiness
from intake.conversation import Source

HELP = (
    "*Platform Intake* turns your ask into a ticket the platform team can act on.\n"
    "• `/intake <what you need>` — e.g. `/intake we need a postgres db for billing by Dec 12`\n"
    "• `/intake list` — your asks and their status; `/intake show PLAT-12` — one ask\n"
    "• or send me a DM, or mention me in a channel, or use *Scope this as a platform ask* on "
    "any message.\n"
    "I'll ask a few short questions in a thread, then show you a draft to submit."
)
OPENING = "Got it. I'm opening your intake in a DM with me (Apps → Platform Intake)."


@after_ack
def intake_command(ack: Ack, body: Body, command: Body, context: BoltContext) -> None:
    scope = scope_of(context)
    text = normalize_incoming(command.get("text") or "").strip()
    words = text.split()
    if not text or text.lower() in {"help", "?"}:
        ack(response_type="ephemeral", text=HELP)
        return
    if words[0].lower() == "list" and len(words) == 1:
        tickets = scope.service.list(team_id=scope.team_id, requester=command["user_id"])
        ack(response_type="ephemeral", **review.ask_list(tickets))
        return
    if words[0].lower() == "show" and len(words) == 2:
        found = show(scope, words[1])
        ack(response_type="ephemeral", **found)
        return
    opening = StartInDm(Where.of(body), text, Source.SLASH_COMMAND, dedupe_key=cmd_key(body))
    later(context, opening, ack, response_type="ephemeral", text=OPENING)


def show(scope: Scope, key: str) -> dict[str, Any]:
    """One ask of the workspace, to its requester, its owners and the leads; "not found" to
    anyone else, exactly as for an ID that does not exist, so IDs cannot be probed (keys repeat
    per workspace: another workspace's PLAT-1 is not this one's)."""
    conversation = scope.review.find_visible(
        key, team_id=scope.team_id, user=scope.user, is_lead=scope.is_lead
    )
    if conversation is None:
        return {"text": f"No ask {safe(key, 20)} found."}
    ticket = conversation.ticket
    template = scope.templates.get(ticket.category)
    return review.ask_detail(ticket, template, readiness.check(ticket, template))


# -- registration ------------------------------------------------------------------------

COMMANDS: dict[str | re.Pattern[str], Callable[..., None]] = {
    "/intake": intake_command,
}
