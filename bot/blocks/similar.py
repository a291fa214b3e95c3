"""Similar open asks: the requester's "join it instead?" message and the lead's card line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.blocks import kit
from bot.slack_text import safe, user
from intake.similarity import Match
from intake.ticket import Status, Ticket

JOIN_ACTION = "similar_join"
NOT_SAME_ACTION = "similar_not_same"

_STATUS = {
    "submitted": "waiting for review",
    "needs_info": "waiting for its requester",
    "accepted": "accepted",
    "in_progress": "in progress",
}


def _label(ticket: Ticket) -> str:
    return f"*{ticket.key}* “{safe(ticket.title, 120)}”"


def suggestions(
    ask_id: int, matches: Sequence[Match], *, draft: bool = False, requester: str | None = None
) -> dict[str, Any]:
    """Up to three asks like this intake, each with *Join* and *Not the same*. The person's
    own asks (``requester``'s) are called theirs, never someone else's."""
    first = matches[0].ticket
    all_own = requester is not None and all(m.ticket.requester == requester for m in matches)
    if draft:
        lead = "Before you submit: this looks like"
    elif all_own:
        lead = "You may have asked for this already. This looks like"
    else:
        lead = "Someone may have asked for this already. This looks like"
    blocks: list[kit.Block] = [
        kit.section(
            f":mag: {lead} {_label(first)}: join it instead?"
            if len(matches) == 1
            else f":mag: {lead} one of these open asks: join it instead?"
        )
    ]
    for match in matches:
        ticket = match.ticket
        value = json.dumps({"a": ask_id, "k": ticket.key}, separators=(",", ":"))
        status = _STATUS.get(ticket.status.value, ticket.status.value)
        owner = f" · owner {user(ticket.owner)}" if ticket.owner else ""
        yours = " · your ask" if requester is not None and ticket.requester == requester else ""
        blocks.append(kit.section(f"{_label(ticket)}\n{status}{owner}{yours}"))
        blocks.append(
            kit.actions(
                kit.button("Join", f"{JOIN_ACTION}:{ticket.key}", value, style="primary"),
                kit.button("Not the same", f"{NOT_SAME_ACTION}:{ticket.key}", value),
                block_id=f"similar:{ticket.key}",
            )
        )
    join = (
        # Joining your own ask adds no watcher (you hear about it already): it closes this one.
        "*Join* keeps your earlier ask and closes this intake."
        if all_own
        else "*Join* makes you a watcher of that ask (you hear when it changes) and closes "
        "this intake."
    )
    blocks.append(kit.context(f"{join} *Not the same* keeps going here."))
    return kit.message(f"This looks like {first.key}: {safe(first.title, 120)}", blocks)


def without(message: dict[str, Any], key: str) -> dict[str, Any] | None:
    """``message`` (a suggestions message as Slack returns it) without the ask ``key``; None
    when no suggestion is left."""
    blocks = [
        block
        for block in message.get("blocks", [])
        if block.get("block_id") != f"similar:{key}"
        and f"*{key}*" not in (block.get("text") or {}).get("text", "")
    ]
    if not any(str(b.get("block_id", "")).startswith("similar:") for b in blocks):
        return None
    return {"text": message.get("text", "Similar asks"), "blocks": blocks}


def dismissed(key: str) -> dict[str, Any]:
    text = f"OK, not the same as *{safe(key, 20)}*. Carrying on with your ask."
    return kit.message(text, [kit.context(text)])


def joined(target: Ticket) -> dict[str, Any]:
    text = (
        f":handshake: You joined {_label(target)}. I closed this intake; you'll hear from me "
        "when that ask changes status."
    )
    return kit.message(f"You joined {target.key}", [kit.section(text)])


def card_line(matches: Sequence[Match]) -> kit.Block | None:
    """For the review card: the open asks this one looks like."""
    if not matches:
        return None
    names = " · ".join(_label(m.ticket) for m in matches)
    return kit.context(f":mag: Looks like: {names}")


def status_words(status: Status) -> str:
    return {
        Status.ACCEPTED: "was accepted",
        Status.IN_PROGRESS: "is in progress",
        Status.DONE: "is done",
        Status.DECLINED: "was declined",
        Status.NEEDS_INFO: "is waiting for answers from its requester",
        Status.SUBMITTED: "is back in review",
        Status.CANCELLED: "was cancelled",
    }.get(status, f"is now {status.value}")


def watcher_update(ticket: Ticket, status_text: str) -> dict[str, Any]:
    text = f"{_label(ticket)}, which you joined, {status_text}."
    return kit.message(f"{ticket.key} {status_text}", [kit.section(text)])


def answered(text: str) -> dict[str, Any]:
    """A suggestion after *Join*: what it said, without buttons."""
    return kit.message(text, [kit.context(f":mag: {safe(text, 300)}")])
