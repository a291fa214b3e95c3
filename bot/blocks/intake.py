"""Messages of the intake thread: what the bot understood, its questions, the draft ticket."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.blocks import kit
from bot.blocks.when import day
from bot.slack_text import safe, user
from intake.corrections import Change, label_of
from intake.readiness import Readiness
from intake.replies import Fact, Question, Understood
from intake.templates.model import AnswerType, RequestTemplate
from intake.ticket import Milestone, Ticket

ANSWER_ACTION = "intake_answer"
ANSWER_USER_ACTION = "intake_answer_user"
SUBMIT_ACTION = "intake_submit"
SUBMIT_ANYWAY_ACTION = "intake_submit_anyway"
EDIT_ACTION = "intake_edit"
CANCEL_ACTION = "intake_cancel"

HINT = "Type *skip* to skip a question, *done* to see the draft now, or *cancel* to stop."


def describe(
    value: Any, kind: AnswerType = AnswerType.TEXT, unit: str = "", today: date | None = None
) -> str:
    """A field's value as plain text (not yet escaped); a date by the one calendar-date rule,
    with the year unless ``today`` (the reader's) says it is this year."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, date):
        return day(value, today)
    if kind is AnswerType.USER and isinstance(value, str):
        return f"@{value}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float):
        value = int(value) if value.is_integer() else value
    return f"{value} {unit}".strip() if kind is AnswerType.NUMBER else str(value)


def show(
    value: Any,
    kind: AnswerType = AnswerType.TEXT,
    unit: str = "",
    limit: int = 500,
    today: date | None = None,
) -> str:
    """A field's value as mrkdwn: escaped, and a person as a mention."""
    if kind is AnswerType.USER and isinstance(value, str) and value:
        return user(value)
    return safe(describe(value, kind, unit, today), limit)


def answer_value(ask_id: int, field: str, value: str) -> str:
    return json.dumps({"a": ask_id, "f": field, "v": value}, separators=(",", ":"))


def opening(text: str, source_note: str = "") -> dict[str, Any]:
    """The root of a DM intake thread: the ask as the requester put it."""
    body = f"*New platform ask*\n>{safe(text, 2500).replace(chr(10), chr(10) + '>')}"
    blocks = [kit.section(body)]
    if source_note:
        blocks.append(kit.context(source_note))
    return kit.message(f"New platform ask: {safe(text, 2500)}", blocks)


def understood(said: Understood, today: date | None = None) -> dict[str, Any]:
    """What the bot took from the opening ask: its own message, so it stays in the thread."""
    lines = [f"• *Request type:* {safe(said.request_type, 100)}"]
    lines += [f"• *{safe(f.label, 80)}:* {_fact(f, today)}" for f in said.facts]
    text = "Thanks! Here is what I understood:\n" + "\n".join(lines)
    return kit.message("Here is what I understood", [kit.section(text)])


def corrected(changes: tuple[Change, ...], today: date | None = None) -> dict[str, Any]:
    """What a correction changed: "Deadline changed: Fri 11 Dec → Fri 18 Dec"."""
    lines = [
        f"*{safe(c.label, 80)}* changed: {show(c.old, c.type, c.unit, 300, today)} → "
        f"{show(c.new, c.type, c.unit, 300, today)}"
        for c in changes
    ]
    text = "\n".join(lines)
    return kit.message(text, [kit.section(f":pencil2: {text}")])


def question(ask_id: int, q: Question) -> dict[str, Any]:
    """One question, with why the last answer was not taken when it was not."""
    blocks: list[kit.Block] = []
    if q.problem:
        blocks.append(kit.section(f":warning: {safe(q.problem, 1000)}"))
    blocks.append(
        kit.section(f"*Question {q.number}:* {safe(q.text, 2000)}", block_id=_qid(ask_id, q))
    )
    spec = q.spec
    if spec.type is AnswerType.CHOICE and spec.options:
        buttons = [
            kit.button(
                opt.value, f"{ANSWER_ACTION}:{i}", answer_value(ask_id, spec.name, opt.value)
            )
            for i, opt in enumerate(spec.options[: kit.ACTIONS_ELEMENTS - 1])
        ]
        if spec.multiple and len(spec.options) > 1:
            buttons.append(
                kit.button(
                    "All of these", f"{ANSWER_ACTION}:all", answer_value(ask_id, spec.name, "all")
                )
            )
        blocks.append(kit.actions(*buttons, block_id=f"intake_choices:{ask_id}:{spec.name}"))
    elif spec.type is AnswerType.USER:
        blocks.append(
            kit.actions(
                {
                    "type": "users_select",
                    "action_id": ANSWER_USER_ACTION,
                    "placeholder": kit.plain("Choose a person", 150),
                },
                block_id=f"intake_user:{ask_id}:{spec.name}",
            )
        )
    hint = "Pick one or type your answer. " if spec.type is AnswerType.CHOICE else ""
    blocks.append(kit.context(hint + HINT))
    fallback = f"Question {q.number}: {safe(q.text, 2000)}"
    return kit.message(fallback, blocks)


def answered(
    q_text: str, number: int, answer: str, *, skipped: bool = False, note: str = ""
) -> dict[str, Any]:
    """A question message once answered: the buttons give way to the answer. A skipped
    question says so, without a check mark; an answer kept as a note ("not sure") says it
    was noted for the platform team."""
    if note and answer == "—":
        outcome = f":question: Noted: {safe(note, 500)}"
    elif skipped:
        outcome = ":heavy_minus_sign: Skipped: you can add it later with *Edit* on the draft."
    else:
        outcome = f":white_check_mark: {safe(answer, 500)}"
    return kit.message(
        f"Question {number}: {safe(q_text, 2000)}",
        [
            kit.section(f"*Question {number}:* {safe(q_text, 2000)}"),
            kit.context(outcome),
        ],
    )


def edit_value(ask_id: int, requester: str) -> str:
    """The Edit button's value: the ask and its requester, so a click by anyone else is
    refused before a form opens (the form opens before the ask is read: see the listener)."""
    return f"{ask_id}:{requester}"


def read_edit_value(value: str) -> tuple[int, str | None]:
    """(ask ID, requester) from an Edit button; buttons posted by an earlier version carry
    the ask ID alone."""
    ask_id, _, requester = value.partition(":")
    return int(ask_id), requester or None


def draft(
    ask_id: int,
    ticket: Ticket,
    template: RequestTemplate,
    check: Readiness,
    today: date | None = None,
) -> dict[str, Any]:
    blocks = ticket_blocks(ticket, template, heading="Draft", today=today)
    blocks.append(kit.divider())
    blocks.append(kit.section(readiness_text(check)))
    value = str(ask_id)
    blocks.append(
        kit.actions(
            kit.button("Submit", SUBMIT_ACTION, value, style="primary"),
            kit.button("Edit", EDIT_ACTION, edit_value(ask_id, ticket.requester)),
            kit.button("Cancel", CANCEL_ACTION, value, style="danger"),
            block_id=f"intake_draft:{ask_id}",
        )
    )
    return kit.message(f"Draft ticket: {safe(ticket.title, 200)}", blocks)


def closed_draft(
    ticket: Ticket, template: RequestTemplate, note: str, today: date | None = None
) -> dict[str, Any]:
    """The draft message after submit or cancel: the ticket, no buttons."""
    heading = ticket.key or "Cancelled"
    blocks = ticket_blocks(ticket, template, heading=heading, today=today)
    blocks.append(kit.context(note))
    return kit.message(f"{heading}: {safe(ticket.title, 200)}", blocks)


def not_ready(ask_id: int, requester: str, check: Readiness) -> dict[str, Any]:
    missing = "\n".join(
        f"• *{safe(item.label, 200)}*" + (f" — {safe(item.hint, 400)}" if item.hint else "")
        for item in check.missing
    )
    value = str(ask_id)
    return kit.message(
        "This ask is not ready for review yet.",
        [
            kit.section(f"This ask is not ready for review yet. Still missing:\n{missing}"),
            kit.context(
                "Add it by replying here or with *Edit*; or submit it as it is and the "
                "platform team will ask."
            ),
            kit.actions(
                kit.button("Edit", EDIT_ACTION, edit_value(ask_id, requester)),
                kit.button("Submit anyway", SUBMIT_ANYWAY_ACTION, value),
                block_id=f"intake_not_ready:{ask_id}",
            ),
        ],
    )


def submitted(ticket: Ticket) -> dict[str, Any]:
    text = (
        f":inbox_tray: Submitted as *{ticket.key}*. The platform team will review it; "
        "I will tell you here when they decide or have questions."
    )
    return kit.message(f"Submitted as {ticket.key}", [kit.section(text)])


def cancelled() -> dict[str, Any]:
    return kit.message(
        "Intake cancelled.",
        [
            kit.section(
                "Cancelled; nothing was sent to the platform team. "
                "Start again any time with `/intake`."
            )
        ],
    )


def thinking_note() -> dict[str, Any]:
    return kit.message("Thinking…", [kit.context(":hourglass_flowing_sand: _Thinking…_")])


def notice(text: str) -> dict[str, Any]:
    """A short note; ``text`` is the bot's own words (may hold mrkdwn)."""
    return kit.message(text, [kit.section(text)])


def draft_changed(labels: tuple[str, ...]) -> dict[str, Any]:
    names = ", ".join(labels)
    return notice(f"Updated the draft above: {safe(names, 500)}.")


def review_notification(ticket: Ticket, template: RequestTemplate) -> dict[str, Any]:
    """The plain note in the review channel (the full review card comes later)."""
    summary = (
        f":new: *{ticket.key}* from {user(ticket.requester)}: *{safe(ticket.title, 200)}*\n"
        f"{safe(template.name, 80)} · {ticket.priority or '—'} · size {ticket.size or '—'} · "
        f"deadline {_deadline(ticket)}"
    )
    blocks = [kit.section(summary), kit.section(f"*Problem*\n{safe(ticket.problem, 1500)}")]
    if ticket.acceptance_criteria:
        blocks.append(
            kit.section("*Acceptance criteria*\n" + _bullets(ticket.acceptance_criteria, 1500))
        )
    return kit.message(f"New platform ask {ticket.key}: {safe(ticket.title, 200)}", blocks)


# -- the ticket itself -----------------------------------------------------------------------


def ticket_blocks(
    ticket: Ticket, template: RequestTemplate, *, heading: str, today: date | None = None
) -> list[kit.Block]:
    """The scoped ticket, every text within Slack's limits and the whole under ~12k chars
    (its dates without the year when they fall in ``today``'s)."""
    blocks: list[kit.Block] = [kit.header(f"{heading}: {ticket.title or template.name}")]
    blocks.append(
        kit.fields(
            [
                f"*Type*\n{safe(template.name, 100)}",
                f"*Priority*\n{ticket.priority or '—'}",
                f"*Size*\n{ticket.size or '—'}",
                f"*Deadline*\n{_deadline(ticket, today)}",
                f"*Environment*\n{show(ticket.environment)}",
                f"*Services*\n{show(ticket.services)}",
            ]
        )
    )
    blocks.append(kit.section(f"*Problem*\n{safe(ticket.problem, 1500)}"))
    for label, text in (("Impact", ticket.impact), ("Desired outcome", ticket.desired_outcome)):
        if text:
            blocks.append(kit.section(f"*{label}*\n{safe(text, 800)}"))
    blocks.append(
        kit.section("*Acceptance criteria*\n" + (_bullets(ticket.acceptance_criteria, 1500) or "—"))
    )
    if ticket.answer_notes:
        blocks.append(
            kit.section(f"*{NOTES_HEADING}*\n" + _bullets(note_lines(ticket, template), 800))
        )
    if ticket.out_of_scope:
        blocks.append(kit.section("*Out of scope*\n" + _bullets(ticket.out_of_scope, 800)))
    if ticket.risks:
        blocks.append(kit.section("*Risks*\n" + _bullets(ticket.risks, 800)))
    extra = [
        f"*{safe(spec.label, 80)}*\n{show(ticket.fields.get(spec.name), spec.type, spec.unit, 300)}"
        for spec in template.fields
        if spec.name in ticket.fields
    ]
    if extra:
        blocks.append(kit.fields(extra))
    if ticket.milestones:
        plan = _milestones(ticket.milestones, ticket.deadline, today)
        if ticket.plan_warning:
            plan = f":warning: {safe(ticket.plan_warning, 400)}\n{plan}"
        blocks.append(kit.section("*Milestones*\n" + plan))
    if ticket.links:
        blocks.append(kit.context("Links: " + safe(" ".join(ticket.links), 1000)))
    return blocks


NOTES_HEADING = "From the requester's answers"


def note_lines(ticket: Ticket, template: RequestTemplate) -> list[str]:
    """ "Deadline: not sure — “whatever you recommend”": what the requester said in place of
    a value, by field, in the template's order (plain text, not yet escaped)."""
    order = [spec.name for spec in template.fields]
    names = sorted(ticket.answer_notes, key=lambda n: order.index(n) if n in order else len(order))
    return [f"{label_of(template, name)}: {ticket.answer_notes[name]}" for name in names]


def readiness_text(check: Readiness) -> str:
    lines = []
    for item in check.items:
        mark = ":white_check_mark:" if item.ok else ":white_large_square:"
        hint = f" — {safe(item.hint, 300)}" if item.hint and not item.ok else ""
        if item.noted:
            mark, hint = ":question:", " — left open: see the requester's answers"
        lines.append(f"{mark} {safe(item.label, 200)}{hint}")
    title = "*Ready for review*" if check.ready else "*Readiness: not ready yet*"
    return title + "\n" + "\n".join(lines)


def _deadline(ticket: Ticket, today: date | None = None) -> str:
    if ticket.deadline:
        return day(ticket.deadline, today)
    return "no deadline" if ticket.no_deadline else "—"


def _bullets(items: list[str], limit: int) -> str:
    return safe("\n".join(f"• {item}" for item in items), limit)


def due_text(milestone: Milestone, deadline: date | None, today: date | None = None) -> str:
    """ " — due Fri 11 Dec", with a warning when that is after the ask's deadline."""
    if milestone.due is None:
        return ""
    text = f" — due {day(milestone.due, today)}"
    if deadline is not None and milestone.due > deadline:
        text += f" :warning: after the deadline ({day(deadline, today)})"
    return text


def _milestones(
    milestones: list[Milestone], deadline: date | None = None, today: date | None = None
) -> str:
    lines = []
    for m in milestones[:8]:
        due = due_text(m, deadline, today)
        done = f"\n    _done when:_ {safe(m.done_criterion, 150)}" if m.done_criterion else ""
        lines.append(f"• {safe(m.title, 120)}{due}{done}")
    if len(milestones) > 8:
        lines.append(f"…and {len(milestones) - 8} more (see *Edit*)")
    return "\n".join(lines)


def _fact(fact: Fact, today: date | None = None) -> str:
    return show(fact.value, fact.type, fact.unit, today=today)


def _qid(ask_id: int, q: Question) -> str:
    return f"intake_q:{ask_id}:{q.spec.name}:{q.number}"
