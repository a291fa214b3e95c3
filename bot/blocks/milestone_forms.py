"""The small forms behind a milestone line's buttons (``bot.blocks.milestones``): why it is at
risk or blocked, a new due date, a new milestone, and the requester's "not done yet"."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import kit
from bot.blocks.milestones import (
    ADD_MODAL,
    DUE_MODAL,
    NOT_DONE_MODAL,
    REASON_MODAL,
    M,
)
from bot.blocks.modals import text_element
from bot.blocks.review_modals import metadata as metadata  # one reader for every form
from bot.blocks.when import day
from bot.slack_text import safe
from intake.milestones import MAX_MILESTONES, REASON_MAX
from intake.ticket import MilestoneStatus, Ticket


def reason_form(
    ticket: Ticket, index: int, status: MilestoneStatus, meta: dict[str, Any]
) -> dict[str, Any]:
    """Why a milestone is at risk (optional) or blocked (required)."""
    milestone = ticket.milestones[index]
    required = status is M.BLOCKED
    ask = (
        "What is it waiting for?" if required else "What puts it at risk? (optional, but it helps)"
    )
    current = milestone.reason if milestone.status is status else ""
    blocks = [
        kit.section(
            f"*{safe(ticket.key or '', 20)}* · {safe(milestone.title, 150)}\n{ask} "
            "The requester and the platform leads will see it."
        ),
        kit.input_block(
            "reason",
            "Reason",
            text_element(current, multiline=True, max_length=REASON_MAX),
            optional=not required,
        ),
    ]
    title = "Blocked" if required else "At risk"
    return _modal(REASON_MODAL, title, "Save", blocks, {**meta, "s": status.value})


def due_form(ticket: Ticket, index: int, meta: dict[str, Any]) -> dict[str, Any]:
    """A new due date and why it moves (the old date is kept with the reason)."""
    milestone = ticket.milestones[index]
    now = f"Now due {day(milestone.due)}." if milestone.due else "It has no due date yet."
    picker: dict[str, Any] = {"type": "datepicker"}
    if milestone.due:
        picker["initial_date"] = milestone.due.isoformat()
    blocks = [
        kit.section(
            f"*{safe(ticket.key or '', 20)}* · {safe(milestone.title, 150)}\n{now} "
            "The old date and your reason are kept, and the requester sees them."
        ),
        kit.input_block("due", "New due date", picker),
        kit.input_block(
            "reason",
            "Why does the date move?",
            text_element("", multiline=True, max_length=REASON_MAX),
        ),
    ]
    return _modal(DUE_MODAL, "Change due date", "Save", blocks, meta)


def add_form(ticket: Ticket, meta: dict[str, Any]) -> dict[str, Any]:
    blocks = [
        kit.section(f"A new milestone for *{safe(ticket.key or '', 20)}*."),
        kit.input_block("title", "Title", text_element("", max_length=150)),
        kit.input_block("due", "Due", {"type": "datepicker"}, optional=True),
        kit.input_block("done", "Done when…", text_element("", max_length=500), optional=True),
        kit.input_block(
            "owner",
            "Owner (default: the ask's owner)",
            {"type": "users_select", "placeholder": kit.plain("Choose a person", 150)},
            optional=True,
        ),
    ]
    return _modal(ADD_MODAL, "Add milestone", "Add", blocks, meta)


def not_done_form(ticket: Ticket, meta: dict[str, Any]) -> dict[str, Any]:
    """The requester's "Not yet": what is missing, and which milestone if they know."""
    blocks = [
        kit.section(
            f"What is still missing on *{safe(ticket.key or '', 20)}*? The owner will see your "
            "answer."
        ),
        kit.input_block(
            "reason", "What is missing", text_element("", multiline=True, max_length=500)
        ),
    ]
    options = [
        kit.option(f"{i + 1}. {m.title}", str(i))
        for i, m in enumerate(ticket.milestones[:MAX_MILESTONES])
    ]
    if options:
        blocks.append(
            kit.input_block(
                "milestone",
                "Which milestone is not done? (optional)",
                {"type": "static_select", "options": options},
                optional=True,
            )
        )
    return _modal(NOT_DONE_MODAL, "Not done yet", "Send", blocks, meta)


def _modal(
    callback: str, title: str, submit: str, blocks: list[kit.Block], meta: dict[str, Any]
) -> dict[str, Any]:
    return kit.modal(callback, title, submit, blocks, json.dumps(meta, separators=(",", ":")))
