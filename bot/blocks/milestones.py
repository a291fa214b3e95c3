"""Milestones in Slack: one line per milestone with its status buttons (reused by any message
that shows milestones, such as the owner's DM and the weekly nudge), the notes in the
requester's thread, and the requester's "is it done?" question. The forms behind the buttons
are in ``bot.blocks.milestone_forms``.

Every milestone line is two blocks whose block_ids carry the ask, the milestone's position and
its fingerprint (``milestone:{ask}:{index}:{tag}``), so a click knows exactly which milestone
it meant and any message holding such lines can be re-rendered in place (``refresh``). Status
buttons have action_ids beginning with ``milestone_status_<status>`` (made unique per message
with ``:{ask}:{index}``) and the value ``"{ask}:{index}"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.blocks import kit
from bot.blocks.when import day
from bot.slack_text import safe, user
from intake.lifecycle import STATUS_WORDS as LIFECYCLE_WORDS
from intake.milestones import (
    EDITABLE,
    KEEPS_REASON,
    MAX_MILESTONES,
    REASON_MAX,
    STATUS_WORDS,
    fingerprint,
)
from intake.ticket import HistoryEntry, Milestone, MilestoneChange, MilestoneStatus, Ticket

M = MilestoneStatus

STATUS_PREFIX = "milestone_status"
STATUS_ACTIONS = {
    M.ON_TRACK: f"{STATUS_PREFIX}_on_track",
    M.AT_RISK: f"{STATUS_PREFIX}_at_risk",
    M.BLOCKED: f"{STATUS_PREFIX}_blocked",
    M.DONE: f"{STATUS_PREFIX}_done",
}
STATUS_LABELS = {M.ON_TRACK: "On track", M.AT_RISK: "At risk", M.BLOCKED: "Blocked", M.DONE: "Done"}
# Matches the status buttons, with or without the ":{ask}:{index}" suffix.
STATUS_ACTION = re.compile(rf"^{STATUS_PREFIX}_(on_track|at_risk|blocked|done)(:.*)?$")
DUE_ACTION = "milestone_due"
REMOVE_ACTION = "milestone_remove"
ADD_ACTION = "milestone_add"
CONFIRM_DONE = "ask_confirm_done"
NOT_DONE = "ask_not_done"

REASON_MODAL = "milestone_reason_modal"
DUE_MODAL = "milestone_due_modal"
ADD_MODAL = "milestone_add_modal"
NOT_DONE_MODAL = "ask_not_done_modal"

LINE = "milestone"
LINE_ACTIONS = "milestone_actions"
PLAN = "milestone_plan"
MESSAGE_TEXT_BUDGET = 11_000  # Slack refuses ~12,000 characters of block text in a message

EMOJI = {
    M.NOT_STARTED: ":white_circle:",
    M.ON_TRACK: ":large_green_circle:",
    M.AT_RISK: ":large_yellow_circle:",
    M.BLOCKED: ":red_circle:",
    M.DONE: ":white_check_mark:",
}


@dataclass(frozen=True)
class Ref:
    """Which milestone a line or button is about."""

    ask: int
    index: int
    tag: str = ""


def parse_value(value: str) -> Ref:
    """A button value ``"{ask}:{index}"``."""
    ask, _, index = value.partition(":")
    return Ref(int(ask), int(index))


def parse_block(block_id: str) -> Ref | None:
    """The milestone of a line's block_id (``milestone:{ask}:{index}:{tag}``), else None."""
    match = re.fullmatch(rf"(?:{LINE}|{LINE_ACTIONS}):(\d+):(\d+):([0-9a-f]*)", block_id or "")
    if match is None:
        return None
    return Ref(int(match[1]), int(match[2]), match[3])


# -- milestone lines -----------------------------------------------------------------------


def milestone_blocks(
    ticket: Ticket,
    index: int,
    *,
    today: date | None = None,
    removable: bool = False,
    compact: bool = False,
) -> list[kit.Block]:
    """One milestone as a section and, while the work is open, its buttons: On track, At risk,
    Blocked, Done, Change due date (and Remove, where the plan is edited)."""
    milestone = ticket.milestones[index]
    ask = ticket.id or 0
    tag = fingerprint(milestone)
    blocks = [
        kit.section(
            _line(ticket, milestone, today, compact), block_id=f"{LINE}:{ask}:{index}:{tag}"
        )
    ]
    if ticket.status not in EDITABLE:
        return blocks
    value = f"{ask}:{index}"
    buttons = [
        kit.button(label, f"{STATUS_ACTIONS[status]}:{value}", value)
        for status, label in STATUS_LABELS.items()
    ]
    buttons.append(kit.button("Change due date", f"{DUE_ACTION}:{value}", value))
    if removable:
        remove = kit.button("Remove", f"{REMOVE_ACTION}:{value}", value, style="danger")
        remove["confirm"] = {
            "title": kit.plain("Remove this milestone?", 100),
            "text": kit.mrkdwn(f"*{safe(milestone.title, 200)}* leaves the plan.", 300),
            "confirm": kit.plain("Remove", 30),
            "deny": kit.plain("Keep it", 30),
            "style": "danger",
        }
        buttons.append(remove)
    blocks.append(kit.actions(*buttons, block_id=f"{LINE_ACTIONS}:{ask}:{index}:{tag}"))
    return blocks


