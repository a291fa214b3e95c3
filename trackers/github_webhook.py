"""GitHub ``issues`` webhook deliveries -> ``TrackerChange``s.

``X-GitHub-Event: issues`` with action ``closed``, ``reopened``, ``assigned`` or ``unassigned``
on one of our issues (its body carries our key) is a change; anything else (a ``ping``, a
label, someone else's issue) is no change. The signature is checked first, on the raw body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from intake.tracker import (
    ChangeKind,
    TrackerChange,
    TrackerKind,
    TrackerRef,
    WebhookMalformed,
    split_key,
)
from intake.tracker_render import key_in_body
from trackers.signature import GITHUB_HEADER, verify

_ACTIONS = {
    "closed": ChangeKind.CLOSED,
    "reopened": ChangeKind.REOPENED,
    "assigned": ChangeKind.ASSIGNED,
    "unassigned": ChangeKind.UNASSIGNED,
}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A request header, whatever its case."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def read_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookMalformed("body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookMalformed("body is not a JSON object")
    return payload


def github_changes(
    secret: SecretStr | None, headers: Mapping[str, str], body: bytes
) -> list[TrackerChange]:
    """The changes in one signed delivery; raises ``WebhookRejected`` if it is not GitHub's."""
    verify(secret, body, header(headers, GITHUB_HEADER))
    if header(headers, "X-GitHub-Event") != "issues":
        return []
    payload = read_body(body)
    kind = _ACTIONS.get(str(payload.get("action")))
    issue = payload.get("issue")
    if kind is None or not isinstance(issue, dict) or "pull_request" in issue:
        return []
    key = key_in_body(issue.get("body"))
    if key is None:
        return []  # not an issue we created
    issue_key, suffix = split_key(key)
    repository = payload.get("repository") or {}
    ref = TrackerRef(
        kind=TrackerKind.GITHUB,
        project=str(repository.get("full_name", "")),
        key=str(issue["number"]),
        id=str(issue["id"]),
        url=str(issue.get("html_url", "")),
    )
    who = payload.get("assignee") if kind in (ChangeKind.ASSIGNED, ChangeKind.UNASSIGNED) else None
    return [
        TrackerChange(
            kind=kind,
            ref=ref,
            issue_key=issue_key,
            suffix=suffix,
            assignee=str(who["login"]) if isinstance(who, dict) else None,
            assignee_email=(who.get("email") or None) if isinstance(who, dict) else None,
            actor=str((payload.get("sender") or {}).get("login", "")),
        )
    ]
