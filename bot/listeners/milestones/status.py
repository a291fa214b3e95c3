"""A milestone's status buttons and due date, and the reason and due-date forms they open."""

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
from intake.milestone_service import DUE
from intake.milestones import MilestoneRefusal, MilestoneUnchanged
from intake.ticket import MilestoneStatus

NEEDS_FORM = (MilestoneStatus.AT_RISK, MilestoneStatus.BLOCKED)


@after_ack(inline=True)
@told
def status(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    match = render.STATUS_ACTION.match(action["action_id"])
    assert match is not None
    new = MilestoneStatus(match[1])
    ref = ref_of(action)
    user = body["user"]["id"]
    is_lead = scope.is_lead
    if new in NEEDS_FORM:  # a reason first (required for blocked)
        conversation = scope.milestones.check(
            ask_id=ref.ask, actor=user, is_lead=is_lead, index=ref.index, tag=ref.tag or None
        )
        form = milestone_forms.reason_form(conversation.ticket, ref.index, new, meta_of(body, ref))
        client.views_open(trigger_id=body["trigger_id"], view=form)
        return
    update = scope.milestones.update_status(
        ask_id=ref.ask,
        index=ref.index,
        status=new,
        actor=user,
        is_lead=is_lead,
        tag=ref.tag or None,
    )
    after_change(scope, client, update, user, clicked(body))


@after_ack
def reason(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    meta = milestone_forms.metadata(view)
    new = MilestoneStatus(meta["s"])
    text = normalize_incoming(forms.state_value(view["state"], "reason") or "").strip()
    if new is MilestoneStatus.BLOCKED and not text:
        ack(response_action="errors", errors={"reason": "Say what it is waiting for."})
        return
    user = body["user"]["id"]
    try:
        update = scope.milestones.update_status(
            ask_id=int(meta["ask"]),
            index=int(meta["i"]),
            status=new,
            actor=user,
            is_lead=scope.is_lead,
            reason=text,
            tag=meta.get("t") or None,
        )
    except MilestoneRefusal as refusal:
        ack(response_action="errors", errors={"reason": short(scope, refusal)})
        return
    ack()
    after_change(scope, client, update, user, stored_place(client, meta))


@after_ack(inline=True)
@told
def due(
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
    conversation = scope.milestones.check(
        ask_id=ref.ask,
        actor=user,
        is_lead=scope.is_lead,
        index=ref.index,
        tag=ref.tag or None,
        what=DUE,
    )
    form = milestone_forms.due_form(conversation.ticket, ref.index, meta_of(body, ref))
    client.views_open(trigger_id=body["trigger_id"], view=form)


@after_ack
def save_due(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    meta = milestone_forms.metadata(view)
    user = body["user"]["id"]
    picked = forms.state_value(view["state"], "due")
    text = normalize_incoming(forms.state_value(view["state"], "reason") or "").strip()
    errors = {}
    if not picked:
        errors["due"] = "Pick the new due date."
    elif date.fromisoformat(picked) < today_of(scope, client, body["user"]["team_id"], user):
        errors["due"] = "That date is in the past; pick today or a later date."
    if not text:
        errors["reason"] = "Say why the date moves."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    try:
        update = scope.milestones.change_due(
            ask_id=int(meta["ask"]),
            index=int(meta["i"]),
            due=date.fromisoformat(picked),
            reason=text,
            actor=user,
            is_lead=scope.is_lead,
            tag=meta.get("t") or None,
        )
    except MilestoneRefusal as refusal:
        field = "due" if isinstance(refusal, MilestoneUnchanged) else "reason"
        ack(response_action="errors", errors={field: short(scope, refusal)})
        return
    ack()
    after_change(scope, client, update, user, stored_place(client, meta))
