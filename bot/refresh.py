"""One source of truth per message: every Slack message the bot posts about an ask is recorded
(``storage.ask_messages``: which message shows which ask, as what, for whom), and whenever the
ask changes every recorded message is re-rendered from the ask's current state with the
renderers of ``bot/blocks`` and updated in place (chat.update); the Home tabs of the people
involved are published again. Buttons that no longer apply go with the re-render: no *Cancel
ask* once the ask was decided, no milestone buttons on a finished ask, no owner's buttons for
someone who no longer owns it.

What is recorded, and how each kind is drawn again:

* ``review_card``: the card in the review channel (``bot.blocks.review.card``); a card that
  was deleted is posted again;
* ``submitted``: the requester's "Submitted as PLAT-1" in their intake thread;
* ``owner_dm``: the ticket and its plan in the owner's DM (``owner_message``, with dates in
  the owner's time zone); once the ask has another owner, a short note without buttons;
* ``nudge``: an owner's weekly nudge (recorded by ``bot.sender`` when it is sent). It may show
  several asks, so only this ask's milestone lines are drawn again, in the message as Slack
  has it now; nudges older than ``RECENT_NUDGES`` are left as they were (a click on one still
  refreshes it);
* ``questions``: a lead's questions in the requester's thread: *Edit ask* only while the ask
  waits for the answers;
* ``done_question``: "Is it done for you?": its buttons only while that question waits; once
  answered it shows the answer and is let go.

A message that would look as it does already is not sent again (a digest per message); one
deleted in Slack is let go.

The one hook: ``bot.announcer.Announcer.changed`` (and ``decided``, which every decision goes
through) calls ``AskViews.refresh``. Every call goes through the bot's paced client.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import Engine

from bot.blocks import handover, milestones
from bot.blocks import review as render
from bot.home import HomeTabs
from bot.leads import Leads
from bot.people import People
from bot.slack_text import is_user_id
from intake import readiness
from intake.clock import Clock, local_today
from intake.conversation import Conversation, Thread
from intake.lifecycle import Action
from intake.review import ReviewService
from intake.service import IntakeService, NotFound
from intake.similar_asks import SimilarAsks
from intake.similarity import Match
from intake.templates.model import TemplateSet
from intake.ticket import HistoryEntry, Status, Ticket
from storage import ask_messages as registry

if TYPE_CHECKING:
    from bot.bootstrap import Container

log = logging.getLogger(__name__)

HomeRefresher = Callable[[WebClient, str, Sequence[str]], None]  # (client, team_id, users)
Place = tuple[str, str]  # (channel, ts) of a message

IN_REVIEW = (Status.SUBMITTED, Status.NEEDS_INFO)
RECENT_NUDGES = timedelta(days=28)
# Slack's answers for a message that cannot be updated any more (deleted, or its channel).
GONE = frozenset({"message_not_found", "cant_update_message", "channel_not_found"})


@dataclass(eq=False)
class AskViews:
    engine: Engine
    intake: IntakeService
    review: ReviewService
    templates: TemplateSet
    clock: Clock
    people: People
    review_channel: str | None
    publish_homes: HomeRefresher
    similar_asks: SimilarAsks | None = None

    # -- recording ---------------------------------------------------------------------------

    def record(
        self,
        ticket: Ticket,
        posted: SlackResponse | Mapping[str, Any],
        kind: str,
        viewer: str | None,
        shown: Mapping[str, Any] | None = None,
    ) -> None:
        """The message Slack just answered for (its ``channel`` and ``ts``) shows ``ticket``;
        ``shown``: the message as it was posted."""
        if ticket.id is None:
            return
        registry.record(
            self.engine,
            team_id=ticket.team_id,
            ask_id=ticket.id,
            channel=str(posted["channel"]),
            ts=str(posted["ts"]),
            kind=kind,
            viewer=viewer,
            at=self.clock.now(),
            shown=digest(shown) if shown is not None else None,
        )

    def answered(self, place: Place) -> None:
        """A question in the message was answered and the message now shows the answer:
        it is left as it is from now on."""
        registry.forget(self.engine, *place)

    def post_card(self, client: WebClient, conversation: Conversation) -> None:
        """A new ask for review: its card in the review channel, recorded."""
        if not self.review_channel:
            log.warning(
                "INTAKE_REVIEW_CHANNEL is not set; %s has no review card", conversation.ticket.key
            )
            return
        shown = self.card(conversation)
        posted = client.chat_postMessage(channel=self.review_channel, **shown)
        card = Thread(str(posted["channel"]), str(posted["ts"]))
        assert conversation.ticket.id is not None
        self.review.attach_card(conversation.ticket.id, card)
        conversation.card = card
        self.record(conversation.ticket, posted, registry.REVIEW_CARD, None, shown)

    # -- re-rendering ------------------------------------------------------------------------

    def refresh(
        self,
        client: WebClient,
        conversation: Conversation,
        *,
        actor: str | None = None,
        skip: Collection[Place] = (),
    ) -> None:
        """Every recorded message of the ask as the ask is now (but those in ``skip``, already
        updated by the caller), then the Home tabs of the people involved."""
        self.refresh_messages(client, conversation, skip=skip)
        self.refresh_homes(client, conversation.ticket, actor)

    def refresh_messages(
        self, client: WebClient, conversation: Conversation, *, skip: Collection[Place] = ()
    ) -> None:
        if conversation.ticket.id is None:
            return
        # As the ask is now: a change committed since the caller's (another click, another
        # replica) is shown, not overwritten by the older state.
        conversation = self._latest(conversation)
        ticket = conversation.ticket
        assert ticket.id is not None
        oldest_nudge = self.clock.now() - RECENT_NUDGES
        for message in registry.of_ask(self.engine, ticket.id):
            if (message.channel, message.ts) in skip:  # what it shows now is the caller's
                if message.shown is not None:
                    registry.mark_shown(self.engine, ticket.id, message.channel, message.ts, None)
                continue
            if message.kind == registry.NUDGE and message.created_at < oldest_nudge:
                continue
            try:
                self._refresh_one(client, conversation, message)
            except SlackApiError as exc:
                error = str(exc.response.get("error") or exc.response.status_code)
                if error not in GONE:  # the change is saved; the next one tries again
                    log.warning("could not update %s of %s: %s", message.kind, ticket.key, error)
                    continue
                log.info("%s of %s is gone (%s); forgotten", message.kind, ticket.key, error)
                registry.forget(self.engine, message.channel, message.ts)
                if message.kind == registry.REVIEW_CARD:
                    self.post_card(client, conversation)

    def refresh_homes(
        self,
        client: WebClient,
        ticket: Ticket,
        actor: str | None = None,
        previous_owner: str | None = None,
    ) -> None:
        """The Home tabs of the requester, the owner (and the one before), the milestones'
        owners and whoever acted."""
        people = {ticket.requester, ticket.owner, previous_owner, actor}
        people |= {m.owner for m in ticket.milestones}
        persons = sorted(p for p in people if p and is_user_id(p))
        if persons:
            self.publish_homes(client, ticket.team_id, persons)

    def _latest(self, conversation: Conversation) -> Conversation:
        assert conversation.ticket.id is not None
        try:
            return self.intake.get(conversation.ticket.id)
        except NotFound:
            return conversation

    def card(self, conversation: Conversation) -> dict[str, Any]:
        template = self.templates.get(conversation.ticket.category)
        check = readiness.check(conversation.ticket, template)
        matches = self._similar(conversation)
        return render.card(conversation, template, check, self.clock.now(), matches)

    def _refresh_one(
        self, client: WebClient, conversation: Conversation, message: registry.AskMessage
    ) -> None:
        if message.kind == registry.NUDGE:
            self._refresh_lines(client, conversation.ticket, message)
            return
        shown = self._render(client, conversation, message)
        if shown is None:
            return
        now_shown = digest(shown)
        if now_shown == message.shown:
            return  # the same as it shows: not sent again
        client.chat_update(channel=message.channel, ts=message.ts, **shown)
        registry.mark_shown(self.engine, message.ask_id, message.channel, message.ts, now_shown)

    def _render(
        self, client: WebClient, conversation: Conversation, message: registry.AskMessage
    ) -> dict[str, Any] | None:
        """The whole message of this kind, as the ask is now."""
        ticket = conversation.ticket
        if message.kind == registry.REVIEW_CARD:
            return self.card(conversation)
        if message.kind == registry.SUBMITTED:
            return render.submitted_with_cancel(ticket)
        if message.kind == registry.OWNER_DM and message.viewer == ticket.owner:
            template = self.templates.get(ticket.category)
            return render.owner_message(ticket, template, self._today(client, message))
        if message.kind == registry.OWNER_DM:
            return handover.former_owner(ticket)
        if message.kind == registry.DONE_QUESTION:
            # An older question than the one asked now (a milestone reopened since) waits no more.
            since = ticket.done_requested_at
            waiting = bool(
                ticket.status is Status.IN_PROGRESS and since and message.created_at >= since
            )
            return milestones.confirm_request(ticket, waiting=waiting)
        if message.kind == registry.QUESTIONS:
            asked = questions_of(ticket, message.created_at)
            if asked is None:
                return None
            return render.requester_update(ticket, asked, Action.REQUEST_CHANGES)
        log.warning("no renderer for %s messages", message.kind)
        return None

    def _refresh_lines(
        self, client: WebClient, ticket: Ticket, message: registry.AskMessage
    ) -> None:
        """This ask's milestone lines in a message that may show other asks too, as Slack has
        the message now (so what else it shows, e.g. a snooze note, stays)."""
        current = read_message(client, message.channel, message.ts)
        if current is None:
            return
        blocks = list(current.get("blocks") or [])
        fresh = milestones.refresh(blocks, ticket, today=self._today(client, message))
        if fresh != blocks:
            client.chat_update(
                channel=message.channel,
                ts=message.ts,
                text=str(current.get("text", "")),
                blocks=fresh,
            )

    def _today(self, client: WebClient, message: registry.AskMessage) -> date | None:
        if message.viewer is None:
            return None
        return self.today_of(client, message.team_id, message.viewer)

    def today_of(self, client: WebClient, team_id: str, viewer: str) -> date:
        """``viewer``'s date today, in their time zone (for the dates their messages show)."""
        return local_today(self.clock, self.people.timezone(client, team_id, viewer))

    def _similar(self, conversation: Conversation) -> list[Match]:
        """Open asks like this one, for the leads while it waits for review."""
        if self.similar_asks is None or conversation.ticket.status not in IN_REVIEW:
            return []
        return self.similar_asks.like(conversation.ticket)


