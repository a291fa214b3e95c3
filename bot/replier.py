"""Posting what the intake engine said into the intake thread.

Called after the service has committed, so every message here describes saved state. The
question and draft messages are updated in place rather than repeated.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.announcer import Announcer
from bot.blocks import intake as render
from bot.blocks import review, similar
from bot.slack_text import safe
from intake.clock import local_today
from intake.conversation import Conversation, Phase, Thread
from intake.replies import (
    Cancelled,
    Corrected,
    Draft,
    Joined,
    Notice,
    NotReady,
    Question,
    Reply,
    Resubmitted,
    Submitted,
    Understood,
)
from intake.request_types import TYPE_FIELD
from intake.service import IntakeService, Outcome
from intake.similar_asks import SimilarAsks
from storage import ask_messages

log = logging.getLogger(__name__)


class Replier:
    def __init__(
        self, service: IntakeService, announcer: Announcer, similar_asks: SimilarAsks | None = None
    ) -> None:
        self.service = service
        self.announcer = announcer
        self.similar_asks = similar_asks

    def open_dm_thread(
        self, client: WebClient, user: str, opening_text: str, source_note: str = ""
    ) -> Thread:
        """A new thread in the requester's DM with the bot, rooted at their ask."""
        channel = client.conversations_open(users=user)["channel"]["id"]
        posted = client.chat_postMessage(
            channel=channel, **render.opening(opening_text, source_note)
        )
        return Thread(channel=channel, ts=posted["ts"])

    def deliver(self, client: WebClient, outcome: Outcome, user: str) -> None:
        conversation = outcome.conversation
        thread = conversation.thread
        if thread is None:
            raise RuntimeError(f"intake {conversation.ticket.id} has no thread to reply in")
        if outcome.answered is not None:
            self._mark_answered(client, conversation, thread, *outcome.answered)
        replies: list[Reply] = list(outcome.replies)
        started = any(isinstance(reply, Understood) for reply in replies)
        first_draft = conversation.draft_ts is None and any(isinstance(r, Draft) for r in replies)
        if started or first_draft:  # before the question or draft, so that stays the last word
            self.suggest_similar(client, conversation, thread, draft=not started)
        for reply in replies:
            self._post(client, conversation, thread, user, reply)

    def suggest_similar(
        self, client: WebClient, conversation: Conversation, thread: Thread, *, draft: bool
    ) -> None:
        """Open asks like this intake, with Join and Not the same (when an intake starts, and
        again when its draft is first shown)."""
        if self.similar_asks is None or conversation.phase in (Phase.SUBMITTED, Phase.CANCELLED):
            return
        matches = self.similar_asks.like(conversation.ticket, exclude=conversation.dismissed)
        if matches:
            message = similar.suggestions(
                _ask_id(conversation),
                matches,
                draft=draft,
                requester=conversation.ticket.requester,
            )
            self._post_in_thread(client, thread, message)

    # -- one reply --------------------------------------------------------------------------

    def _post(
        self,
        client: WebClient,
        conversation: Conversation,
        thread: Thread,
        user: str,
        reply: Reply,
    ) -> None:
        ask_id = _ask_id(conversation)
        template = self.service.engine.template(conversation)
        today = local_today(self.service.clock, conversation.tz)  # the requester's
        if isinstance(reply, Understood):  # its own message: the next one never overwrites it
            self._post_in_thread(client, thread, render.understood(reply, today))
        elif isinstance(reply, Corrected):
            self._post_in_thread(client, thread, render.corrected(reply.changes, today))
        elif isinstance(reply, Question):
            ts = self._post_in_thread(client, thread, render.question(ask_id, reply))
            self.service.remember_messages(ask_id, question_ts=ts)
            conversation.question_ts = ts
        elif isinstance(reply, Draft):
            message = render.draft(ask_id, reply.ticket, template, reply.readiness, today)
            if conversation.draft_ts and self._update(
                client, thread, conversation.draft_ts, message
            ):
                if reply.changed:
                    self._post_in_thread(client, thread, render.draft_changed(reply.changed))
                return
            ts = self._post_in_thread(client, thread, message)
            self.service.remember_messages(ask_id, draft_ts=ts)
            conversation.draft_ts = ts
        elif isinstance(reply, NotReady):
            self._post_in_thread(
                client,
                thread,
                render.not_ready(ask_id, conversation.ticket.requester, reply.readiness),
            )
        elif isinstance(reply, Submitted):
            ticket = reply.ticket
            if conversation.draft_ts:
                note = f":inbox_tray: Submitted as *{ticket.key}*"
                self._update(
                    client,
                    thread,
                    conversation.draft_ts,
                    render.closed_draft(ticket, template, note, today),
                )
            shown = review.submitted_with_cancel(ticket)
            posted = client.chat_postMessage(channel=thread.channel, thread_ts=thread.ts, **shown)
            views = self.announcer.views
            views.record(ticket, posted, ask_messages.SUBMITTED, ticket.requester, shown)
            self.announcer.submitted(client, conversation)
        elif isinstance(reply, Resubmitted):
            changed = f" (changed: {safe(', '.join(reply.changed), 300)})" if reply.changed else ""
            self._post_in_thread(
                client,
                thread,
                render.notice(f"Thanks! I sent your answer back to the platform team{changed}."),
            )
            self.announcer.changed(client, conversation, user)
        elif isinstance(reply, Cancelled):
            if conversation.draft_ts:
                message = render.closed_draft(
                    reply.ticket, template, ":wastebasket: Cancelled", today
                )
                self._update(client, thread, conversation.draft_ts, message)
            self._post_in_thread(client, thread, render.cancelled())
        elif isinstance(reply, Joined):
            if conversation.draft_ts:
                note = f":handshake: Joined {reply.target.key} instead"
                message = render.closed_draft(reply.ticket, template, note, today)
                self._update(client, thread, conversation.draft_ts, message)
            self._post_in_thread(client, thread, similar.joined(reply.target))
            target = self.service.find(reply.target.key or "", reply.target.team_id)
            if target is not None:
                self.announcer.changed(client, target, user)
        elif isinstance(reply, Notice):
            self.notify(client, thread, user, reply.text)

    def notify(self, client: WebClient, thread: Thread, user: str, text: str) -> None:
        """A note only ``user`` sees, in the thread."""
        client.chat_postEphemeral(
            channel=thread.channel, user=user, thread_ts=thread.ts, **render.notice(text)
        )

    # -- Slack calls ------------------------------------------------------------------------

    def _post_in_thread(self, client: WebClient, thread: Thread, message: dict[str, Any]) -> str:
        posted = client.chat_postMessage(channel=thread.channel, thread_ts=thread.ts, **message)
        return str(posted["ts"])

    def _update(self, client: WebClient, thread: Thread, ts: str, message: dict[str, Any]) -> bool:
        """Edit a message in place; False when it is gone (deleted), so the caller reposts."""
        try:
            client.chat_update(channel=thread.channel, ts=ts, **message)
        except SlackApiError as exc:
            if exc.response.get("error") in ("message_not_found", "cant_update_message"):
                log.info("message %s in %s is gone; posting a new one", ts, thread.channel)
                return False
            raise
        return True

    def _mark_answered(
        self, client: WebClient, conversation: Conversation, thread: Thread, field: str, number: int
    ) -> None:
        if not conversation.question_ts:
            return
        template = self.service.engine.template(conversation)
        if field == TYPE_FIELD:  # "A or B?": the type it is filed under now
            shown = render.answered("Which request type is this?", number, template.name)
            self._update(client, thread, conversation.question_ts, shown)
            return
        spec = template.field(field)
        if spec is None:
            return
        ticket = conversation.ticket
        value = ticket.get(field)
        if field == "deadline" and ticket.no_deadline:
            answer, skipped = "no deadline", False
        else:
            answer = render.describe(value, spec.type, spec.unit)
            skipped = field in conversation.skipped or value in (None, "", [])
        note = ticket.answer_notes.get(field, "")
        shown = render.answered(spec.question, number, answer, skipped=skipped, note=note)
        self._update(client, thread, conversation.question_ts, shown)


def _ask_id(conversation: Conversation) -> int:
    assert conversation.ticket.id is not None
    return conversation.ticket.id
