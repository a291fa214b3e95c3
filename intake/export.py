"""The canonical ticket schema as plain data: what `asks export` writes and integrations read."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from intake.ticket import Ticket

COLUMNS = (
    "id",
    "title",
    "category",
    "status",
    "requester",
    "problem",
    "impact",
    "desired_outcome",
    "acceptance_criteria",
    "out_of_scope",
    "risks",
    "deadline",
    "no_deadline",
    "environment",
    "services",
    "priority",
    "size",
    "milestones",
    "history",
    "fields",
    "answer_notes",
    "links",
    "created_at",
    "submitted_at",
    "owner",
    "decided_at",
    "watchers",
    "rationale",
    "llm_usage",
)


def to_dict(ticket: Ticket) -> dict[str, Any]:
    """One ticket in the canonical schema; ``id`` is the human ID (PLAT-12), or ``draft-<n>``."""
    return {
        "id": ticket.key or f"draft-{ticket.id}",
        "title": ticket.title,
        "category": ticket.category,
        "status": ticket.status.value,
        "requester": ticket.requester,
        "problem": ticket.problem,
        "impact": ticket.impact,
        "desired_outcome": ticket.desired_outcome,
        "acceptance_criteria": list(ticket.acceptance_criteria),
        "out_of_scope": list(ticket.out_of_scope),
        "risks": list(ticket.risks),
        "deadline": ticket.deadline.isoformat() if ticket.deadline else None,
        "no_deadline": ticket.no_deadline,
        "environment": list(ticket.environment),
        "services": list(ticket.services),
        "priority": ticket.priority.value if ticket.priority else None,
        "size": ticket.size.value if ticket.size else None,
        "milestones": [
            {
                "title": m.title,
                "due": m.due.isoformat() if m.due else None,
                "done_criterion": m.done_criterion,
                "status": m.status.value,
                "owner": m.owner,
                "reason": m.reason,
                "log": [
                    {
                        "at": c.at.isoformat(),
                        "actor": c.actor,
                        "what": c.what,
                        "old": c.old,
                        "new": c.new,
                        "reason": c.reason,
                    }
                    for c in m.log
                ],
            }
            for m in ticket.milestones
        ],
        "history": [
            {
                "at": h.at.isoformat(),
                "actor": h.actor,
                "from": h.from_status.value if h.from_status else None,
                "to": h.to_status.value,
                "note": h.note,
            }
            for h in ticket.history
        ],
        "fields": _plain(ticket.fields),
        "answer_notes": dict(ticket.answer_notes),
        "links": list(ticket.links),
        "created_at": ticket.created_at.isoformat() if ticket.created_at else None,
        "submitted_at": ticket.submitted_at.isoformat() if ticket.submitted_at else None,
        "owner": ticket.owner,
        "watchers": list(ticket.watchers),
        "rationale": ticket.rationale,
        "llm_usage": {
            "calls": ticket.usage.calls,
            "prompt_tokens": ticket.usage.prompt_tokens,
            "completion_tokens": ticket.usage.completion_tokens,
            "cost_usd": ticket.usage.cost_usd,
        },
        "decided_at": ticket.decided_at.isoformat() if ticket.decided_at else None,
    }


def to_json(tickets: list[Ticket]) -> str:
    return json.dumps([to_dict(t) for t in tickets], indent=2, ensure_ascii=False)


# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): it starts with one of
# these. Such cells get a leading apostrophe, which spreadsheets show as text and hide.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(cell: Any) -> Any:
    """``cell`` as a spreadsheet shows it but never runs it."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def to_csv(tickets: list[Ticket]) -> str:
    """One row per ticket; lists joined with "; ", nested data (milestones, history) as JSON.
    Text that a spreadsheet would execute (``=HYPERLINK(…)``, ``+1``, ``@SUM``) is defused."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for ticket in tickets:
        row = to_dict(ticket)
        for name, value in row.items():
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                row[name] = "; ".join(value)
            elif isinstance(value, list | dict):
                row[name] = json.dumps(value, ensure_ascii=False)
        writer.writerow({name: defuse(value) for name, value in row.items()})
    return out.getvalue()


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}
