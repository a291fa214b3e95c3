"""Modal submissions: the draft's edit form and the Home tab's new request."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import modals
from bot.errors import after_ack
from bot.listeners.start import start_in_dm
from bot.scope import scope_of
from bot.thinking import thinking
from intake.clock import local_today
from intake.conversation import Source


@after_ack
def save_edit(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    user = body["user"]["id"]
    service = scope.service
    ask_id, category, tz = modals.edit_form_of(view.get("private_metadata") or "")
    conversation = None
    if category is None or tz is None:  # a form opened by an earlier version
        conversation = service.get(ask_id)
        category, tz = conversation.ticket.category, conversation.tz
    # Checked from the form alone: the ack must not wait for the database.
    template = scope.templates.get(category)
    values, errors = forms.read_edit(view["state"], template, local_today(scope.service.clock, tz))
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()  # before the edit: redrafting may consult the (slow) assistant
    conversation = conversation or service.get(ask_id)
    with thinking(client, conversation.thread):
        outcome = service.edit(ask_id=ask_id, user=user, values=values)
    scope.replier.deliver(client, outcome, user)


@after_ack
def new_request(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    text, errors = forms.read_new_request(view["state"])
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    start_in_dm(
        scope,
        client,
        team_id=scope.team_id,
        user=body["user"]["id"],
        text=text,
        source=Source.HOME,
    )


# -- registration ------------------------------------------------------------------------

VIEWS: dict[str | re.Pattern[str], Callable[..., None]] = {
    modals.EDIT_CALLBACK: save_edit,
    modals.NEW_REQUEST_CALLBACK: new_request,
}
