"""Follow-through in Slack: milestone status buttons (wherever a milestone line is shown: the
owner's DM, the weekly nudge), the reason and due-date forms, adding and removing milestones
from the owner's DM, and the requester's "is it done?" answer.

After every change: the message that was clicked is updated in place, every other message that
shows the ask is re-rendered (``bot.refresh``, through the announcer), a short note goes to the
ask's intake thread. Permissions are checked on the server
(MilestoneService) for every click; a refusal is told privately to whoever clicked.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot import forms
from bot.blocks import milestones as render
from bot.blocks.review import owner_message
from bot.errors import after_ack, tell
from bot.listeners.deps import Deps
from bot.refresh import read_message
from bot.slack_text import normalize_incoming
from bot.slack_text import user as mention
from intake.clock import local_today
from intake.conversation import Conversation
from intake.lifecycle import Action
from intake.milestone_service import DUE, MilestoneUpdate
from intake.milestones import MilestoneRefusal, MilestoneUnchanged, StalePlan
from intake.review import Decision
from intake.ticket import Milestone, MilestoneStatus
from storage import ask_messages

log = logging.getLogger(__name__)

Listener = TypeVar("Listener", bound=Callable[..., None])
NEEDS_FORM = (MilestoneStatus.AT_RISK, MilestoneStatus.BLOCKED)


def register(app: App, deps: Deps) -> None:
    service = deps.milestones

    def told(listener: Listener) -> Listener:
        """A refusal (not allowed, not possible, already so) is told to whoever clicked, with
        names and times filled in; a click on an out-of-date line refreshes it first. The
        listener must take ``body``, ``client`` and ``context``."""

        @functools.wraps(listener)
        def run(*args: Any, **kwargs: Any) -> None:
            try:
                listener(*args, **kwargs)
            except MilestoneRefusal as refusal:
                ack = kwargs.get("ack")
                if ack is not None and ack.response is None:
                    ack()
                body, client = kwargs["body"], kwargs["client"]
                if isinstance(refusal, StalePlan):
                    _refresh_clicked(deps, kwargs["context"], client, body)
                tell(client, body, refusal.message(mention, service.clock.now()))

        return run  # type: ignore[return-value]

    # -- status buttons ----------------------------------------------------------------------

    @app.action(render.STATUS_ACTION)
    @after_ack(inline=True)
    @told
    def status(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        match = render.STATUS_ACTION.match(action["action_id"])
        assert match is not None
        new = MilestoneStatus(match[1])
        ref = _ref(action)
        user = body["user"]["id"]
        is_lead = deps.leads.is_lead(client, user)
        if new in NEEDS_FORM:  # a reason first (required for blocked)
            conversation = deps.milestones_in(context).check(
                ask_id=ref.ask, actor=user, is_lead=is_lead, index=ref.index, tag=ref.tag or None
            )
            form = render.reason_form(conversation.ticket, ref.index, new, _meta(body, ref))
            client.views_open(trigger_id=body["trigger_id"], view=form)
            return
        update = deps.milestones_in(context).update_status(
            ask_id=ref.ask,
            index=ref.index,
            status=new,
            actor=user,
            is_lead=is_lead,
            tag=ref.tag or None,
        )
        after_change(client, update, user, _clicked(body))

    @app.view(render.REASON_MODAL)
    @after_ack
    def reason(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        meta = render.metadata(view)
        new = MilestoneStatus(meta["s"])
        text = normalize_incoming(forms.state_value(view["state"], "reason") or "").strip()
        if new is MilestoneStatus.BLOCKED and not text:
            ack(response_action="errors", errors={"reason": "Say what it is waiting for."})
            return
        user = body["user"]["id"]
        try:
            update = deps.milestones_in(context).update_status(
                ask_id=int(meta["ask"]),
                index=int(meta["i"]),
                status=new,
                actor=user,
                is_lead=deps.leads.is_lead(client, user),
                reason=text,
                tag=meta.get("t") or None,
            )
        except MilestoneRefusal as refusal:
            ack(response_action="errors", errors={"reason": _short(refusal)})
            return
        ack()
        after_change(client, update, user, _stored_place(client, meta))

    # -- due date --------------------------------------------------------------------------

    @app.action(re.compile(rf"^{render.DUE_ACTION}(:|$)"))
    @after_ack(inline=True)
    @told
    def due(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        ref = _ref(action)
        user = body["user"]["id"]
        conversation = deps.milestones_in(context).check(
            ask_id=ref.ask,
            actor=user,
            is_lead=deps.leads.is_lead(client, user),
            index=ref.index,
            tag=ref.tag or None,
            what=DUE,
        )
        form = render.due_form(conversation.ticket, ref.index, _meta(body, ref))
        client.views_open(trigger_id=body["trigger_id"], view=form)

    @app.view(render.DUE_MODAL)
    @after_ack
    def save_due(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        meta = render.metadata(view)
        user = body["user"]["id"]
        picked = forms.state_value(view["state"], "due")
        text = normalize_incoming(forms.state_value(view["state"], "reason") or "").strip()
        errors = {}
        if not picked:
            errors["due"] = "Pick the new due date."
        elif date.fromisoformat(picked) < _today(client, body["user"]["team_id"], user):
            errors["due"] = "That date is in the past; pick today or a later date."
        if not text:
            errors["reason"] = "Say why the date moves."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            update = deps.milestones_in(context).change_due(
                ask_id=int(meta["ask"]),
                index=int(meta["i"]),
                due=date.fromisoformat(picked),
                reason=text,
                actor=user,
                is_lead=deps.leads.is_lead(client, user),
                tag=meta.get("t") or None,
            )
        except MilestoneRefusal as refusal:
            field = "due" if isinstance(refusal, MilestoneUnchanged) else "reason"
            ack(response_action="errors", errors={field: _short(refusal)})
            return
        ack()
        after_change(client, update, user, _stored_place(client, meta))

    # -- adding and removing -----------------------------------------------------------------

    @app.action(render.ADD_ACTION)
    @after_ack(inline=True)
    @told
    def add(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user = body["user"]["id"]
        ask_id = int(action["value"])
        conversation = deps.milestones_in(context).check(
            ask_id=ask_id, actor=user, is_lead=deps.leads.is_lead(client, user)
        )
        meta = _meta(body, render.Ref(ask_id, -1))
        client.views_open(
            trigger_id=body["trigger_id"], view=render.add_form(conversation.ticket, meta)
        )

    @app.view(render.ADD_MODAL)
    @after_ack
    def save_add(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        meta = render.metadata(view)
        user = body["user"]["id"]
        state = view["state"]
        title = normalize_incoming(forms.state_value(state, "title") or "").strip()
        picked = forms.state_value(state, "due")
        errors = {}
        if not title:
            errors["title"] = "Give the milestone a title."
        if picked and date.fromisoformat(picked) < _today(client, body["user"]["team_id"], user):
            errors["due"] = "That date is in the past; pick today or a later date."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        milestone = Milestone(
            title=title,
            due=date.fromisoformat(picked) if picked else None,
            done_criterion=normalize_incoming(forms.state_value(state, "done") or "").strip(),
            owner=forms.state_value(state, "owner") or None,
        )
        try:
            update = deps.milestones_in(context).add(
                ask_id=int(meta["ask"]),
                milestone=milestone,
                actor=user,
                is_lead=deps.leads.is_lead(client, user),
            )
        except MilestoneRefusal as refusal:
            ack(response_action="errors", errors={"title": _short(refusal)})
            return
        ack()
        after_change(client, update, user, _stored_place(client, meta))

    @app.action(re.compile(rf"^{render.REMOVE_ACTION}(:|$)"))
    @after_ack
    @told
    def remove(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        ref = _ref(action)
        user = body["user"]["id"]
        update = deps.milestones_in(context).remove(
            ask_id=ref.ask,
            index=ref.index,
            actor=user,
            is_lead=deps.leads.is_lead(client, user),
            tag=ref.tag or None,
        )
        after_change(client, update, user, _clicked(body))

    # -- the requester's answer --------------------------------------------------------------

    @app.action(render.CONFIRM_DONE)
    @after_ack
    @told
    def confirm(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user = body["user"]["id"]
        decision = deps.milestones_in(context).confirm_done(int(action["value"]), user)
        ticket = decision.ticket
        place = _clicked(body)
        skip = []
        if place is not None:
            _update(client, place, render.confirmed(ticket, user))
            deps.announcer.views.answered((place.channel, place.ts))
            skip.append((place.channel, place.ts))
        deps.announcer.changed(client, decision.conversation, user, skip=skip)
        if ticket.owner:
            client.chat_postMessage(
                channel=ticket.owner, **render.owner_confirmed(ticket, ticket.requester)
            )

    @app.action(render.NOT_DONE)
    @after_ack(inline=True)
    @told
    def not_yet(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        ask_id = int(action["value"])
        conversation = deps.milestones_in(context).check_answer(
            ask_id=ask_id, actor=body["user"]["id"]
        )
        meta = _meta(body, render.Ref(ask_id, -1))
        client.views_open(
            trigger_id=body["trigger_id"], view=render.not_done_form(conversation.ticket, meta)
        )

    @app.view(render.NOT_DONE_MODAL)
    @after_ack
    def save_not_done(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        meta = render.metadata(view)
        user = body["user"]["id"]
        text = normalize_incoming(forms.state_value(view["state"], "reason") or "").strip()
        if not text:
            ack(response_action="errors", errors={"reason": "Say what is still missing."})
            return
        chosen = forms.state_value(view["state"], "milestone")
        try:
            answer = deps.milestones_in(context).not_done(
                int(meta["ask"]), user, text, milestone=int(chosen) if chosen else None
            )
        except MilestoneRefusal as refusal:
            ack(response_action="errors", errors={"reason": _short(refusal)})
            return
        ack()
        ticket = answer.ticket
        place = _stored_place(client, meta)
        skip = []
        if place is not None:
            _update(client, place, render.answered_not_done(ticket, answer.entry))
            deps.announcer.views.answered((place.channel, place.ts))
            skip.append((place.channel, place.ts))
        deps.announcer.changed(client, answer.conversation, user, skip=skip)
        if ticket.owner:
            client.chat_postMessage(
                channel=ticket.owner,
                **render.owner_not_done(ticket, answer.entry, answer.reopened),
            )

    # -- after a change ----------------------------------------------------------------------

    def after_change(
        client: WebClient, update: MilestoneUpdate, user: str, place: Place | None
    ) -> None:
        """Show the change where it was made first, then in every other message that shows
        the ask (the owner's DM, nudges, the review card: the announcer) and in the intake
        thread; ask the requester when every milestone is done."""
        conversation = update.conversation
        ticket = conversation.ticket
        today = _today(client, ticket.team_id, user)
        skip: set[tuple[str, str]] = set()
        if place is not None:
            if place.is_plan(ticket.id or 0):
                template = deps.templates.get(ticket.category)
                _update(client, place, owner_message(ticket, template, today))
            else:
                blocks = render.refresh(place.blocks, ticket, today=today)
                _update(client, place, {"text": place.text, "blocks": blocks})
            skip.add((place.channel, place.ts))
        if update.started is not None:  # also: the requester's thread hears it started
            deps.announcer.decided(
                client,
                Decision(conversation, Action.START, update.started, ticket.owner),
                skip=skip,
            )
        else:
            deps.announcer.changed(client, conversation, user, skip=skip)
        post_to_requester(
            client, conversation, render.change_note(ticket, update.milestone, update.change)
        )
        if update.ask_requester:  # its buttons go when the ask moves on without an answer
            question = render.confirm_request(ticket)
            posted = post_to_requester(client, conversation, question)
            views = deps.announcer.views
            views.record(ticket, posted, ask_messages.DONE_QUESTION, ticket.requester, question)

    def post_to_requester(
        client: WebClient, conversation: Conversation, message: dict[str, Any]
    ) -> SlackResponse:
        """In the ask's intake thread; in a DM when it has none (an intake from the terminal)."""
        thread = conversation.thread
        if thread is not None:
            return client.chat_postMessage(channel=thread.channel, thread_ts=thread.ts, **message)
        return client.chat_postMessage(channel=conversation.ticket.requester, **message)

    def _short(refusal: MilestoneRefusal) -> str:
        """A refusal as a form error (Slack shows ~150 characters under an input)."""
        return refusal.message(mention, service.clock.now())[:150]

    def _today(client: WebClient, team_id: str, user: str) -> date:
        return local_today(service.clock, deps.people.timezone(client, team_id, user))

    def _stored_place(client: WebClient, meta: dict[str, Any]) -> Place | None:
        """The message a form was opened from, as it is now (to update it in place)."""
        channel, ts = meta.get("ch"), meta.get("ts")
        if not channel or not ts:
            return None
        if meta.get("plan"):  # the owner's DM is re-rendered whole: no need to read it
            return Place(channel, ts, plan=True)
        message = read_message(client, channel, ts, meta.get("th"))
        if message is None:
            return None
        return Place(channel, ts, str(message.get("text", "")), list(message.get("blocks", [])))


@dataclass
class Place:
    """A message to update in place: where it is and what it shows now. ``plan``: the
    owner's DM of the ask, which is re-rendered whole."""

    channel: str
    ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    plan: bool = False

    def is_plan(self, ask_id: int) -> bool:
        return self.plan or render.is_plan_message(self.blocks, ask_id)


def _ref(action: dict[str, Any]) -> render.Ref:
    """The milestone a button is about: its value, checked by its line's fingerprint."""
    ref = render.parse_value(action["value"])
    line = render.parse_block(str(action.get("block_id", "")))
    tag = line.tag if line is not None and line.ask == ref.ask and line.index == ref.index else ""
    return render.Ref(ref.ask, ref.index, tag)


def _clicked(body: dict[str, Any]) -> Place | None:
    """The message a button was clicked in (None for an ephemeral message or a view)."""
    container = body.get("container") or {}
    message = body.get("message")
    if container.get("type") != "message" or container.get("is_ephemeral") or not message:
        return None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    if not channel:
        return None
    return Place(
        channel,
        str(container.get("message_ts") or message["ts"]),
        str(message.get("text", "")),
        list(message.get("blocks") or []),
    )


def _meta(body: dict[str, Any], ref: render.Ref) -> dict[str, Any]:
    """What a form needs to find the milestone and the message it was opened from."""
    meta: dict[str, Any] = {"ask": ref.ask, "i": ref.index, "t": ref.tag}
    place = _clicked(body)
    if place is not None:
        meta.update(ch=place.channel, ts=place.ts)
        thread_ts = (body.get("message") or {}).get("thread_ts")
        if thread_ts and thread_ts != place.ts:
            meta["th"] = thread_ts
        if place.is_plan(ref.ask):
            meta["plan"] = 1
    return meta


def _update(client: WebClient, place: Place, message: dict[str, Any]) -> None:
    try:
        client.chat_update(channel=place.channel, ts=place.ts, **message)
    except SlackApiError as exc:  # deleted meanwhile: the change itself is saved and announced
        if exc.response.get("error") not in ("message_not_found", "cant_update_message"):
            raise
        log.info("message %s in %s is gone; not updated", place.ts, place.channel)


def _refresh_clicked(
    deps: Deps, context: BoltContext, client: WebClient, body: dict[str, Any]
) -> None:
    """Show the current plan on an out-of-date message (after a click on a removed line)."""
    place = _clicked(body)
    action = (body.get("actions") or [{}])[0]
    if place is None or not action.get("value"):
        return
    conversation = deps.service_in(context).get(render.parse_value(action["value"]).ask)
    ticket = conversation.ticket
    if place.is_plan(ticket.id or 0):
        message = owner_message(ticket, deps.templates.get(ticket.category))
    else:
        message = {"text": place.text, "blocks": render.refresh(place.blocks, ticket)}
    _update(client, place, message)
