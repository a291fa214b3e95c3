"""Telling everyone concerned about a change to an ask, after it is saved: the review card in
the review channel (posted on submit, then updated in place), the requester's intake thread,
the owner's DM, and the Home tabs of the people involved."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import review as render
from bot.blocks import similar
from intake import readiness
from intake.clock import Clock
from intake.conversation import Conversation, Thread
from intake.lifecycle import Action
from intake.review import Decision, ReviewService
from intake.similar_asks import SimilarAsks
from intake.similarity import Match
from intake.templates.model import TemplateSet
from intake.ticket import Status

IN_REVIEW = (Status.SUBMITTED, Status.NEEDS_INFO)

log = logging.getLogger(__name__)

HomeRefresher = Callable[[WebClient, str, str], None]  # (client, team_id, user)


class Announcer:
    def __init__(
        self,
        review: ReviewService,
        templates: TemplateSet,
        clock: Clock,
        review_channel: str | None,
        refresh_home: HomeRefresher,
        similar_asks: SimilarAsks | None = None,
    ) -> None:
        self.similar_asks = similar_asks
        self.review = review
        self.templates = templates
        self.clock = clock
        self.review_channel = review_channel
        self.refresh_home = refresh_home

    def submitted(self, client: WebClient, conversation: Conversation) -> None:
        """A new ask for review: post its card."""
        if not self.review_channel:
            log.warning(
                "INTAKE_REVIEW_CHANNEL is not set; %s has no review card", conversation.ticket.key
            )
            return
        posted = client.chat_postMessage(channel=self.review_channel, **self._card(conversation))
        card = Thread(self.review_channel, str(posted["ts"]))
        assert conversation.ticket.id is not None
        self.review.attach_card(conversation.ticket.id, card)
        conversation.card = card

    def refresh_card(self, client: WebClient, conversation: Conversation) -> None:
        """Show the ask's current state on its card (status, who changed it and when)."""
        card = conversation.card
        if card is None:
            return
        try:
            client.chat_update(channel=card.channel, ts=card.ts, **self._card(conversation))
        except SlackApiError as exc:
            if exc.response.get("error") != "message_not_found":
                raise
            log.info("review card of %s was deleted; posting a new one", conversation.ticket.key)
            self.submitted(client, conversation)

    def decided(self, client: WebClient, decision: Decision) -> None:
        """After a lead's (or owner's, or requester's) action."""
        conversation = decision.conversation
        ticket = conversation.ticket
        self.refresh_card(client, conversation)
        if conversation.thread is not None:
            self._post(
                client,
                conversation.thread,
                render.requester_update(ticket, decision.entry, decision.action),
            )
        template = self.templates.get(ticket.category)
        owner_changed = decision.action is Action.ASSIGN and ticket.owner != decision.previous_owner
        if ticket.owner and (decision.action is Action.APPROVE or owner_changed):
            client.chat_postMessage(channel=ticket.owner, **render.owner_message(ticket, template))
        if decision.entry.from_status != decision.entry.to_status:
            update = similar.watcher_update(ticket, similar.status_words(ticket.status))
            for watcher in ticket.watchers:
                client.chat_postMessage(channel=watcher, **update)
        for person in {ticket.requester, ticket.owner, decision.entry.actor} - {None}:
            self.refresh_home(client, ticket.team_id, str(person))

    def _card(self, conversation: Conversation) -> dict[str, Any]:
        template = self.templates.get(conversation.ticket.category)
        check = readiness.check(conversation.ticket, template)
        matches = self._similar(conversation)
        return render.card(conversation, template, check, self.clock.now(), matches)

    def _similar(self, conversation: Conversation) -> list[Match]:
        """Open asks like this one, for the leads while it waits for review."""
        if self.similar_asks is None or conversation.ticket.status not in IN_REVIEW:
            return []
        return self.similar_asks.like(conversation.ticket)

    @staticmethod
    def _post(client: WebClient, thread: Thread, message: dict[str, Any]) -> None:
        client.chat_postMessage(channel=thread.channel, thread_ts=thread.ts, **message)
