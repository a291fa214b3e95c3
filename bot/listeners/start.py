"""Opening an intake in the requester's DM: shared by the slash command, the message shortcut
and the Home tab's "New request"."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.commands import Handler
from bot.scope import Scope
from bot.thinking import thinking
from bot.where import Body, Where
from intake.conversation import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartInDm:
    """``dedupe_key``: the request's, so a command run again (handed back in doubt) starts
    nothing twice (``cmd_key``, ``view_key``; "" for none)."""

    where: Where
    text: str
    source: str  # a Source
    source_note: str = ""
    dedupe_key: str = ""


def start_in_dm(command: StartInDm, scope: Scope, client: WebClient) -> None:
    user, text = command.where.user_id, command.text
    # Claimed before the DM is opened: a run again posts nothing, not even the echo.
    if command.dedupe_key and not scope.service.claim(command.dedupe_key):
        log.info("%s ran before; not started again", command.dedupe_key)
        return
    tz = scope.people.timezone(client, scope.team_id, user)
    thread = scope.replier.open_dm_thread(client, user, text, command.source_note)
    with thinking(client, thread):
        outcome = scope.service.start(
            team_id=scope.team_id,
            requester=user,
            text=text,
            source=Source(command.source),
            tz=tz,
            thread=thread,
        )
    assert outcome is not None  # only a delivery with a dedupe key can be a duplicate
    scope.replier.deliver(client, outcome, user)


def cmd_key(body: Body) -> str:
    """A slash command's or a shortcut's dedupe key: its trigger_id, one per invocation."""
    return f"cmd:{body['trigger_id']}" if body.get("trigger_id") else ""


def view_key(view: Body) -> str:
    """A form submission's dedupe key: its view's ID (a submitted modal closes)."""
    return f"view:{view['id']}" if view.get("id") else ""


LATER: dict[type, Handler] = {StartInDm: start_in_dm}
