"""The shape a request to /slack/events must have before Bolt sees it.

Slack's own requests always have it. A request that is signed but not shaped like Slack's (an
event that is not an object, a click without an action, a form submission whose view has no
type, a command or click from no workspace) would otherwise fail inside Bolt with HTTP 500,
which Slack retries and the log shows as a stack trace, or reach a listener with an empty
workspace and store an ask nobody can see. ``problem`` names what is missing; ``bot.serving``
answers such requests 400 and nothing else happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Interactive payloads (form field ``payload``) that a listener acts on, and what each needs.
_NEEDS_ACTIONS = frozenset({"block_actions"})
_NEEDS_VIEW = frozenset({"view_submission", "view_closed"})


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _workspace(payload: Mapping[str, Any]) -> bool:
    team = payload.get("team")
    user = payload.get("user")
    return (
        (isinstance(team, Mapping) and _text(team.get("id")))
        or (isinstance(user, Mapping) and _text(user.get("team_id")))
        or _text(payload.get("team_id"))
    )


def command_problem(form: Mapping[str, str]) -> str | None:
    """A slash command (a plain form with ``command``): it names the workspace and the person."""
    if "command" not in form:
        return None  # not a command (ssl_check, say): Bolt answers it
    for name in ("command", "team_id", "user_id"):
        if not _text(form.get(name)):
            return f"slash command without {name}"
    return None


def event_problem(body: Mapping[str, Any]) -> str | None:
    """An Events API body (JSON)."""
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        return "type is not a string"
    if kind != "event_callback":
        return None  # url_verification, app_rate_limited, ...: Bolt answers them
    event = body.get("event")
    if not isinstance(event, Mapping) or not _text(event.get("type")):
        return "event is not an object with a type"
    if not _text(body.get("team_id")):
        return "event without team_id"
    return None


def payload_problem(payload: Mapping[str, Any]) -> str | None:
    """An interactive payload: a click, a form submission, a shortcut."""
    kind = payload.get("type")
    if not _text(kind):
        return "payload without a type"
    user = payload.get("user")
    if not isinstance(user, Mapping) or not _text(user.get("id")):
        return "payload without a user"
    if not _workspace(payload):
        return "payload without a workspace"
    if kind in _NEEDS_ACTIONS:
        actions = payload.get("actions")
        if (
            not isinstance(actions, list)
            or not actions
            or not all(isinstance(a, Mapping) and _text(a.get("action_id")) for a in actions)
        ):
            return "block_actions without actions"
    if kind in _NEEDS_VIEW:
        view = payload.get("view")
        if not isinstance(view, Mapping) or not _text(view.get("type")):
            return f"{kind} without a view type"
    return None
