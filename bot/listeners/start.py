"""Opening an intake in the requester's DM: shared by the slash command, the message shortcut
and the Home tab's "New request"."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.commands import Handler
from bot.scope import Scope
from bot.thinking import thinking
from bot.where import Where
from intake.conversation import Source


@dataclass(frozen=True)
class StartInDm:
    where: Where
    text: str
    source: str  # a Source
    source_note: str = ""


def start_in_dm(command: StartInDm, scope: Scope, client: WebClient) -> None:
    user, text = command.where.user_id, command.text
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


LATER: dict[type, Handler] = {StartInDm: start_in_dm}
