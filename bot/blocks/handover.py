"""What a former owner's DM about an ask shows once someone else owns it: who does now, and
no buttons (they are no longer theirs to press)."""

from __future__ import annotations

from typing import Any

from bot.blocks import kit
from bot.blocks.review import status_line
from bot.slack_text import safe, user
from intake.ticket import Ticket


def former_owner(ticket: Ticket) -> dict[str, Any]:
    key = safe(ticket.key or "the ask", 20)
    title = safe(ticket.title, 200)
    now = f"{user(ticket.owner)} owns it now" if ticket.owner else "it has no owner now"
    text = f":arrows_counterclockwise: *{key}* {title}: {now}. Nothing more for you to do here."
    return kit.message(
        f"{ticket.key} has another owner", [kit.section(text), kit.context(status_line(ticket))]
    )
