"""The requester's answer to "is it done?": confirmed, or not yet (with what is missing)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import milestone_forms
from bot.blocks import milestones as render
from bot.errors import after_ack
from bot.listeners.milestones.places import (
    clicked,
    meta_of,
    short,
    stored_place,
    told,
    update_in_place,
)
from bot.scope import scope_of
from bot.slack_text import normalize_incoming
from intake.milestones import MilestoneRefusal


@after_ack
@told
def confirm(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    user = body["user"]["id"]
    decision = scope.milestones.confirm_done(int(action["value"]), user)
    ticket = decision.ticket
    place = clicked(body)
    skip = []
    if place is not None:
        update_in_place(client, place, render.confirmed(ticket, user))
        scope.announcer.views.answered((place.channel, place.ts))
        skip.append((place.channel, place.ts))
    scope.announcer.changed(client, decision.conversation, user, skip=skip)
    if ticket.owner:
        client.chat_postMessage(
            channel=ticket.owner, **render.owner_confirmed(ticket, ticket.requester)
        )


@after_ack(inline=True)
@told
def not_yet(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    ask_id = int(action["value"])
    conversation = scope.milestones.check_answer(ask_id=ask_id, actor=body["user"]["id"])
    meta = meta_of(body, render.Ref(ask_id, -1))
    client.views_open(
        trigger_id=body["trigger_id"], view=milestone_forms.not_done_form(conversation.ticket, meta)
    )


@after_ack
def save_not_done(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    meta = milestone_forms.metadata(view)
    user = body["user"]["id"]
    text = normalize_incoming(forms.state_value(view["state"], "reason") or "").strip()
    if not text:
        ack(response_action="errors", errors={"reason": "Say what is still missing."})
        return
    chosen = forms.state_value(view["state"], "milestone")
    try:
        answer = scope.milestones.not_done(
            int(meta["ask"]), user, text, milestone=int(chosen) if chosen else None
        )
    except MilestoneRefusal as refusal:
        ack(response_action="errors", errors={"reason": short(scope, refusal)})
        return
    ack()
    ticket = answer.ticket
    place = stored_place(client, meta)
    skip = []
    if place is not None:
        update_in_place(client, place, render.answered_not_done(ticket, answer.entry))
        scope.announcer.views.answered((place.channel, place.ts))
        skip.append((place.channel, place.ts))
    scope.announcer.changed(client, answer.conversation, user, skip=skip)
    if ticket.owner:
        client.chat_postMessage(
            channel=ticket.owner,
            **render.owner_not_done(ticket, answer.entry, answer.reopened),
        )
