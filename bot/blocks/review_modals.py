"""The lead's forms: approve (owner, priority, size, milestone plan), request changes, decline,
assign. Inputs are identified by block_id; see bot.forms for reading them back."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.blocks import kit
from bot.blocks.modals import text_element
from bot.slack_text import safe
from intake.ticket import Milestone, Priority, Size, Ticket

APPROVE_MODAL = "review_approve_modal"
REQUEST_CHANGES_MODAL = "review_request_changes_modal"
DECLINE_MODAL = "review_decline_modal"
ASSIGN_MODAL = "review_assign_modal"
ADD_MILESTONE = "review_milestone_add"
REMOVE_MILESTONE = "review_milestone_remove"
MAX_MILESTONES = 12  # six blocks each keeps the form inside Slack's 100 blocks


def approve(ticket: Ticket, rows: list[tuple[str, Milestone]] | None = None) -> dict[str, Any]:
    """``rows`` are (row id, milestone) pairs; by default the ticket's plan, one row each."""
    if rows is None:
        rows = [(f"m{i}", m) for i, m in enumerate(ticket.milestones[:MAX_MILESTONES])]
    blocks: list[kit.Block] = [
        kit.input_block("owner", "Owner", _users(ticket.owner)),
        kit.input_block(
            "priority", "Priority", _select([p.value for p in Priority], ticket.priority)
        ),
        kit.input_block("size", "Size", _select([s.value for s in Size], ticket.size)),
        kit.divider(),
        kit.section("*Milestone plan*  (each: title, due date, done when…, owner)"),
    ]
    if ticket.plan_warning:
        blocks.append(kit.context(f":warning: {safe(ticket.plan_warning, 400)}"))
    for number, (row, milestone) in enumerate(rows, start=1):
        blocks += milestone_row(row, number, milestone)
    if len(rows) < MAX_MILESTONES:
        blocks.append(
            kit.actions(kit.button("Add milestone", ADD_MILESTONE, "add"), block_id="milestone_add")
        )
    return kit.modal(
        APPROVE_MODAL,
        "Approve",
        "Approve",
        blocks,
        _meta({"ask": ticket.id, "rows": [row for row, _ in rows]}),
    )


def milestone_row(row: str, number: int, milestone: Milestone) -> list[kit.Block]:
    due: dict[str, Any] = {"type": "datepicker"}
    if milestone.due:
        due["initial_date"] = milestone.due.isoformat()
    return [
        kit.section(
            f"*Milestone {number}*",
            accessory=kit.button("Remove", f"{REMOVE_MILESTONE}:{row}", row),
            block_id=f"ms_head:{row}",
        ),
        kit.input_block(f"ms_title:{row}", "Title", text_element(milestone.title, max_length=150)),
        kit.input_block(f"ms_due:{row}", "Due", due, optional=True),
        kit.input_block(
            f"ms_done:{row}",
            "Done when…",
            text_element(milestone.done_criterion, max_length=500),
            optional=True,
        ),
        kit.input_block(
            f"ms_owner:{row}",
            "Owner (default: the ask's owner)",
            _users(milestone.owner),
            optional=True,
        ),
    ]


def request_changes(ticket: Ticket) -> dict[str, Any]:
    blocks = [
        kit.section(
            f"What does the platform team need to know about *{ticket.key}*? "
            "I'll post it in the requester's thread."
        ),
        kit.input_block(
            "questions", "Questions for the requester", text_element("", multiline=True)
        ),
    ]
    return kit.modal(
        REQUEST_CHANGES_MODAL, "Request changes", "Send", blocks, _meta({"ask": ticket.id})
    )


def decline(ticket: Ticket) -> dict[str, Any]:
    blocks = [
        kit.section(f"Declining *{ticket.key}*. The requester will see your reason."),
        kit.input_block("reason", "Reason", text_element("", multiline=True)),
    ]
    return kit.modal(DECLINE_MODAL, "Decline", "Decline", blocks, _meta({"ask": ticket.id}))


def assign(ticket: Ticket) -> dict[str, Any]:
    blocks = [kit.input_block("owner", "Owner", _users(ticket.owner))]
    return kit.modal(ASSIGN_MODAL, "Assign", "Assign", blocks, _meta({"ask": ticket.id}))


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(view.get("private_metadata") or "{}")
    return data


def milestones_from_view(view: dict[str, Any], rows: list[str]) -> list[tuple[str, Milestone]]:
    """The plan as it stands in the open form: what was typed (the view's state) and, for
    inputs nobody touched, what they were filled with."""
    values = (view.get("state") or {}).get("values", {})
    initial = {b.get("block_id"): b.get("element") or {} for b in view.get("blocks", [])}

    def value(block: str) -> Any:
        if block in values:
            element: dict[str, Any] = next(iter(values[block].values()), {})
            return (
                element.get("value") or element.get("selected_date") or element.get("selected_user")
            )
        start = initial.get(block, {})
        return start.get("initial_value") or start.get("initial_date") or start.get("initial_user")

    plan = []
    for row in rows:
        due = value(f"ms_due:{row}")
        plan.append(
            (
                row,
                Milestone(
                    title=value(f"ms_title:{row}") or "",
                    due=date.fromisoformat(due) if due else None,
                    done_criterion=value(f"ms_done:{row}") or "",
                    owner=value(f"ms_owner:{row}"),
                ),
            )
        )
    return plan


def _users(initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "users_select",
        "placeholder": kit.plain("Choose a person", 150),
    }
    if initial:
        element["initial_user"] = initial
    return element


def _select(values: list[str], current: Any) -> dict[str, Any]:
    options = [kit.option(v, v) for v in values]
    element: dict[str, Any] = {"type": "static_select", "options": options}
    chosen = [o for o in options if current is not None and o["value"] == str(current)]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def _meta(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))
