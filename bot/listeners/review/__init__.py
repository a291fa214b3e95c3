"""The platform team's side: buttons on the review card and the owner's DM, the forms they
open, and the requester's "Cancel ask". Permissions are checked on the server for every click
(ReviewService), never by hiding buttons."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import review as card
from bot.blocks import review_modals as modals
from bot.commands import Handler, later
from bot.errors import after_ack
from bot.scope import Scope, scope_of
from bot.slack_text import user as mention
from bot.where import Body, Where
from intake.lifecycle import Action, Refusal
from intake.review import Decision
from intake.ticket import Milestone

# Buttons that open a form first, and the form each opens.
FORMS = {
    card.APPROVE: (Action.APPROVE, modals.approve),
    card.REQUEST_CHANGES: (Action.REQUEST_CHANGES, modals.request_changes),
    card.DECLINE: (Action.DECLINE, modals.decline),
    card.ASSIGN: (Action.ASSIGN, modals.assign),
}


@after_ack
def open_form(ack: Ack, body: Body, action: Body, client: WebClient, context: BoltContext) -> None:
    """Opens its form here, never later: the trigger_id expires 3 s after the click."""
    scope = scope_of(context)
    ack()
    kind, build = FORMS[action["action_id"]]
    conversation = scope.review.check(ask_id=int(action["value"]), action=kind, **scope.actor)
    client.views_open(trigger_id=body["trigger_id"], view=build(conversation.ticket))


# Buttons that act at once, no form: the use case each runs.
MOVES: dict[str, Callable[[Scope, int], Decision]] = {
    card.START: lambda scope, ask: scope.review.start(ask_id=ask, **scope.actor),
    card.COMPLETE: lambda scope, ask: scope.review.complete(ask_id=ask, **scope.actor),
    card.REOPEN: lambda scope, ask: scope.review.reopen(ask_id=ask, **scope.actor),
    card.CANCEL_ASK: lambda scope, ask: scope.review.cancel(ask_id=ask, actor=scope.user),
}


@dataclass(frozen=True)
class Move:
    """A button on the card that acts at once: start, complete, reopen, or cancel the ask."""

    where: Where
    ask_id: int
    move: str  # a key of MOVES


def move_now(command: Move, scope: Scope, client: WebClient) -> None:
    scope.announcer.decided(client, MOVES[command.move](scope, command.ask_id))


@after_ack
def move(ack: Ack, body: Body, action: Body, context: BoltContext) -> None:
    later(context, Move(Where.of(body), int(action["value"]), action["action_id"]), ack)


@after_ack  # the open form is updated here: the person is looking at it
def add_milestone(ack: Ack, body: Body, client: WebClient, context: BoltContext) -> None:
    ack()
    _replan(scope_of(context), client, body["view"], add=True)


@after_ack
def remove_milestone(
    ack: Ack, body: Body, action: Body, client: WebClient, context: BoltContext
) -> None:
    ack()
    _replan(scope_of(context), client, body["view"], remove=action["value"])


@dataclass(frozen=True)
class Announce:
    """Tell everyone concerned about a decision made before the ack (a form's)."""

    where: Where
    ask_id: int
    action: str  # an Action
    entry: int  # the decision's entry in the ask's history
    previous_owner: str | None


def announce(command: Announce, scope: Scope, client: WebClient) -> None:
    conversation = scope.service.get(command.ask_id)
    entry = conversation.ticket.history[command.entry]
    action, owner = Action(command.action), command.previous_owner
    scope.announcer.decided(client, Decision(conversation, action, entry, owner))


def announce_later(context: BoltContext, where: Where, decision: Decision, ack: Ack) -> None:
    entry = decision.ticket.history.index(decision.entry)
    ask_id = decision.ticket.id or 0
    action, owner = decision.action.value, decision.previous_owner
    later(context, Announce(where, ask_id, action, entry, owner), ack)


@after_ack
def approve(ack: Ack, body: Body, view: Body, context: BoltContext) -> None:
    rows = modals.metadata(view)["rows"]
    values, errors = forms.read_approve(view["state"], rows)
    decide(ack, body, view, context, errors, "owner", "approve", **values)


@after_ack
def request_changes(ack: Ack, body: Body, view: Body, context: BoltContext) -> None:
    state, problem = view["state"], "Ask at least one question."
    questions, errors = forms.read_required_text(state, "questions", problem)
    decide(ack, body, view, context, errors, "questions", "request_changes", questions=questions)


@after_ack
def decline(ack: Ack, body: Body, view: Body, context: BoltContext) -> None:
    reason, errors = forms.read_required_text(view["state"], "reason", "A reason is required.")
    decide(ack, body, view, context, errors, "reason", "decline", reason=reason)


@after_ack
def assign(ack: Ack, body: Body, view: Body, context: BoltContext) -> None:
    owner = forms.state_value(view["state"], "owner")
    errors = {} if owner else {"owner": "Choose who owns this work."}
    decide(ack, body, view, context, errors, "owner", "assign", owner=owner)


def decide(
    ack: Ack,
    body: Body,
    view: Body,
    context: BoltContext,
    errors: dict[str, str],
    field: str,
    use_case: str,
    **values: Any,
) -> None:
    """Submit a form: errors next to the input; else the decision now (a refusal goes next to
    the input too) and its announcements later."""
    if errors:
        ack(response_action="errors", errors=errors)
        return
    scope = scope_of(context)
    act = getattr(scope.review, use_case)
    try:
        decision = act(ask_id=int(modals.metadata(view)["ask"]), **scope.actor, **values)
    except Refusal as refusal:
        ack(response_action="errors", errors={field: refused(scope, refusal)})
        return
    announce_later(context, Where.of(body), decision, ack)


def refused(scope: Scope, refusal: Refusal) -> str:
    """A refusal as a form error (Slack shows at most ~150 characters under an input)."""
    return refusal.message(mention, scope.review.clock.now())[:150]


def _replan(
    scope: Scope,
    client: WebClient,
    view: Body,
    *,
    add: bool = False,
    remove: str = "",
) -> None:
    """Rebuild the approve form with a milestone more or less, keeping what was typed."""
    meta = modals.metadata(view)
    rows = modals.milestones_from_view(view, meta["rows"])
    if remove:
        rows = [(row, m) for row, m in rows if row != remove]
    if add and len(rows) < modals.MAX_MILESTONES:
        # A fresh block id: Slack keeps typed values by block id, so never reuse a removed one.
        rows.append((f"m{secrets.token_hex(3)}", Milestone(title="")))
    conversation = scope.service.get(int(meta["ask"]))
    client.views_update(
        view_id=view["id"], hash=view.get("hash"), view=modals.approve(conversation.ticket, rows)
    )


# -- registration ------------------------------------------------------------------------

ACTIONS: dict[str | re.Pattern[str], Callable[..., None]] = {
    re.compile(f"^({'|'.join(FORMS)})$"): open_form,
    re.compile(f"^({'|'.join(MOVES)})$"): move,
    modals.ADD_MILESTONE: add_milestone,
    re.compile(f"^{modals.REMOVE_MILESTONE}:"): remove_milestone,
}

VIEWS: dict[str | re.Pattern[str], Callable[..., None]] = {
    modals.APPROVE_MODAL: approve,
    modals.REQUEST_CHANGES_MODAL: request_changes,
    modals.DECLINE_MODAL: decline,
    modals.ASSIGN_MODAL: assign,
}

LATER: dict[type, Handler] = {Move: move_now, Announce: announce}
