"""Adding milestones to an ask's plan (from the owner's DM) and removing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import milestone_forms
from bot.commands import Handler, later
from bot.errors import after_ack
from bot.listeners.milestones.announce import after_change
from bot.listeners.milestones.changed import announce_later
from bot.listeners.milestones.places import (
    ClickedMilestone,
    clicked,
    open_ask_form,
    ref_of,
    refusals_told,
    short,
    today_of,
    told,
)
from bot.scope import Scope, scope_of
from bot.slack_text import normalize_incoming
from bot.where import Body, Where
from intake.conversation import Conversation
from intake.milestones import MilestoneRefusal
from intake.ticket import Milestone


@after_ack
@told
def add(ack: Ack, body: Body, action: Body, client: WebClient, context: BoltContext) -> None:
    def check(scope: Scope, ask_id: int) -> Conversation:
        return scope.milestones.check(ask_id=ask_id, **scope.actor)

    open_ask_form(ack, body, action, client, context, check, milestone_forms.add_form)


@after_ack
def save_add(ack: Ack, body: Body, view: Body, client: WebClient, context: BoltContext) -> None:
    scope = scope_of(context)
    meta = milestone_forms.metadata(view)
    state = view["state"]
    title = normalize_incoming(forms.state_value(state, "title") or "").strip()
    picked = forms.state_value(state, "due")
    errors = {}
    if not title:
        errors["title"] = "Give the milestone a title."
    if picked and date.fromisoformat(picked) < today_of(scope, client, scope.team_id, scope.user):
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
        ask_id = int(meta["ask"])
        update = scope.milestones.add(ask_id=ask_id, milestone=milestone, **scope.actor)
    except MilestoneRefusal as refusal:
        ack(response_action="errors", errors={"title": short(scope, refusal)})
        return
    announce_later(context, Where.of(body), update, meta, ack)


@dataclass(frozen=True)
class RemoveMilestone(ClickedMilestone):
    pass


def remove_now(command: RemoveMilestone, scope: Scope, client: WebClient) -> None:
    ref, place = command.ref, command.place
    with refusals_told(scope, client, command.where, place, ref.ask):
        tag = ref.tag or None
        update = scope.milestones.remove(ask_id=ref.ask, index=ref.index, tag=tag, **scope.actor)
        after_change(scope, client, update, scope.user, place)


@after_ack
def remove(ack: Ack, body: Body, action: Body, context: BoltContext) -> None:
    later(context, RemoveMilestone(Where.of(body), ref_of(action), clicked(body)), ack)


LATER: dict[type, Handler] = {RemoveMilestone: remove_now}
