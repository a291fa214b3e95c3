"""The platform team's side: buttons on the review card and the owner's DM, the forms they
open, and the requester's "Cancel ask". Permissions are checked on the server for every click
(ReviewService), never by hiding buttons."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import review as card
from bot.blocks import review_modals as modals
from bot.errors import after_ack
from bot.listeners.deps import Deps
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


def register(app: App, deps: Deps) -> None:
    @app.action(re.compile(f"^({'|'.join(FORMS)})$"))
    @after_ack(inline=True)
    def open_form(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user = body["user"]["id"]
        kind, build = FORMS[action["action_id"]]
        conversation = deps.review_in(context).check(
            ask_id=int(action["value"]),
            actor=user,
            is_lead=deps.leads.is_lead(client, user),
            action=kind,
        )
        client.views_open(trigger_id=body["trigger_id"], view=build(conversation.ticket))

    # Buttons that act at once, no form: the use case each runs.
    Move = Callable[..., Decision]
    moves: dict[str, Callable[[ReviewService], Move]] = {
        card.START: lambda reviews: reviews.start,
        card.COMPLETE: lambda reviews: reviews.complete,
        card.REOPEN: lambda reviews: reviews.reopen,
    }

    @app.action(re.compile(f"^({'|'.join(moves)})$"))
    @after_ack
    def move(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user = body["user"]["id"]
        use_case = moves[action["action_id"]](deps.review_in(context))
        decision = use_case(
            ask_id=int(action["value"]), actor=user, is_lead=deps.leads.is_lead(client, user)
        )
        deps.announcer.decided(client, decision)

    @app.action(card.CANCEL_ASK)
    @after_ack
    def cancel(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        decision = deps.review_in(context).cancel(
            ask_id=int(action["value"]), actor=body["user"]["id"]
        )
        deps.announcer.decided(client, decision)

    @app.action(modals.ADD_MILESTONE)
    @after_ack(inline=True)  # the open form is updated: the person is looking at it
    def add_milestone(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        _replan(deps, context, client, body["view"], add=True)

    @app.action(re.compile(f"^{modals.REMOVE_MILESTONE}:"))
    @after_ack(inline=True)
    def remove_milestone(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        _replan(deps, context, client, body["view"], remove=action["value"])

    @app.view(modals.APPROVE_MODAL)
    @after_ack
    def approve(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        meta = modals.metadata(view)
        values, errors = forms.read_approve(view["state"], meta["rows"])
        if errors:
            ack(response_action="errors", errors=errors)
            return
        user = body["user"]["id"]
        try:
            decision = deps.review_in(context).approve(
                ask_id=int(meta["ask"]),
                actor=user,
                is_lead=deps.leads.is_lead(client, user),
                **values,
            )
        except Refusal as refusal:
            ack(response_action="errors", errors={"owner": refused(deps, refusal)})
            return
        ack()
        deps.announcer.decided(client, decision)

    @app.view(modals.REQUEST_CHANGES_MODAL)
    @after_ack
    def request_changes(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        questions, errors = forms.read_required_text(
            view["state"], "questions", "Ask at least one question."
        )
        decide(
            ack,
            body,
            view,
            client,
            errors,
            "questions",
            deps.review_in(context).request_changes,
            questions=questions,
        )

    @app.view(modals.DECLINE_MODAL)
    @after_ack
    def decline(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        reason, errors = forms.read_required_text(view["state"], "reason", "A reason is required.")
        use_case = deps.review_in(context).decline
        decide(ack, body, view, client, errors, "reason", use_case, reason=reason)

    @app.view(modals.ASSIGN_MODAL)
    @after_ack
    def assign(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        owner = forms.state_value(view["state"], "owner")
        errors = {} if owner else {"owner": "Choose who owns this work."}
        use_case = deps.review_in(context).assign
        decide(ack, body, view, client, errors, "owner", use_case, owner=owner)

    def decide(
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
                is_lead=deps.leads.is_lead(client, user),
                **values,
            )
        except Refusal as refusal:
            ack(response_action="errors", errors={field: refused(deps, refusal)})
            return
        ack()
        deps.announcer.decided(client, decision)


def refused(deps: Deps, refusal: Refusal) -> str:
    """A refusal as a form error (Slack shows at most ~150 characters under an input)."""
    return refusal.message(mention, deps.review.clock.now())[:150]


def _replan(
    deps: Deps,
    context: BoltContext,
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
    conversation = deps.service_in(context).get(int(meta["ask"]))
    client.views_update(
        view_id=view["id"], hash=view.get("hash"), view=modals.approve(conversation.ticket, rows)
    )
