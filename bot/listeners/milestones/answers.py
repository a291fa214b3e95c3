"""The requester's answer to "is it done?": confirmed, or not yet (with what is missing)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import milestone_forms
from bot.blocks import milestones as render
from bot.commands import Handler, later
from bot.errors import after_ack
from bot.listeners.milestones.places import (
    Place,
    clicked,
    open_ask_form,
    refusals_told,
    short,
    stored_place,
    told,
    update_in_place,
)
from bot.scope import Scope, scope_of
from bot.slack_text import normalize_incoming
from bot.where import Body, Where
from intake.conversation import Conversation
from intake.milestones import MilestoneRefusal
from intake.ticket import Ticket


@dataclass(frozen=True)
class Confirm:
    """The requester says every milestone is done, clicking in ``place``."""

    where: Where
    ask_id: int
    place: Place | None


def confirm_now(command: Confirm, scope: Scope, client: WebClient) -> None:
    with refusals_told(scope, client, command.where, command.place, None):
        decision = scope.milestones.confirm_done(command.ask_id, scope.user)
        ticket = decision.ticket
        answered(scope, client, command.place, render.confirmed(ticket, scope.user))
        changed(scope, client, decision.conversation, command.place)
        tell_owner(client, ticket, render.owner_confirmed(ticket, ticket.requester))


@after_ack
def confirm(ack: Ack, body: Body, action: Body, context: BoltContext) -> None:
    later(context, Confirm(Where.of(body), int(action["value"]), clicked(body)), ack)


@after_ack
@told
def not_yet(ack: Ack, body: Body, action: Body, client: WebClient, context: BoltContext) -> None:
    def check(scope: Scope, ask_id: int) -> Conversation:
        return scope.milestones.check_answer(ask_id=ask_id, actor=scope.user)

    open_ask_form(ack, body, action, client, context, check, milestone_forms.not_done_form)


@after_ack
def save_not_done(ack: Ack, body: Body, view: Body, context: BoltContext) -> None:
    scope = scope_of(context)
    meta = milestone_forms.metadata(view)
    text = normalize_incoming(forms.state_value(view["state"], "reason") or "").strip()
    if not text:
        ack(response_action="errors", errors={"reason": "Say what is still missing."})
        return
    chosen = forms.state_value(view["state"], "milestone")
    try:
        answer = scope.milestones.not_done(
            int(meta["ask"]), scope.user, text, milestone=int(chosen) if chosen else None
        )
    except MilestoneRefusal as refusal:
        ack(response_action="errors", errors={"reason": short(scope, refusal)})
        return
    entry = answer.ticket.history.index(answer.entry)
    told = NotDoneTold(Where.of(body), answer.ticket.id or 0, entry, answer.reopened, meta)
    later(context, told, ack)


@dataclass(frozen=True)
class NotDoneTold:
    """The requester said what is missing (history ``entry``): show it where they were
    asked, everywhere the ask shows, and tell the owner."""

    where: Where
    ask_id: int
    entry: int
    reopened: int | None
    meta: Body  # the form's: where it was opened from


def not_done_told(command: NotDoneTold, scope: Scope, client: WebClient) -> None:
    conversation = scope.service.get(command.ask_id)
    ticket, place = conversation.ticket, stored_place(client, command.meta)
    entry = ticket.history[command.entry]
    answered(scope, client, place, render.answered_not_done(ticket, entry))
    changed(scope, client, conversation, place)
    tell_owner(client, ticket, render.owner_not_done(ticket, entry, command.reopened))


def answered(scope: Scope, client: WebClient, place: Place | None, message: Body) -> None:
    """The question, where it was answered, shows the answer (and is answered for good)."""
    if place is not None:
        update_in_place(client, place, message)
        scope.announcer.views.answered((place.channel, place.ts))


def changed(
    scope: Scope, client: WebClient, conversation: Conversation, place: Place | None
) -> None:
    scope.announcer.changed(client, conversation, scope.user, skip=skip(place))


def skip(place: Place | None) -> list[tuple[str, str]]:
    return [] if place is None else [(place.channel, place.ts)]


def tell_owner(client: WebClient, ticket: Ticket, message: Body) -> None:
    if ticket.owner:
        client.chat_postMessage(channel=ticket.owner, **message)


LATER: dict[type, Handler] = {Confirm: confirm_now, NotDoneTold: not_done_told}
