"""The platform team's side: buttons on the review card and the owner's DM, the forms they
open, and the requester's "Cancel ask". Permissions are checked on the server for every click
(ReviewService), never by hiding buttons."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import review as card
from bot.blocks import review_modals as modals
from bot.errors import after_ack
from bot.scope import Scope, scope_of
from bot.slack_text import user as mention
from intake.lifecycle import Action, Refusal
from intake.review import Decision, ReviewService
from intake.ticket import Milestone

# Buttons that open a form first, and the form each opens.
FORMS = {
    card.APPROVE: (Action.APPROVE, modals.approve),
    card.REQUEST_CHANGES: (Action.REQUEST_CHANGES, modals.request_changes),
    card.DECLINE: (Action.DECLINE, modals.decline),
    card.ASSIGN: (Action.ASSIGN, modals.assign),
}


@after_ack(inline=True)
def open_form(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    user = body["user"]["id"]
    kind, build = FORMS[action["action_id"]]
    conversation = scope.review.check(
        ask_id=int(action["value"]),
        actor=user,
        is_lead=scope.is_lead,
        action=kind,
    )
    client.views_open(trigger_id=body["trigger_id"], view=build(conversation.ticket))


# Buttons that act at once, no form: the use case each runs.
Move = Callable[..., Decision]
MOVES: dict[str, Callable[[ReviewService], Move]] = {
    card.START: lambda reviews: reviews.start,
    card.COMPLETE: lambda reviews: reviews.complete,
    card.REOPEN: lambda reviews: reviews.reopen,
}


@after_ack
def move(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    user = body["user"]["id"]
    use_case = MOVES[action["action_id"]](scope.review)
    decision = use_case(ask_id=int(action["value"]), actor=user, is_lead=scope.is_lead)
    scope.announcer.decided(client, decision)


@after_ack
def cancel(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    decision = scope.review.cancel(ask_id=int(action["value"]), actor=body["user"]["id"])
    scope.announcer.decided(client, decision)


@after_ack(inline=True)  # the open form is updated: the person is looking at it
def add_milestone(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    scope = scope_of(context)
    ack()
    _replan(scope, client, body["view"], add=True)


@after_ack(inline=True)
def remove_milestone(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    _replan(scope, client, body["view"], remove=action["value"])


@after_ack
def approve(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    meta = modals.metadata(view)
    values, errors = forms.read_approve(view["state"], meta["rows"])
    if errors:
        ack(response_action="errors", errors=errors)
        return
    user = body["user"]["id"]
    try:
        decision = scope.review.approve(
            ask_id=int(meta["ask"]),
            actor=user,
            is_lead=scope.is_lead,
            **values,
        )
    except Refusal as refusal:
        ack(response_action="errors", errors={"owner": refused(scope, refusal)})
        return
    ack()
    scope.announcer.decided(client, decision)


@after_ack
def request_changes(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    questions, errors = forms.read_required_text(
        view["state"], "questions", "Ask at least one question."
    )
    decide(
        scope,
        ack,
        body,
        view,
        client,
        errors,
        "questions",
        scope.review.request_changes,
        questions=questions,
    )


@after_ack
def decline(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    reason, errors = forms.read_required_text(view["state"], "reason", "A reason is required.")
    use_case = scope.review.decline
    decide(scope, ack, body, view, client, errors, "reason", use_case, reason=reason)


@after_ack
def assign(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    owner = forms.state_value(view["state"], "owner")
    errors = {} if owner else {"owner": "Choose who owns this work."}
    use_case = scope.review.assign
    decide(scope, ack, body, view, client, errors, "owner", use_case, owner=owner)


def decide(
    scope: Scope,
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    errors: dict[str, str],
    field: str,
    use_case: Any,
    **values: Any,
) -> None:
    """Submit a form: errors next to the input, or the decision and its announcements."""
    if errors:
        ack(response_action="errors", errors=errors)
        return
    user = body["user"]["id"]
    try:
        decision = use_case(
            ask_id=int(modals.metadata(view)["ask"]),
            actor=user,
            is_lead=scope.is_lead,
            **values,
        )
    except Refusal as refusal:
        ack(response_action="errors", errors={field: refused(scope, refusal)})
        return
    ack()
    scope.announcer.decided(client, decision)


def refused(scope: Scope, refusal: Refusal) -> str:
    """A refusal as a form error (Slack shows at most ~150 characters under an input)."""
    return refusal.message(mention, scope.review.clock.now())[:150]


def _replan(
    scope: Scope,
    client: WebClient,
    view: dict[str, Any],
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
    card.CANCEL_ASK: cancel,
    modals.ADD_MILESTONE: add_milestone,
    re.compile(f"^{modals.REMOVE_MILESTONE}:"): remove_milestone,
}

VIEWS: dict[str | re.Pattern[str], Callable[..., None]] = {
    modals.APPROVE_MODAL: approve,
    modals.REQUEST_CHANGES_MODAL: request_changes,
    modals.DECLINE_MODAL: decline,
    modals.ASSIGN_MODAL: assign,
}
