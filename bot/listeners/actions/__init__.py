"""Buttons and selects: answers to questions, and the draft's Submit / Edit / Cancel."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.blocks import intake as render
from bot.blocks import modals
from bot.blocks.home import MORE_ACTION, NEW_REQUEST_ACTION, read_more
from bot.commands import Handler, later
from bot.errors import after_ack
from bot.scope import Scope, scope_of
from bot.thinking import thinking, thread_of_click
from bot.where import Body, Where
from intake.conversation import Thread
from intake.service import IntakeService, NotAllowed, Outcome

EDIT_IS_THE_REQUESTERS = "Only the person who opened this intake can edit it."


@dataclass(frozen=True)
class Choose:
    """An answer given by a click: a button's choice or a picked person."""

    where: Where
    ask_id: int
    field: str
    value: str
    dedupe_key: str
    thread: Thread | None


def choose(command: Choose, scope: Scope, client: WebClient) -> None:
    with thinking(client, command.thread):
        outcome = scope.service.choose(
            ask_id=command.ask_id,
            user=command.where.user_id,
            field=command.field,
            value=command.value,
            dedupe_key=command.dedupe_key,
        )
    scope.replier.deliver(client, outcome, command.where.user_id)


@after_ack
def answer_button(ack: Ack, body: Body, action: Body, context: BoltContext) -> None:
    choice = json.loads(action["value"])
    answer = int(choice["a"]), str(choice["f"]), str(choice["v"])
    later(
        context,
        Choose(Where.of(body), *answer, click_key(body, action), thread_of_click(body)),
        ack,
    )


@after_ack
def answer_user(ack: Ack, body: Body, action: Body, context: BoltContext) -> None:
    _, ask_id, field = action["block_id"].split(":", 2)
    answer = int(ask_id), field, str(action["selected_user"])
    later(
        context,
        Choose(Where.of(body), *answer, click_key(body, action), thread_of_click(body)),
        ack,
    )


# The draft's buttons that act at once: the use case each runs.
DECISIONS: dict[str, Callable[[IntakeService, int, str], Outcome]] = {
    render.SUBMIT_ACTION: lambda service, ask, user: service.submit(ask_id=ask, user=user),
    render.SUBMIT_ANYWAY_ACTION: lambda service, ask, user: service.submit(
        ask_id=ask, user=user, force=True
    ),
    render.CANCEL_ACTION: lambda service, ask, user: service.cancel(ask_id=ask, user=user),
}


@dataclass(frozen=True)
class Decide:
    """Submit, submit anyway, or cancel a draft."""

    where: Where
    ask_id: int
    decision: str  # a key of DECISIONS
    thread: Thread | None


def decide_now(command: Decide, scope: Scope, client: WebClient) -> None:
    user = command.where.user_id
    with thinking(client, command.thread):
        outcome = DECISIONS[command.decision](scope.service, command.ask_id, user)
    scope.replier.deliver(client, outcome, user)


@after_ack
def decide(ack: Ack, body: Body, action: Body, context: BoltContext) -> None:
    ask_id, decision = int(action["value"]), action["action_id"]
    later(context, Decide(Where.of(body), ask_id, decision, thread_of_click(body)), ack)


@after_ack
def edit(ack: Ack, body: Body, action: Body, client: WebClient, context: BoltContext) -> None:
    """Opens the edit form here, never later: the trigger_id expires 3 s after the click."""
    scope = scope_of(context)
    ack()
    ask_id, requester = render.read_edit_value(action["value"])
    if requester is not None and requester != scope.user:
        raise NotAllowed(EDIT_IS_THE_REQUESTERS)
    # Open the form before reading the ask: the trigger_id expires 3 s after the click.
    opened = client.views_open(trigger_id=body["trigger_id"], view=modals.loading("Edit draft"))
    view_id = opened["view"]["id"]
    try:
        conversation = scope.service.get(ask_id)
        if conversation.ticket.requester != scope.user:
            raise NotAllowed(EDIT_IS_THE_REQUESTERS)
        template = scope.service.engine.template(conversation)
        ticket = conversation.ticket
        view = modals.edit(ticket.id or 0, ticket, template, scope.templates, conversation.tz)
    except Exception:
        client.views_update(view_id=view_id, view=modals.unavailable("Edit draft"))
        raise
    client.views_update(view_id=view_id, view=view)


@dataclass(frozen=True)
class ShowMore:
    """A Home tab list's next page."""

    where: Where
    focus: str | None
    pages: int


def show_more_now(command: ShowMore, scope: Scope, client: WebClient) -> None:
    where = command.where
    scope.homes.publish(client, where.team_id, where.user_id, command.focus, command.pages)


@after_ack
def show_more(ack: Ack, body: Body, action: Body, context: BoltContext) -> None:
    later(context, ShowMore(Where.of(body), *read_more(action.get("value", ""))), ack)


@after_ack
def new_request(ack: Ack, body: Body, client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=modals.new_request())


def click_key(body: Body, action: Body) -> str:
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

LATER: dict[type, Handler] = {Choose: choose, Decide: decide_now, ShowMore: show_more_now}
