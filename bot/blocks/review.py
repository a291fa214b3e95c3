"""The review card in the review channel, and the messages that follow a lead's decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from bot.blocks import kit, milestones, similar
from bot.blocks.intake import (
    EDIT_ACTION,
    NOTES_HEADING,
    due_text,
    edit_value,
    note_lines,
    readiness_text,
    show,
    ticket_blocks,
)
from bot.blocks.tracker import tracked
from bot.blocks.when import day, shared
from bot.slack_text import safe, user
from intake.conversation import Conversation
from intake.lifecycle import RULE_DONE, Action, last_change
from intake.readiness import Readiness
from intake.review import changes_since_seen, waiting_since
from intake.similarity import Match
from intake.templates.model import RequestTemplate
from intake.ticket import HistoryEntry, Status, Ticket

APPROVE = "review_approve"
REQUEST_CHANGES = "review_request_changes"
DECLINE = "review_decline"
ASSIGN = "review_assign"
START = "ask_start"
COMPLETE = "ask_done"
REOPEN = "ask_reopen"
CANCEL_ASK = "ask_cancel"

STATUS_EMOJI = {
    Status.DRAFT: ":pencil2:",
    Status.SUBMITTED: ":inbox_tray:",
    Status.NEEDS_INFO: ":question:",
    Status.ACCEPTED: ":white_check_mark:",
    Status.IN_PROGRESS: ":hammer_and_wrench:",
    Status.DONE: ":tada:",
    Status.DECLINED: ":no_entry_sign:",
    Status.CANCELLED: ":wastebasket:",
}


def status_line(ticket: Ticket) -> str:
    """*Status:* accepted · approved by @lee · today at 10:00 (each reader's zone and today;
    in a DM too, where that is the one reader's)."""
    label = f"{STATUS_EMOJI[ticket.status]} *{ticket.status.value.replace('_', ' ')}*"
    last = last_change(ticket)
    if last is None:
        return f"*Status:* {label}"
    return (
        f"*Status:* {label} · {RULE_DONE[ticket.status]} by {user(last.actor)} · {shared(last.at)}"
    )


def card(
    conversation: Conversation,
    template: RequestTemplate,
    check: Readiness,
    now: datetime,
    similar_asks: Sequence[Match] = (),
) -> dict[str, Any]:
    """The review card: every moment on it in each reader's own zone (Slack's date token),
    so "Submitted" and the status line agree; calendar dates as dates."""
    ticket = conversation.ticket
    since = waiting_since(ticket)
    today = now.astimezone(UTC).date()
    blocks: list[kit.Block] = [
        kit.header(f"{ticket.key or 'Draft'}: {ticket.title or template.name}"),
        kit.section(status_line(ticket)),
        *tracked(ticket),
        kit.fields(
            [
                f"*Requester*\n{user(ticket.requester)}",
                f"*Owner*\n{user(ticket.owner) if ticket.owner else '—'}",
                f"*Type*\n{safe(template.name, 100)}",
                f"*Priority · Size*\n{ticket.priority or '—'} · {ticket.size or '—'}",
                f"*Deadline*\n{_deadline(ticket, today)}",
                f"*Waiting since*\n{shared(since) if since else '—'}"
                if ticket.status in _IN_REVIEW
                else f"*Submitted*\n{_submitted(ticket)}",
                f"*Environment*\n{show(ticket.environment)}",
                f"*Services*\n{show(ticket.services)}",
            ]
        ),
        kit.section(f"*Problem*\n{safe(ticket.problem, 700)}"),
    ]
    if ticket.acceptance_criteria:
        bullets = "\n".join(f"• {c}" for c in ticket.acceptance_criteria)
        blocks.append(kit.section(f"*Acceptance criteria*\n{safe(bullets, 900)}"))
    if ticket.answer_notes:
        notes = "\n".join(f"• {line}" for line in note_lines(ticket, template))
        blocks.append(kit.section(f"*{NOTES_HEADING}*\n{safe(notes, 600)}"))
    if ticket.plan_warning and ticket.status in _IN_REVIEW:
        blocks.append(kit.section(f":warning: *Milestone plan:* {safe(ticket.plan_warning, 400)}"))
    changed = changes_since_seen(conversation)
    answer = _last_answer(ticket)
    if ticket.status is Status.SUBMITTED and (changed or answer):
        text = ":arrows_counterclockwise: *Back from the requester*"
        if changed:
            text += f"\nChanged since you asked: {safe(', '.join(changed), 300)}"
        if answer:
            text += f"\n>{safe(answer, 800)}"
        blocks.append(kit.section(text))
    if ticket.risks:
        bullets = "\n".join(f"• {r}" for r in ticket.risks)
        blocks.append(kit.section(f"*Risks*\n{safe(bullets, 600)}"))
    blocks.append(kit.context(_readiness_summary(check)))
    if ticket.rationale and ticket.status in _IN_REVIEW:
        blocks.append(kit.context(f":bulb: Suggested: {safe(ticket.rationale, 300)}"))
    if ticket.watchers:
        blocks.append(
            kit.context("Also wanted by " + ", ".join(user(w) for w in ticket.watchers[:20]))
        )
    similar_line = similar.card_line(similar_asks)
    if similar_line is not None and ticket.status in _IN_REVIEW:
        blocks.append(similar_line)
    buttons = _buttons(ticket)
    if buttons:
        blocks.append(kit.actions(*buttons, block_id=f"review:{ticket.id}"))
    return kit.message(f"{ticket.key}: {safe(ticket.title, 200)} ({ticket.status.value})", blocks)


def owner_message(
    ticket: Ticket, template: RequestTemplate, today: date | None = None
) -> dict[str, Any]:
    """The DM to the owner: the ticket, its milestones with their buttons (updated in place
    as they change) and the buttons to move it along."""
    greeting = kit.section(
        f":wave: You own *{safe(ticket.key or '', 20)}*, requested by {user(ticket.requester)}."
    )
    # The plan is shown once, with its buttons, instead of the ticket's milestone summary.
    about = ticket_blocks(
        replace(ticket, milestones=[]), template, heading=ticket.key or "Ask", today=today
    )
    plan = milestones.milestone_plan(ticket, today=today) if ticket.milestones else []
    status = kit.context(status_line(ticket))
    link = tracked(ticket)
    shown = [greeting, *about, *plan, status, *link]
    if milestones.text_size(shown) > milestones.MESSAGE_TEXT_BUDGET:
        plan = milestones.milestone_plan(ticket, today=today, compact=True)
        about = about[:3]  # heading, facts, problem
    blocks = [greeting, *about, status, *link, *plan]
    buttons = _buttons(ticket, for_owner=True)
    if buttons:
        blocks.append(kit.actions(*buttons, block_id=f"owner:{ticket.id}"))
    return kit.message(
        f"You own {ticket.key}: {safe(ticket.title, 200)}", blocks[: kit.MESSAGE_BLOCKS]
    )


def requester_update(ticket: Ticket, entry: HistoryEntry, action: Action) -> dict[str, Any]:
    """What the requester reads in their intake thread after a change."""
    key = safe(ticket.key or "Your ask", 20)
    who = user(entry.actor)
    note = f"\n>{safe(entry.note, 1500)}" if entry.note else ""
    blocks: list[kit.Block]
    if action is Action.APPROVE:
        plan = "\n".join(
            f"• {safe(m.title, 120)}{due_text(m, ticket.deadline, entry.at.date())}"
            for m in ticket.milestones[:10]
        )
        text = (
            f":white_check_mark: *{key}* was approved by {who}. Owner: {user(ticket.owner or '')}."
        )
        blocks = [kit.section(text + (f"\n*Plan*\n{plan}" if plan else ""))]
    elif action is Action.REQUEST_CHANGES:
        text = f":question: The platform team ({who}) has questions about *{key}*:{note}"
        blocks = [kit.section(text)]
        if ticket.status is Status.NEEDS_INFO:  # re-rendered once answered (bot.refresh)
            blocks += [
                kit.context("Reply in this thread with your answers, or use *Edit ask*."),
                kit.actions(
                    kit.button(
                        "Edit ask", EDIT_ACTION, edit_value(ticket.id or 0, ticket.requester)
                    ),
                    block_id=f"needs_info:{ticket.id}",
                ),
            ]
        else:
            blocks.append(kit.context(status_line(ticket)))
    elif action is Action.DECLINE:
        blocks = [kit.section(f":no_entry_sign: *{key}* was declined by {who}.{note}")]
    elif action is Action.ASSIGN:
        blocks = [kit.section(f":bust_in_silhouette: {user(ticket.owner or '')} now owns *{key}*.")]
    elif action is Action.START:
        blocks = [kit.section(f":hammer_and_wrench: Work on *{key}* has started ({who}).")]
    elif action is Action.COMPLETE:
        blocks = [kit.section(f":tada: *{key}* is done ({who}).")]
    elif action is Action.REOPEN:
        blocks = [kit.section(f":leftwards_arrow_with_hook: *{key}* was reopened by {who}.{note}")]
    else:
        blocks = [kit.section(f":wastebasket: *{key}* was cancelled.")]
    return kit.message(f"{ticket.key}: {ticket.status.value.replace('_', ' ')}", blocks)


def submitted_with_cancel(ticket: Ticket) -> dict[str, Any]:
    """The requester's confirmation after submit, with a way to withdraw the ask while it
    waits for review; once decided, its status instead of the button (re-rendered on every
    change, bot.refresh)."""
    text = f":inbox_tray: Submitted as *{ticket.key}*."
    if ticket.status in _IN_REVIEW:
        text += (
            " The platform team will review it; I will tell you here when they decide or have "
            "questions."
        )
    blocks = [kit.section(text)]
    if ticket.status in _IN_REVIEW:
        blocks.append(
            kit.actions(
                kit.button("Cancel ask", CANCEL_ASK, str(ticket.id), style="danger"),
                block_id=f"submitted:{ticket.id}",
            )
        )
    else:
        blocks += [kit.context(status_line(ticket)), *tracked(ticket)]
    return kit.message(f"Submitted as {ticket.key}", blocks)


def ask_detail(ticket: Ticket, template: RequestTemplate, check: Readiness) -> dict[str, Any]:
    """`/intake show PLAT-12`: the ticket, its status and readiness (private)."""
    blocks = [
        *ticket_blocks(ticket, template, heading=ticket.key or "Ask"),
        kit.context(status_line(ticket)),
        *tracked(ticket),
    ]
    if ticket.status in (Status.DRAFT, Status.SUBMITTED, Status.NEEDS_INFO):
        blocks.append(kit.section(readiness_text(check)))
    return kit.message(f"{ticket.key}: {safe(ticket.title, 200)}", blocks[: kit.MESSAGE_BLOCKS])


def ask_list(tickets: list[Ticket]) -> dict[str, Any]:
    """`/intake list`: the person's own asks, newest first."""
    if not tickets:
        return kit.message(
            "You have no asks yet.",
            [kit.section("You have no asks yet. Start one with `/intake` and what you need.")],
        )
    lines = [_list_line(t) for t in tickets[:25]]
    more = f"\n…and {len(tickets) - 25} older asks" if len(tickets) > 25 else ""
    return kit.message("Your asks", [kit.section("*Your asks*\n" + "\n".join(lines) + more)])


def _list_line(ticket: Ticket) -> str:
    label = safe(ticket.key or "draft", 20)
    status = ticket.status.value.replace("_", " ")
    title = safe(ticket.title or ticket.problem, 80)
    return f"{STATUS_EMOJI[ticket.status]} *{label}* {title} — {status}"


_IN_REVIEW = (Status.SUBMITTED, Status.NEEDS_INFO)


def _buttons(ticket: Ticket, *, for_owner: bool = False) -> list[dict[str, Any]]:
    value = str(ticket.id)
    status = ticket.status
    if status in _IN_REVIEW and not for_owner:
        return [
            kit.button("Approve", APPROVE, value, style="primary"),
            kit.button("Request changes", REQUEST_CHANGES, value),
            kit.button("Decline", DECLINE, value, style="danger"),
            kit.button("Assign", ASSIGN, value),
        ]
    buttons = []
    if status is Status.ACCEPTED:
        buttons.append(kit.button("Start work", START, value, style="primary"))
    if status in (Status.ACCEPTED, Status.IN_PROGRESS):
        buttons.append(kit.button("Mark done", COMPLETE, value))
        if not for_owner:
            buttons.append(kit.button("Assign", ASSIGN, value))
    if status in (Status.DECLINED, Status.DONE) and not for_owner:
        buttons.append(kit.button("Reopen", REOPEN, value))
    return buttons


def _readiness_summary(check: Readiness) -> str:
    if check.ready:
        return ":white_check_mark: Meets the definition of ready"
    missing = ", ".join(item.label for item in check.missing)
    return f":warning: Not ready: missing {safe(missing, 400)}"


def _last_answer(ticket: Ticket) -> str:
    last = ticket.history[-1] if ticket.history else None
    if last and last.from_status is Status.NEEDS_INFO and last.to_status is Status.SUBMITTED:
        return last.note
    return ""


def _deadline(ticket: Ticket, today: date | None = None) -> str:
    if ticket.deadline:
        return day(ticket.deadline, today)
    return "no deadline" if ticket.no_deadline else "—"


def _submitted(ticket: Ticket) -> str:
    return shared(ticket.submitted_at) if ticket.submitted_at else "—"
