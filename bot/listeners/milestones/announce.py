"""After a milestone changes: show it where it was made, in every other message that shows
the ask (the announcer), and in the intake thread; ask the requester when all is done."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.blocks import milestones as render
from bot.blocks.review import owner_message
from bot.listeners.milestones.places import (
    Place,
    today_of,
    update_in_place,
)
from bot.scope import Scope
from intake.conversation import Conversation
from intake.lifecycle import Action
from intake.milestone_service import MilestoneUpdate
from intake.review import Decision
from storage import ask_messages


def after_change(
    scope: Scope, client: WebClient, update: MilestoneUpdate, user: str, place: Place | None
) -> None:
    """Show the change where it was made first, then in every other message that shows
    the ask (the owner's DM, nudges, the review card: the announcer) and in the intake
    thread; ask the requester when every milestone is done."""
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
    if update.started is not None:  # also: the requester's thread hears it started
        scope.announcer.decided(
            client,
            Decision(conversation, Action.START, update.started, ticket.owner),
            skip=skip,
        )
    else:
        scope.announcer.changed(client, conversation, user, skip=skip)
    post_to_requester(
        client, conversation, render.change_note(ticket, update.milestone, update.change)
    )
    if update.ask_requester:  # its buttons go when the ask moves on without an answer
        question = render.confirm_request(ticket)
        posted = post_to_requester(client, conversation, question)
        views = scope.announcer.views
        views.record(ticket, posted, ask_messages.DONE_QUESTION, ticket.requester, question)


def post_to_requester(
    client: WebClient, conversation: Conversation, message: dict[str, Any]
) -> SlackResponse:
    """In the ask's intake thread; in a DM when it has none (an intake from the terminal)."""
    thread = conversation.thread
    if thread is not None:
        return client.chat_postMessage(channel=thread.channel, thread_ts=thread.ts, **message)
    return client.chat_postMessage(channel=conversation.ticket.requester, **message)
