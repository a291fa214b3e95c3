"""After a milestone changes in Slack: show it where it was made, then tell everyone else
(``Announcer.milestone_changed``: every other message that shows the ask, the intake thread,
and the requester's confirmation when all is done)."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.blocks import milestones as render
from bot.blocks.review import owner_message
from bot.listeners.milestones.places import (
    Place,
    today_of,
    update_in_place,
)
from bot.scope import Scope
from intake.milestone_service import MilestoneUpdate


def after_change(
    scope: Scope, client: WebClient, update: MilestoneUpdate, user: str, place: Place | None
) -> None:
    """Show the change where it was made first, then in every other message that shows
    the ask (the owner's DM, nudges, the review card) and in the intake thread; ask the
    requester when every milestone is done (``Announcer.milestone_changed``)."""
    conversation = update.conversation
    ticket = conversation.ticket
    today = today_of(scope, client, ticket.team_id, user)
    skip: set[tuple[str, str]] = set()
    if place is not None:
        if place.is_plan(ticket.id or 0):
            template = scope.templates.get(ticket.category)
            update_in_place(client, place, owner_message(ticket, template, today))
        else:
            blocks = render.refresh(place.blocks, ticket, today=today)
            update_in_place(client, place, {"text": place.text, "blocks": blocks})
        skip.add((place.channel, place.ts))
    note = render.change_note(ticket, update.milestone, update.change)
    scope.announcer.milestone_changed(client, update, note, actor=user, skip=skip)
