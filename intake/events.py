"""Integration events: what other systems (Jira, Linear, GitHub sync) are told when an ask
changes status. Built here, queued by the service in the same transaction as the change, and
delivered by the webhook sender."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime
from typing import Any

from intake.export import to_dict
from intake.ticket import HistoryEntry, MilestoneChange, Ticket

STATUS_CHANGED = "ask.status_changed"
MILESTONE_CHANGED = "ask.milestone_changed"
SIGNATURE_HEADER = "X-Intake-Signature"
TIMESTAMP_HEADER = "X-Intake-Timestamp"
EVENT_ID_HEADER = "X-Intake-Event-Id"


def _event(
    kind: str, ticket: Ticket, at: datetime, what: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """An event about ``ticket`` (carrying the whole ticket as it is now)."""
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at.isoformat(),
        "ask_id": ticket.key or f"draft-{ticket.id}",
        # The Slack workspace: ask IDs repeat per workspace (the multi-workspace install).
        "team_id": ticket.team_id,
        what: detail,
        "ask": to_dict(ticket),
    }


def status_changed(ticket: Ticket, entry: HistoryEntry) -> dict[str, Any]:
    """The event for one history entry."""
    change = {
        "from": entry.from_status.value if entry.from_status else None,
        "to": entry.to_status.value,
        "actor": entry.actor,
        "note": entry.note,
    }
    return _event(STATUS_CHANGED, ticket, entry.at, "change", change)


def milestone_changed(ticket: Ticket, index: int, made: MilestoneChange) -> dict[str, Any]:
    """The event for one milestone's status change (``made.what == "status"``): a tracker
    closes or reopens the milestone's sub-issue."""
    milestone = {
        "index": index,
        "title": ticket.milestones[index].title,
        "from": made.old,
        "to": made.new,
        "actor": made.actor,
    }
    return _event(MILESTONE_CHANGED, ticket, made.at, "milestone", milestone)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256 over ``{timestamp}.{body}``: what X-Intake-Signature holds.
    Receivers recompute it and compare in constant time (hmac.compare_digest)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()
