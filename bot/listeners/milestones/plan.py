"""Adding milestones to an ask's plan (from the owner's DM) and removing them."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import milestone_forms
from bot.blocks import milestones as render
from bot.errors import after_ack
from bot.listeners.milestones.announce import after_change
from bot.listeners.milestones.places import (
    clicked,
    meta_of,
    ref_of,
    short,
    stored_place,
    today_of,
    told,
)
from bot.scope import scope_of
from bot.slack_text import normalize_incoming
from intake.milestones import MilestoneRefusal
from intake.ticket import Milestone


@after_ack(inline=True)
@told
def add(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    user = body["user"]["id"]
    ask_id = int(action["value"])
    conversation = scope.milestones.check(ask_id=ask_id, actor=user, is_lead=scope.is_lead)
    meta = meta_of(body, render.Ref(ask_id, -1))
    client.views_open(
        trigger_id=body["trigger_id"], view=milestone_forms.add_form(conversation.ticket, meta)
    )


@after_ack
def save_add(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    meta = milestone_forms.metadata(view)
    user = body["user"]["id"]
    state = view["state"]
    title = normalize_incoming(forms.state_value(state, "title") or "").strip()
    picked = forms.state_value(state, "due")
    errors = {}
    if not title:
        errors["title"] = "Give the milestone a title."
    if picked and date.fromisoformat(picked) < today_of(
        scope, client, body["user"]["team_id"], user
    ):
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
        update = scope.milestones.add(
            ask_id=int(meta["ask"]),
            milestone=milestone,
            actor=user,
            is_lead=scope.is_lead,
        )
    except MilestoneRefusal as refusal:
        ack(response_action="errors", errors={"title": short(scope, refusal)})
        return
    ack()
    after_change(scope, client, update, user, stored_place(client, meta))


@after_ack
@told
def remove(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    ref = ref_of(action)
    user = body["user"]["id"]
    update = scope.milestones.remove(
        ask_id=ref.ask,
        index=ref.index,
        actor=user,
        is_lead=scope.is_lead,
        tag=ref.tag or None,
    )
    after_change(scope, client, update, user, clicked(body))
