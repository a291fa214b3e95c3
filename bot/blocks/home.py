"""The bot's Home tab: start a request, see your asks."""

from __future__ import annotations

from typing import Any

from bot.blocks import kit
from bot.slack_text import day, safe
from intake.ticket import Ticket

NEW_REQUEST_ACTION = "home_new_request"
MAX_ASKS = 40  # two blocks an ask keeps the tab well inside 100 blocks

STATUS_LABEL = {
    "draft": ":pencil2: draft",
    "submitted": ":inbox_tray: submitted",
    "needs_info": ":question: needs info",
    "accepted": ":white_check_mark: accepted",
    "in_progress": ":hammer_and_wrench: in progress",
    "done": ":tada: done",
    "declined": ":no_entry_sign: declined",
    "cancelled": ":wastebasket: cancelled",
}


def home(tickets: list[Ticket]) -> dict[str, Any]:
    blocks: list[kit.Block] = [
        kit.header("Platform Intake"),
        kit.section(
            "Tell the platform team what you need. I will ask only what is missing and turn it "
            "into a scoped ticket they can act on.",
            accessory=kit.button("New request", NEW_REQUEST_ACTION, "new", style="primary"),
        ),
        kit.context("You can also type `/intake` and your ask anywhere, or send me a DM."),
        kit.divider(),
        kit.section("*Your asks*"),
    ]
    if not tickets:
        blocks.append(kit.context("Nothing yet. Your asks and their status will show here."))
    for ticket in tickets[:MAX_ASKS]:
        label = ticket.key or "draft"
        deadline = f" · due {day(ticket.deadline)}" if ticket.deadline else ""
        blocks.append(
            kit.section(
                f"*{safe(label, 20)}* {safe(ticket.title or ticket.problem, 150)}\n"
                f"{STATUS_LABEL.get(ticket.status.value, ticket.status.value)}{deadline}"
            )
        )
    if len(tickets) > MAX_ASKS:
        blocks.append(kit.context(f"…and {len(tickets) - MAX_ASKS} older asks."))
    return {"type": "home", "blocks": blocks[: kit.VIEW_BLOCKS]}
