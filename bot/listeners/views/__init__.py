"""Modal submissions: the draft's edit form and the Home tab's new request."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import modals
from bot.errors import after_ack
from bot.listeners.deps import Deps
from bot.listeners.start import start_in_dm
from bot.thinking import thinking
from intake.clock import local_today
from intake.conversation import Source


def register(app: App, deps: Deps) -> None:
    @app.view(modals.EDIT_CALLBACK)
    @after_ack
    def save_edit(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        user = body["user"]["id"]
        service = deps.service_in(context)
        ask_id, category, tz = modals.edit_form_of(view.get("private_metadata") or "")
        conversation = None
        if category is None or tz is None:  # a form opened by an earlier version
            conversation = service.get(ask_id)
            category, tz = conversation.ticket.category, conversation.tz
        # Checked from the form alone: the ack must not wait for the database.
        template = deps.templates.get(category)
        values, errors = forms.read_edit(
            view["state"], template, local_today(deps.service.clock, tz)
        )
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()  # before the edit: redrafting may consult the (slow) assistant
        conversation = conversation or service.get(ask_id)
        with thinking(client, conversation.thread):
            outcome = service.edit(ask_id=ask_id, user=user, values=values)
        deps.replier.deliver(client, outcome, user)

    @app.view(modals.NEW_REQUEST_CALLBACK)
    @after_ack
    def new_request(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        text, errors = forms.read_new_request(view["state"])
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        start_in_dm(
            deps,
            client,
            team_id=context.team_id or "",
            user=body["user"]["id"],
            text=text,
            source=Source.HOME,
        )
