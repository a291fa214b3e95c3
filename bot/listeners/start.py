"""Opening an intake in the requester's DM: shared by the slash command, the message shortcut
and the Home tab's "New request"."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.listeners.deps import Deps
from bot.thinking import thinking
from intake.conversation import Source


def start_in_dm(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    user: str,
    text: str,
    source: Source,
    source_note: str = "",
) -> None:
    tz = deps.people.timezone(client, team_id, user)
    thread = deps.replier.open_dm_thread(client, user, text, source_note)
    service = deps.service.for_team(team_id) if deps.per_team else deps.service
    with thinking(client, thread):
        outcome = service.start(
            team_id=team_id, requester=user, text=text, source=source, tz=tz, thread=thread
        )
    assert outcome is not None  # only a delivery with a dedupe key can be a duplicate
    deps.replier.deliver(client, outcome, user)
