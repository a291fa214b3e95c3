"""Where a request came from: the workspace, the person, and where to answer them. Read once
from Slack's request (``Where.of``); carried by every deferred command (``bot.commands``) so
that its handler can reply, and tell the person about an error, wherever it runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Where:
    team_id: str
    user_id: str
    channel: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None  # slash commands and shortcuts: answers in any channel

    @classmethod
    def of(cls, body: dict[str, Any]) -> Where:
        """From any request Bolt hands a listener: an event, a slash command, a click, a form,
        a shortcut. "" for a workspace or person Slack did not name (nobody is told)."""
        event = body.get("event") or {}
        team = body.get("team_id") or (body.get("team") or {}).get("id") or ""
        if event:
            thread = event.get("thread_ts") or event.get("ts")
            return cls(team, event.get("user") or "", event.get("channel"), thread)
        if "command" in body:
            url = body.get("response_url")
            return cls(
                body.get("team_id") or "",
                body.get("user_id") or "",
                body.get("channel_id"),
                None,
                url,
            )
        user = body.get("user") or {}
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        thread_ts = (body.get("message") or {}).get("thread_ts")
        team = team or user.get("team_id") or ""
        return cls(team, user.get("id") or "", channel, thread_ts, body.get("response_url"))


Body = dict[str, Any]  # a Slack request, or a part of one, as Bolt hands it over
