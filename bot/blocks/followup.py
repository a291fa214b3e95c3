"""Weekly messages: the requester's progress reply, and the channel digest (one message within
50 blocks; the full lists go into thread replies when they do not fit)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.blocks import kit
from bot.blocks.when import day
from bot.slack_text import safe, user
from intake.followup import Digest, Progress
from intake.ticket import Milestone, Ticket

SHOWN = 5  # items of each list in the digest itself
SECTION_CHARS = 2800  # a section's text may hold 3,000
MESSAGE_CHARS = 11000  # Slack refuses ~12,000 characters of block text in one message
BLOCKS_PER_REPLY = 40


def progress_message(report: Progress, today: date | None = None) -> dict[str, Any]:
    """The weekly update in the requester's thread (``today``: theirs)."""
    ticket = report.ticket
    status = ticket.status.value.replace("_", " ")
    parts = [f":calendar: *Weekly update on {safe(ticket.key or '', 20)}* ({status})"]
    if report.done_this_week:
        parts.append(
            "*Done this week:* " + safe(", ".join(m.title for m in report.done_this_week), 600)
        )
    else:
        parts.append("*Done this week:* nothing yet")
    if report.next_due:
        due_on = report.next_due.due
        due = f" — due {day(due_on, today)}" if due_on else ""
        if due_on and today and due_on < today:
            due += ", *overdue*"
        parts.append(f"*Next:* {safe(report.next_due.title, 200)}{due}")
    for m in report.troubled:
        label = "Blocked" if m.status.value == "blocked" else "At risk"
        reason = f": {safe(m.reason, 300)}" if m.reason else ""
        parts.append(f":warning: *{label}:* {safe(m.title, 200)}{reason}")
    return kit.message(f"Weekly update on {ticket.key}", [kit.section("\n".join(parts))])


def digest_messages(digest: Digest) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The digest and its thread replies (empty when everything fits)."""
    summary = " · ".join(
        [
            f"*New* {len(digest.new)}",
            f"*Accepted* {len(digest.accepted)}",
            f"*Shipped* {len(digest.shipped)}",
            f"*At risk* {len(digest.at_risk)}",
            f"*Blocked* {len(digest.blocked)}",
            f"*Overdue milestones* {len(digest.overdue)}",
        ]
    )
    queue = f"*Review queue:* {len(digest.queue)} waiting"
    if digest.oldest_waiting is not None:
        queue += f", oldest {_duration(digest.oldest_waiting)}"
    if digest.median_decision is not None:
        queue += f" · median time from submit to decision {_duration(digest.median_decision)}"
    blocks: list[kit.Block] = [
        kit.header(f"Platform intake — week {digest.week}"),
        kit.section(summary),
        kit.section(queue),
    ]
    details: list[tuple[str, list[str]]] = []
    for title, lines in _sections(digest):
        if not lines:
            continue
        shown = lines[:SHOWN]
        more = f"\n_…and {len(lines) - SHOWN} more in the thread_" if len(lines) > SHOWN else ""
        blocks.append(kit.section(f"*{title}*\n" + "\n".join(shown) + more))
        if len(lines) > SHOWN:
            details.append((title, lines))
    if digest.undelivered:
        names = ", ".join(digest.undelivered[:10])
        blocks.append(
            kit.context(
                f":warning: {len(digest.undelivered)} message(s) could not be delivered: "
                f"{safe(names, 500)}"
            )
        )
    if digest.empty:
        blocks.append(kit.context("A quiet week: nothing new, nothing waiting."))
    return kit.message(f"Platform intake — week {digest.week}", blocks), _replies(details)


def _sections(digest: Digest) -> list[tuple[str, list[str]]]:
    return [
        (
            "Waiting for review (oldest first)",
            [_ask(t) + f" — from {user(t.requester)}" for t in digest.queue],
        ),
        ("Blocked", [_milestone(t, m) for t, m in digest.blocked]),
        ("At risk", [_milestone(t, m) for t, m in digest.at_risk]),
        (
            "Overdue milestones",
            [_milestone(t, m, due=True, today=digest.today) for t, m in digest.overdue],
        ),
        ("New", [_ask(t) for t in digest.new]),
        (
            "Accepted",
            [_ask(t) + (f" — owner {user(t.owner)}" if t.owner else "") for t in digest.accepted],
        ),
        ("Shipped", [_ask(t) for t in digest.shipped]),
    ]


def _replies(details: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    """Full lists as thread replies, each inside Slack's limits: sections under 3,000
    characters and messages under ~12,000 characters of block text."""
    replies: list[dict[str, Any]] = []
    for title, lines in details:
        blocks: list[kit.Block] = []
        section = f"*{title}* ({len(lines)})"
        used = 0
        for line in lines:
            if len(section) + len(line) + 1 > SECTION_CHARS:
                blocks.append(kit.section(section))
                used += len(section)
                section = ""
                if used + SECTION_CHARS > MESSAGE_CHARS or len(blocks) == BLOCKS_PER_REPLY:
                    replies.append(kit.message(title, blocks))
                    blocks, used = [], 0
            section = f"{section}\n{line}" if section else line
        blocks.append(kit.section(section))
        replies.append(kit.message(title, blocks))
    return replies


def _ask(ticket: Ticket) -> str:
    return f"• *{safe(ticket.key or '', 20)}* {safe(ticket.title, 80)}"


def _milestone(
    ticket: Ticket, milestone: Milestone, *, due: bool = False, today: date | None = None
) -> str:
    when = f" (due {day(milestone.due, today)})" if due and milestone.due else ""
    reason = f" — {safe(milestone.reason, 100)}" if milestone.reason and not due else ""
    owner = milestone.owner or ticket.owner
    who = f" · {user(owner)}" if owner else ""
    return f"• *{safe(ticket.key or '', 20)}* {safe(milestone.title, 80)}{when}{reason}{who}"


def _duration(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    if hours < 1:
        return "under an hour"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"
