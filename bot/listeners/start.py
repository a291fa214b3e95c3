"""Opening an intake in the requester's DM: shared by the slash command, the message shortcut
and the Home tab's "New request"."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.scope import Scope
from bot.thinking import thinking
from intake.conversation import Source


def start_in_dm(
    scope: Scope,
    client: WebClient,
    *,
    team_id: str,
    user: str,
    text: str,
    source: Source,
    source_note: str = "",
) -> None:
    tz = scope.people.timezone(client, team_id, user)
    thread = scope.replier.open_dm_thread(client, user, text, source_note)
    with thinking(client, thread):
        outcome = scope.service.start(
            team_id=team_id, requester=user, text=text, source=source, tz=tz, thread=thread
        )
    assert outcome is not None  # only a delivery with a dedupe key can be a duplicate
    scope.replier.deliver(client, outcome, user)
