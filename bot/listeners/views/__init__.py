"""Modal submissions: the draft's edit form and the Home tab's new request."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import forms
from bot.blocks import modals
from bot.commands import Handler, later
from bot.errors import after_ack
from bot.listeners.start import StartInDm, view_key
from bot.scope import Scope, scope_of
from bot.thinking import thinking
from bot.where import Body, Where
from intake.clock import local_today
from intake.conversation import Source


@dataclass(frozen=True)
class SaveEdit:
    """The draft's edit form, checked already: ``state`` is the form as submitted."""

    where: Where
    ask_id: int
    category: str | None
    tz: str | None
    state: Body


def read_edit(scope: Scope, command: SaveEdit) -> tuple[forms.Values, forms.Errors]:
    """The form's values (errors: what to fix), as the ask's request type reads them."""
    category, tz = command.category, command.tz
    if category is None or tz is None:  # a form opened by an earlier version
        conversation = scope.service.get(command.ask_id)
        category, tz = conversation.ticket.category, conversation.tz
    today = local_today(scope.service.clock, tz)
    return forms.read_edit(command.state, scope.templates.get(category), today)


def save_edit_now(command: SaveEdit, scope: Scope, client: WebClient) -> None:
    values, _ = read_edit(scope, command)  # checked before the ack
    conversation = scope.service.get(command.ask_id)
    with thinking(client, conversation.thread):
        outcome = scope.service.edit(ask_id=command.ask_id, user=scope.user, values=values)
    scope.replier.deliver(client, outcome, scope.user)


@after_ack
def save_edit(ack: Ack, body: Body, view: Body, context: BoltContext) -> None:
    ask_id, category, tz = modals.edit_form_of(view.get("private_metadata") or "")
    command = SaveEdit(Where.of(body), ask_id, category, tz, view["state"])
    # Checked from the form alone, when it says its type: the ack must not wait for the database.
    _, errors = read_edit(scope_of(context), command)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    later(context, command, ack)  # the edit after the ack: redrafting may consult the model


@after_ack
def new_request(ack: Ack, body: Body, view: Body, context: BoltContext) -> None:
    text, errors = forms.read_new_request(view["state"])
    if errors:
        ack(response_action="errors", errors=errors)
        return
    opening = StartInDm(Where.of(body), text, Source.HOME, dedupe_key=view_key(view))
    later(context, opening, ack)


# -- registration ------------------------------------------------------------------------

VIEWS: dict[str | re.Pattern[str], Callable[..., None]] = {
    modals.EDIT_CALLBACK: save_edit,
    modals.NEW_REQUEST_CALLBACK: new_request,
}

LATER: dict[type, Handler] = {SaveEdit: save_edit_now}
