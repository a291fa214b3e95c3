"""A milestone's status buttons and due date, and the reason and due-date forms they open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import milestone_forms
from bot.blocks import milestones as render
from bot.commands import Handler, later
from bot.errors import after_ack
from bot.listeners.milestones.announce import after_change
from bot.listeners.milestones.changed import announce_later
from bot.listeners.milestones.places import (
    ClickedMilestone,
    clicked,
    meta_of,
    ref_of,
    refusals_told,
    short,
    today_of,
    told,
)
from bot.scope import Scope, scope_of
from bot.slack_text import normalize_incoming
from bot.where import Body, Where
from intake.milestone_service import DUE
from intake.milestones import MilestoneRefusal, MilestoneUnchanged
from intake.ticket import MilestoneStatus

NEEDS_FORM = (MilestoneStatus.AT_RISK, MilestoneStatus.BLOCKED)


@dataclass(frozen=True)
class SetStatus(ClickedMilestone):
    status: str = ""  # a MilestoneStatus that needs no reason


def set_status(command: SetStatus, scope: Scope, client: WebClient) -> None:
    ref, place = command.ref, command.place
    with refusals_told(scope, client, command.where, place, ref.ask):
        update = scope.milestones.update_status(
            ask_id=ref.ask,
            index=ref.index,
            status=MilestoneStatus(command.status),
            tag=ref.tag or None,
            **scope.actor,
        )
        after_change(scope, client, update, scope.user, place)


@after_ack
@told
def status(ack: Ack, body: Body, action: Body, client: WebClient, context: BoltContext) -> None:
    """A status that needs a reason opens its form here (the trigger_id expires in 3 s)."""
    match = render.STATUS_ACTION.match(action["action_id"])
    assert match is not None
    new, ref = MilestoneStatus(match[1]), ref_of(action)
    if new not in NEEDS_FORM:
        later(context, SetStatus(Where.of(body), ref, clicked(body), new.value), ack)
        return
    ack()
    scope, tag = scope_of(context), ref.tag or None
    conversation = scope.milestones.check(ask_id=ref.ask, index=ref.index, tag=tag, **scope.actor)
    form = milestone_forms.reason_form(conversation.ticket, ref.index, new, meta_of(body, ref))
    client.views_open(trigger_id=body["trigger_id"], view=form)


@after_ack
def reason(ack: Ack, body: Body, view: Body, client: WebClient, context: BoltContext) -> None:
    scope = scope_of(context)
    meta = milestone_forms.metadata(view)
    new = MilestoneStatus(meta["s"])
    text = normalize_incoming(forms.state_value(view["state"], "reason") or "").strip()
    if new is MilestoneStatus.BLOCKED and not text:
        ack(response_action="errors", errors={"reason": "Say what it is waiting for."})
        return
    try:
        update = scope.milestones.update_status(
            ask_id=int(meta["ask"]),
            index=int(meta["i"]),
            status=new,
            reason=text,
            tag=meta.get("t") or None,
            **scope.actor,
        )
    except MilestoneRefusal as refusal:
        ack(response_action="errors", errors={"reason": short(scope, refusal)})
        return
    announce_later(context, Where.of(body), update, meta, ack)


@after_ack
@told
def due(ack: Ack, body: Body, action: Body, client: WebClient, context: BoltContext) -> None:
    scope = scope_of(context)
    ack()
    ref = ref_of(action)
    conversation = scope.milestones.check(
        ask_id=ref.ask, index=ref.index, tag=ref.tag or None, what=DUE, **scope.actor
    )
    form = milestone_forms.due_form(conversation.ticket, ref.index, meta_of(body, ref))
    client.views_open(trigger_id=body["trigger_id"], view=form)


@after_ack
def save_due(ack: Ack, body: Body, view: Body, client: WebClient, context: BoltContext) -> None:
    scope = scope_of(context)
    meta = milestone_forms.metadata(view)
    picked = forms.state_value(view["state"], "due")
    text = normalize_incoming(forms.state_value(view["state"], "reason") or "").strip()
    errors = {}
    if not picked:
        errors["due"] = "Pick the new due date."
    elif date.fromisoformat(picked) < today_of(scope, client, scope.team_id, scope.user):
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
            tag=meta.get("t") or None,
            **scope.actor,
        )
    except MilestoneRefusal as refusal:
        field = "due" if isinstance(refusal, MilestoneUnchanged) else "reason"
        ack(response_action="errors", errors={field: short(scope, refusal)})
        return
    announce_later(context, Where.of(body), update, meta, ack)


LATER: dict[type, Handler] = {SetStatus: set_status}
