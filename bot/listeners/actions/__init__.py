"""Buttons and selects: answers to questions, and the draft's Submit / Edit / Cancel."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.blocks import intake as render
from bot.blocks import modals
from bot.blocks.home import MORE_ACTION, NEW_REQUEST_ACTION, read_more
from bot.errors import after_ack
from bot.scope import scope_of
from bot.thinking import thinking, thread_of_click
from intake.service import IntakeService, NotAllowed, Outcome

EDIT_IS_THE_REQUESTERS = "Only the person who opened this intake can edit it."


@after_ack
def answer_button(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    choice = json.loads(action["value"])
    user = body["user"]["id"]
    with thinking(client, thread_of_click(body)):
        outcome = scope.service.choose(
            ask_id=int(choice["a"]),
            user=user,
            field=choice["f"],
            value=choice["v"],
            dedupe_key=click_key(body, action),
        )
    scope.replier.deliver(client, outcome, user)


@after_ack
def answer_user(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    _, ask_id, field = action["block_id"].split(":", 2)
    user = body["user"]["id"]
    with thinking(client, thread_of_click(body)):
        outcome = scope.service.choose(
            ask_id=int(ask_id),
            user=user,
            field=field,
            value=action["selected_user"],
            dedupe_key=click_key(body, action),
        )
    scope.replier.deliver(client, outcome, user)


# The draft's buttons that act at once: the use case each runs.
Decide = Callable[[IntakeService, int, str], Outcome]
DECISIONS: dict[str, Decide] = {
    render.SUBMIT_ACTION: lambda service, ask, user: service.submit(ask_id=ask, user=user),
    render.SUBMIT_ANYWAY_ACTION: lambda service, ask, user: service.submit(
        ask_id=ask, user=user, force=True
    ),
    render.CANCEL_ACTION: lambda service, ask, user: service.cancel(ask_id=ask, user=user),
}


@after_ack
def decide(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    user = body["user"]["id"]
    with thinking(client, thread_of_click(body)):
        outcome = DECISIONS[action["action_id"]](scope.service, int(action["value"]), user)
    scope.replier.deliver(client, outcome, user)


@after_ack(inline=True)
def edit(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    user = body["user"]["id"]
    ask_id, requester = render.read_edit_value(action["value"])
    if requester is not None and requester != user:
        raise NotAllowed(EDIT_IS_THE_REQUESTERS)
    # Open the form before reading the ask: the trigger_id expires 3 s after the click.
    opened = client.views_open(trigger_id=body["trigger_id"], view=modals.loading("Edit draft"))
    view_id = opened["view"]["id"]
    try:
        conversation = scope.service.get(ask_id)
        if conversation.ticket.requester != user:
            raise NotAllowed(EDIT_IS_THE_REQUESTERS)
        template = scope.service.engine.template(conversation)
        view = modals.edit(
            conversation.ticket.id or 0,
            conversation.ticket,
            template,
            scope.templates,
            conversation.tz,
        )
    except Exception:
        client.views_update(view_id=view_id, view=modals.unavailable("Edit draft"))
        raise
    client.views_update(view_id=view_id, view=view)


@after_ack
def show_more(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    scope = scope_of(context)
    ack()
    focus, pages = read_more(action.get("value", ""))
    scope.homes.publish(client, scope.team_id, body["user"]["id"], focus, pages)


@after_ack(inline=True)
def new_request(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=modals.new_request())


def click_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    """Clicks on the same question's buttons count once (a double click changes nothing)."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return f"click:{channel}:{ts}:{action.get('block_id')}"


# -- registration ------------------------------------------------------------------------

ACTIONS: dict[str | re.Pattern[str], Callable[..., None]] = {
    re.compile(rf"^{render.ANSWER_ACTION}:"): answer_button,
    render.ANSWER_USER_ACTION: answer_user,
    render.EDIT_ACTION: edit,
    re.compile(f"^({'|'.join(DECISIONS)})$"): decide,
    re.compile(f"^{MORE_ACTION}:"): show_more,
    NEW_REQUEST_ACTION: new_request,
}
