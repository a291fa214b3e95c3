"""The owner's weekly nudge: their milestones that are overdue or due within two weeks, grouped
by ask, each with its status buttons, and a snooze."""

from __future__ import annotations

from typing import Any

from bot.blocks import kit
from bot.blocks.milestones import milestone_blocks
from bot.slack_text import safe, user
from intake.followup import Nudge

SNOOZE_ACTION = "nudge_snooze"
SNOOZE_DAY = "day"
SNOOZE_WEEK = "week"
MAX_ITEMS = 20  # two blocks each keeps the message inside 50 blocks


def nudge_message(nudge: Nudge) -> dict[str, Any]:
    overdue = sum(item.overdue for item in nudge.items)
    count = len(nudge.items)
    intro = f":wave: Your milestones this week: *{count}* due in the next two weeks" + (
        f", *{overdue} overdue*" if overdue else ""
    )
    blocks: list[kit.Block] = [
        kit.section(intro + ". Tell me where each stands; the requester sees it in their thread.")
    ]
    shown = nudge.items[:MAX_ITEMS]
    current = None
    for item in shown:
        if item.ticket.id != current:
            current = item.ticket.id
            ticket = item.ticket
            key, title = safe(ticket.key or "", 20), safe(ticket.title, 150)
            blocks.append(kit.context(f"*{key}* {title} · for {user(ticket.requester)}"))
        blocks += milestone_blocks(item.ticket, item.index, today=nudge.today, compact=True)
    if len(nudge.items) > len(shown):
        blocks.append(kit.context(f"…and {len(nudge.items) - len(shown)} more on your Home tab."))
    blocks.append(
        kit.actions(
            kit.button("Remind me tomorrow", f"{SNOOZE_ACTION}:{SNOOZE_DAY}", SNOOZE_DAY),
            kit.button("Snooze until next week", f"{SNOOZE_ACTION}:{SNOOZE_WEEK}", SNOOZE_WEEK),
            block_id="nudge_snooze",
        )
    )
    return kit.message(f"Your milestones this week: {count} due soon", blocks[: kit.MESSAGE_BLOCKS])


def snoozed(message_blocks: list[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """The nudge after a snooze click: the same lines, the snooze buttons replaced by a note."""
    kept = [b for b in message_blocks if b.get("block_id") != "nudge_snooze"]
    return [*kept, kit.context(note)]