def milestone_plan(
    ticket: Ticket, *, today: date | None = None, compact: bool = False
) -> list[kit.Block]:
    """The whole plan with its buttons, headed by *Add milestone* (the owner's DM)."""
    open_work = ticket.status in EDITABLE
    heading = "*Milestones*"
    if open_work:
        heading += "\nUpdate each one as the work moves; the requester sees every change."
    add = None
    if open_work and len(ticket.milestones) < MAX_MILESTONES:
        add = kit.button("Add milestone", ADD_ACTION, str(ticket.id))
    blocks = [kit.section(heading, accessory=add, block_id=f"{PLAN}:{ticket.id}")]
    removable = len(ticket.milestones) > 1
    for index in range(len(ticket.milestones)):
        blocks += milestone_blocks(ticket, index, today=today, removable=removable, compact=compact)
    return blocks


def refresh(
    blocks: list[kit.Block], ticket: Ticket, *, today: date | None = None
) -> list[kit.Block]:
    """A message's blocks with every line of this ask's milestones shown as it is now; the
    other blocks stay as they are. A line follows its milestone when others were removed,
    and goes when its milestone did."""
    groups: dict[tuple[int, str], bool] = {}  # (index, tag) -> had a Remove button
    for block in blocks:
        ref = parse_block(str(block.get("block_id", "")))
        if ref is not None and ref.ask == ticket.id:
            removable = any(
                str(e.get("action_id", "")).startswith(REMOVE_ACTION)
                for e in block.get("elements") or []
            )
            groups[(ref.index, ref.tag)] = groups.get((ref.index, ref.tag), False) or removable
    out: list[kit.Block] = []
    shown: set[tuple[int, str]] = set()
    for block in blocks:
        ref = parse_block(str(block.get("block_id", "")))
        if ref is None or ref.ask != ticket.id:
            out.append(block)
            continue
        key = (ref.index, ref.tag)
        if key in shown:
            continue
        shown.add(key)
        now_at = locate(ticket, ref.index, ref.tag)
        if now_at is not None:
            removable = groups[key] and len(ticket.milestones) > 1
            out += milestone_blocks(ticket, now_at, today=today, removable=removable)
    return out[: kit.MESSAGE_BLOCKS]


def locate(ticket: Ticket, index: int, tag: str) -> int | None:
    """Where the milestone a line showed is now: the same position if it still holds it,
    else the position of the milestone with that fingerprint; None when it is gone."""
    found = ticket.milestones
    if 0 <= index < len(found) and (not tag or fingerprint(found[index]) == tag):
        return index
    matches = [i for i, m in enumerate(found) if fingerprint(m) == tag]
    return min(matches, key=lambda i: abs(i - index)) if matches else None


def is_plan_message(blocks: list[kit.Block], ask_id: int) -> bool:
    """Whether these blocks are the owner's DM of this ask (re-rendered whole on a change)."""
    return any(block.get("block_id") == f"{PLAN}:{ask_id}" for block in blocks)


def text_size(blocks: list[kit.Block]) -> int:
    """Characters of text across blocks, as Slack counts them against its ~12,000 limit."""

    def count(node: Any) -> int:
        if isinstance(node, list):
            return sum(count(item) for item in node)
        if isinstance(node, dict):
            return sum(
                len(value) if key == "text" and isinstance(value, str) else count(value)
                for key, value in node.items()
            )
        return 0

    return count(blocks)


def _line(ticket: Ticket, milestone: Milestone, today: date | None, compact: bool) -> str:
    status = milestone.status
    first = f"{EMOJI[status]} *{safe(milestone.title, 100 if compact else 150)}* — "
    first += STATUS_WORDS[status]
    facts = [f"due {day(milestone.due, today)}" if milestone.due else "no due date"]
    if milestone.due and today and milestone.due < today and status is not M.DONE:
        facts.append(":warning: *overdue*")
    elif milestone.due and ticket.deadline and milestone.due > ticket.deadline:
        facts.append(f":warning: after the deadline ({day(ticket.deadline, today)})")
    if milestone.owner and milestone.owner != ticket.owner:
        facts.append(f"owner {user(milestone.owner)}")
    lines = [first, " · ".join(facts)]
    if milestone.reason and status in KEEPS_REASON:
        lines.append(f"_Why:_ {safe(milestone.reason, 100 if compact else 300)}")
    if milestone.done_criterion and not compact:
        lines.append(f"_Done when:_ {safe(milestone.done_criterion, 200)}")
    return "\n".join(lines)


# -- notes in the requester's thread -------------------------------------------------------


