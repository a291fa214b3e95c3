"""Jira ``jira:issue_updated`` webhook deliveries -> ``TrackerChange``s.

A delivery carries the issue as it is now and a ``changelog`` of what this update changed.
On one of our issues (a label ``intake-...``):

* a ``status`` change into a done status (status category ``done``) is CLOSED;
* a ``status`` change out of one is REOPENED: the update clears the ``resolution`` or leaves
  a status named Done, Closed or Resolved (the webhook names the old status, not its
  category); a move between two open statuses is no change;
* an ``assignee`` change is ASSIGNED (to the issue's new assignee) or UNASSIGNED.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from intake.tracker import ChangeKind, TrackerChange, TrackerKind, TrackerRef, split_key
from trackers.github_webhook import header, read_body
from trackers.signature import JIRA_HEADER, verify

_DONE_NAMES = frozenset({"done", "closed", "resolved"})


def jira_changes(
    secret: SecretStr | None, headers: Mapping[str, str], body: bytes
) -> list[TrackerChange]:
    """The changes in one signed delivery; raises ``WebhookRejected`` if it is not Jira's."""
    verify(secret, body, header(headers, JIRA_HEADER))
    payload = read_body(body)
    issue = payload.get("issue")
    if payload.get("webhookEvent") != "jira:issue_updated" or not isinstance(issue, dict):
        return []
    fields: dict[str, Any] = issue.get("fields") or {}
    ours = [split_key(str(label)) for label in fields.get("labels") or []]
    ours = [(key, suffix) for key, suffix in ours if key.startswith("intake-")]
    if not ours:
        return []
    issue_key, suffix = max(ours, key=lambda pair: pair[1] is not None)  # a sub-task's own key
    ref = _ref(issue, fields)
    items: list[dict[str, Any]] = (payload.get("changelog") or {}).get("items") or []
    by_field = {str(item.get("field", "")).lower(): item for item in items}
    actor = (payload.get("user") or {}).get("displayName", "")
    changes: list[TrackerChange] = []

    def change(kind: ChangeKind, **extra: Any) -> None:
        changes.append(
            TrackerChange(kind, ref, issue_key, suffix=suffix, actor=str(actor), **extra)
        )

    status = by_field.get("status")
    if status is not None:
        category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
        resolution = by_field.get("resolution")
        if category == "done":
            change(ChangeKind.CLOSED)
        elif (resolution is not None and not resolution.get("to")) or str(
            status.get("fromString", "")
        ).lower() in _DONE_NAMES:
            change(ChangeKind.REOPENED)
    if "assignee" in by_field:
        assignee = fields.get("assignee")
        if isinstance(assignee, dict):
            change(
                ChangeKind.ASSIGNED,
                assignee=assignee.get("accountId") or assignee.get("name"),
                assignee_email=assignee.get("emailAddress"),
            )
        else:
            change(ChangeKind.UNASSIGNED)
    return changes


def _ref(issue: dict[str, Any], fields: dict[str, Any]) -> TrackerRef:
    key = str(issue.get("key", ""))
    site = str(issue.get("self", "")).split("/rest/api/")[0]
    return TrackerRef(
        kind=TrackerKind.JIRA,
        project=str((fields.get("project") or {}).get("key", key.split("-")[0])),
        key=key,
        id=str(issue.get("id", "")),
        url=f"{site}/browse/{key}",
    )