def questions_of(ticket: Ticket, posted_at: datetime) -> HistoryEntry | None:
    """The request for changes a questions message was posted for: the latest one before it."""
    asked = [
        entry
        for entry in ticket.history
        if entry.to_status is Status.NEEDS_INFO and entry.at <= posted_at
    ]
    return asked[-1] if asked else None


def digest(message: Mapping[str, Any]) -> str:
    """What a message shows (its text and blocks), in 64 characters."""
    content = {"text": message.get("text"), "blocks": message.get("blocks")}
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def views_for(
    container: Container, people: People | None = None, homes: HomeTabs | None = None
) -> AskViews:
    """The views of ``container``'s asks. The app passes the people and Home tabs its
    listeners use; work outside a request (the scheduler's auto-complete) gets its own."""
    settings = container.settings
    people = people or People(container.db_engine, settings.intake_timezone)
    leads = Leads(settings.intake_leads)
    homes = homes or HomeTabs(
        container.intake, leads, settings.intake_timezone, container.db_engine, people
    )
    return AskViews(
        container.db_engine,
        container.intake,
        container.review,
        container.templates,
        container.clock,
        people,
        settings.intake_review_channel,
        homes.publish_many,
        container.similar,
    )


def record_nudge(
    engine: Engine,
    *,
    team_id: str,
    viewer: str,
    blocks: list[dict[str, Any]],
    channel: str,
    ts: str,
    at: datetime,
) -> None:
    """A weekly nudge just sent (``bot.sender``): it shows every ask it has milestone lines of
    (their block_ids say which, ``bot.blocks.milestones``). Nudges older than
    ``RECENT_NUDGES`` are no longer kept up to date."""
    asks = []
    for block in blocks:
        line = milestones.parse_block(str(block.get("block_id", "")))
        if line is not None and line.ask not in asks:
            asks.append(line.ask)
    for ask in asks:
        registry.record(
            engine,
            team_id=team_id,
            ask_id=ask,
            channel=channel,
            ts=ts,
            kind=registry.NUDGE,
            viewer=viewer,
            at=at,
        )
    registry.forget_older(engine, registry.NUDGE, at - RECENT_NUDGES)


def read_message(
    client: WebClient, channel: str, ts: str, thread_ts: str | None = None
) -> dict[str, Any] | None:
    """One message as Slack has it now, by its ts (a thread reply when ``thread_ts`` is
    given); None when it is not there or cannot be read."""
    try:
        if thread_ts:
            cursor = None
            for _page in range(5):
                page = client.conversations_replies(
                    channel=channel, ts=thread_ts, cursor=cursor, limit=200
                )
                for found in page.get("messages") or []:
                    if found.get("ts") == ts:
                        return dict(found)
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
            return None
        history = client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        for found in history.get("messages") or []:
            if found.get("ts") == ts:
                return dict(found)
    except SlackApiError as exc:
        log.info("could not read message %s in %s: %s", ts, channel, exc.response.get("error"))
    return None