def change_note(ticket: Ticket, milestone: Milestone, change: MilestoneChange) -> dict[str, Any]:
    """What the requester (and anyone in the intake thread) reads after a milestone change."""
    key = f"*{safe(ticket.key or 'Your ask', 20)}*"
    title = f"*{safe(milestone.title, 150)}*"
    who = user(change.actor)
    today = change.at.date()  # the note is written as the change happens
    if change.what == "status":
        status = M(change.new)
        text = f"{EMOJI[status]} {key} · {title} is now *{STATUS_WORDS[status]}* ({who})."
    elif change.what == "due":
        new = _day(change.new, today) or "no due date"
        was = f", was {_day(change.old, today)}" if change.old else ""
        text = f":calendar: {key} · {title} is now due {new}{was} ({who})."
    elif change.what == "added":
        due = f", due {day(milestone.due, today)}" if milestone.due else ""
        text = f":heavy_plus_sign: {key} has a new milestone: {title}{due} ({who})."
    else:
        text = f":heavy_minus_sign: {key}: the milestone {title} was removed ({who})."
    if change.reason:
        text += f"\n>{safe(change.reason, REASON_MAX + 100)}"
    return kit.message(f"{ticket.key}: {safe(milestone.title, 200)}", [kit.section(text)])


def confirm_request(ticket: Ticket, *, waiting: bool = True) -> dict[str, Any]:
    """Every milestone is done: the requester confirms the work is done, or says it is not.
    Not ``waiting`` (the ask moved on without an answer here): no buttons, and where it is."""
    key = safe(ticket.key or "your ask", 20)
    if not waiting:
        now = LIFECYCLE_WORDS[ticket.status]
        text = f":white_check_mark: Every milestone of *{key}* was done. The ask is {now} now."
        return kit.message(f"Every milestone of {ticket.key} was done", [kit.section(text)])
    return kit.message(
        f"Every milestone of {ticket.key} is done. Is it done for you?",
        [
            kit.section(
                f":white_check_mark: Every milestone of *{key}* is done. Is the work done for you?"
            ),
            kit.context("If I hear nothing in 7 days, I will mark it done."),
            kit.actions(
                kit.button("Yes, it's done", CONFIRM_DONE, str(ticket.id), style="primary"),
                kit.button("Not yet", NOT_DONE, str(ticket.id)),
                block_id=f"confirm_done:{ticket.id}",
            ),
        ],
    )


def confirmed(ticket: Ticket, actor: str) -> dict[str, Any]:
    """The requester's question once answered yes (replaces it)."""
    text = f":tada: {user(actor)} confirmed that *{safe(ticket.key or '', 20)}* is done. Thanks!"
    return kit.message(f"{ticket.key} is done", [kit.section(text)])


def answered_not_done(ticket: Ticket, entry: HistoryEntry) -> dict[str, Any]:
    """The requester's question once answered "not yet" (replaces it)."""
    key = safe(ticket.key or "", 20)
    reason = _reason_of(entry)
    return kit.message(
        f"{ticket.key} is not done yet",
        [
            kit.section(f":leftwards_arrow_with_hook: *{key}* is not done yet:\n>{reason}"),
            kit.context("I told the owner. I will ask you again when every milestone is done."),
        ],
    )


def owner_not_done(ticket: Ticket, entry: HistoryEntry, reopened: int | None) -> dict[str, Any]:
    """The owner's DM when the requester says the work is not done."""
    key = safe(ticket.key or "", 20)
    text = f":leftwards_arrow_with_hook: {user(entry.actor)} says *{key}* is not done yet:"
    text += f"\n>{_reason_of(entry)}"
    if reopened is not None and 0 <= reopened < len(ticket.milestones):
        title = safe(ticket.milestones[reopened].title, 150)
        text += f"\n*{title}* is back to on track."
        hint = "Mark it done when it is finished; I will ask the requester again then."
    else:
        hint = (
            "Add a milestone for what is missing (from your DM about the ask) and mark it done "
            "when it is finished; I will ask the requester again then."
        )
    return kit.message(f"{ticket.key} is not done yet", [kit.section(text), kit.context(hint)])


def owner_confirmed(ticket: Ticket, actor: str) -> dict[str, Any]:
    key = safe(ticket.key or "", 20)
    text = f":tada: {user(actor)} confirmed that *{key}* is done. Nice work!"
    return kit.message(f"{ticket.key} is done", [kit.section(text)])


def auto_completed(ticket: Ticket) -> dict[str, Any]:
    """For the requester's thread (and the owner) after ``MilestoneService.auto_complete``."""
    key = safe(ticket.key or "", 20)
    text = (
        f":tada: *{key}* is done: every milestone was finished and nobody answered for 7 days, "
        "so I closed it. Something missing? Ask a platform lead to reopen it."
    )
    return kit.message(f"{ticket.key} is done", [kit.section(text)])


def _reason_of(entry: HistoryEntry) -> str:
    reason = entry.note.removeprefix("Not done yet: ")
    reason = re.sub(r" \(reopened: .*\)$", "", reason, flags=re.S)
    return safe(reason, REASON_MAX + 50)


def _day(value: str, today: date) -> str:
    return day(date.fromisoformat(value), today) if value else ""
