"""Telling everyone concerned about a change to an ask, after it is saved: the one place every
change goes through. ``changed`` re-renders every message the bot posted about the ask (the
review card, the requester's "Submitted" message, the owner's DM, nudges: ``bot.refresh``)
and publishes the Home tabs of the people involved; ``decided`` does that after a lead's (or
owner's, or requester's) action and also tells the requester, DMs a new owner and the
watchers; ``milestone_changed`` does the former after a milestone change (made in Slack or in
the tracker) and tells the requester: in their intake thread, or in a DM when the ask has
none (``post_to_requester``)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.blocks import milestones, similar
from bot.blocks import review as render
from bot.refresh import AskViews, Place
from bot.slack_text import is_user_id
from intake.conversation import Conversation
from intake.lifecycle import Action
from intake.milestone_service import MilestoneUpdate
from intake.review import Decision
from intake.templates.model import TemplateSet
from storage import ask_messages as registry

log = logging.getLogger(__name__)


class Announcer:
    def __init__(self, views: AskViews, templates: TemplateSet) -> None:
        self.views = views
        self.templates = templates

    def submitted(self, client: WebClient, conversation: Conversation) -> None:
        """A new ask for review: post its card."""
        self.views.post_card(client, conversation)

    def changed(
        self,
        client: WebClient,
        conversation: Conversation,
        actor: str | None = None,
        *,
        skip: Collection[Place] = (),
    ) -> None:
        """The ask changed (fields, watchers, milestones, status): every message that shows it
        and the Home tabs of the people involved, as it is now. ``skip``: messages the caller
        updated already (the one clicked)."""
        self.views.refresh(client, conversation, actor=actor, skip=skip)

    def decided(
        self,
        client: WebClient,
        decision: Decision,
        *,
        skip: Collection[Place] = (),
        tell_requester: bool = True,
    ) -> None:
        """After a lead's (or owner's, or requester's) action; ``tell_requester=False``: the
        caller says it in the thread in words of its own (a change made in the tracker)."""
        conversation = decision.conversation
        ticket = conversation.ticket
        self.views.refresh_messages(client, conversation, skip=skip)
        if tell_requester:
            note = render.requester_update(ticket, decision.entry, decision.action)
            posted = post_to_requester(client, conversation, note)
            if posted is not None and decision.action is Action.REQUEST_CHANGES:
                # its Edit ask goes once answered
                self.views.record(ticket, posted, registry.QUESTIONS, ticket.requester, note)
        template = self.templates.get(ticket.category)
        owner_changed = decision.action is Action.ASSIGN and ticket.owner != decision.previous_owner
        if ticket.owner and (decision.action is Action.APPROVE or owner_changed):
            today = self.views.today_of(client, ticket.team_id, ticket.owner)
            dm = render.owner_message(ticket, template, today)
            posted = client.chat_postMessage(channel=ticket.owner, **dm)
            self.views.record(ticket, posted, registry.OWNER_DM, ticket.owner, dm)
        if decision.entry.from_status != decision.entry.to_status:
            update = similar.watcher_update(ticket, similar.status_words(ticket.status))
            for watcher in ticket.watchers:
                client.chat_postMessage(channel=watcher, **update)
        self.views.refresh_homes(client, ticket, decision.entry.actor, decision.previous_owner)

    def milestone_changed(
        self,
        client: WebClient,
        update: MilestoneUpdate,
        note: dict[str, Any],
        *,
        actor: str | None = None,
        skip: Collection[Place] = (),
    ) -> None:
        """After a milestone change: every message that shows the ask (``decided`` when the
        change started the ask, so the requester's thread hears that too), ``note`` in the
        intake thread, and the requester asked to confirm when every milestone is done (its
        buttons go when the ask moves on without an answer)."""
        conversation = update.conversation
        ticket = conversation.ticket
        if update.started is not None:
            started = Decision(conversation, Action.START, update.started, ticket.owner)
            self.decided(client, started, skip=skip)
        else:
            self.changed(client, conversation, actor, skip=skip)
        post_to_requester(client, conversation, note)
        if update.ask_requester:
            question = milestones.confirm_request(ticket)
            posted = post_to_requester(client, conversation, question)
            if posted is not None:
                self.views.record(
                    ticket, posted, registry.DONE_QUESTION, ticket.requester, question
                )


def post_to_requester(
    client: WebClient, conversation: Conversation, message: dict[str, Any]
) -> SlackResponse | None:
    """In the ask's intake thread; in a DM when it has none. Nothing (None) when it has no
    thread and its requester is no Slack user (an intake from the terminal, by a login name)."""
    thread = conversation.thread
    if thread is not None:
        return client.chat_postMessage(channel=thread.channel, thread_ts=thread.ts, **message)
    if not is_user_id(conversation.ticket.requester):
        return None
    return client.chat_postMessage(channel=conversation.ticket.requester, **message)
