"""What the fake Jira says, in the shapes of Atlassian's REST v2 reference: statuses with their
categories, the workflow's transitions, system fields, and the JQL subset the adapter sends."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.fakes.fake_rest import HttpError

STAMP = "2026-12-07T09:00:00.000+0000"
_CATEGORIES = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
STATUSES = {
    "10000": ("To Do", "new"),
    "3": ("In Progress", "indeterminate"),
    "10001": ("Done", "done"),
}
TRANSITIONS = {"11": ("Reopen", "10000"), "21": ("Start", "3"), "31": ("Done", "10001")}
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
FIELDS = [
    {
        "id": name,
        "key": name,
        "name": name.title(),
        "custom": False,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [name],
    }
    for name in ("summary", "labels", "status", "assignee", "parent", "description", "duedate")
]
_CLAUSE = re.compile(r"^(\w+)\s*(=|in)\s*(.+)$", re.IGNORECASE)

Issue = dict[str, Any]


def status(base_url: str, status_id: str) -> dict[str, Any]:
    name, category = STATUSES[status_id]
    cat_id, cat_name, colour = _CATEGORIES[category]
    return {
        "self": f"{base_url}/rest/api/2/status/{status_id}",
        "id": status_id,
        "name": name,
        "statusCategory": {"id": cat_id, "key": category, "colorName": colour, "name": cat_name},
    }


def search(issues: list[Issue], jql: str) -> list[Issue]:
    """The issues that match ``jql`` (clauses joined by AND; ORDER BY created or id); a
    clause outside the subset is Jira's 400, so a query the adapter starts sending shows."""
    where, *order_by = re.split(r"\s+ORDER BY\s+", jql, maxsplit=1, flags=re.I)
    tests = [_clause(part) for part in re.split(r"\s+AND\s+", where, flags=re.I)]
    found = [i for i in issues if all(test(i) for test in tests)]
    descending = bool(order_by) and "DESC" in order_by[0].upper()
    return sorted(found, key=lambda i: int(i["id"]), reverse=descending)


def _clause(text: str) -> Callable[[Issue], bool]:
    found = _CLAUSE.match(text.strip())
    if not found:
        raise HttpError(400, {"errorMessages": [f"Error in the JQL Query: {text!r}"]})
    name, op, raw = found[1].lower(), found[2].lower(), found[3].strip()
    values = (
        {v.strip().strip('"') for v in raw.strip("()").split(",")}
        if op == "in"
        else {raw.strip('"')}
    )
    if name == "project":
        return lambda i: i["fields"]["project"]["key"] in values
    if name == "labels":
        return lambda i: bool(values & set(i["fields"]["labels"]))
    if name == "parent":
        return lambda i: (i["fields"].get("parent") or {}).get("key") in values
    raise HttpError(400, {"errorMessages": [f"Field '{name}' is not supported here"]})
