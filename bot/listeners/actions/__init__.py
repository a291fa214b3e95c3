"""Buttons and selects: answers to questions, and the draft's Submit / Edit / Cancel."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks import intake as render
from bot.blocks import modals
from bot.blocks.home import MORE_ACTION, NEW_REQUEST_ACTION, read_more
from bot.errors import after_ack
from bot.listeners.deps import Deps
from bot.thinking import thinking, thread_of_click
from intake.service import IntakeService, NotAllowed, Outcome

EDIT_IS_THE_REQUESTERS = "Only the person who opened this intake can edit it."


def register(app: App, deps: Deps) -> None:
    @app.action(re.compile(rf"^{render.ANSWER_ACTION}:"))
    @after_ack
    def answer_button(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        choice = json.loads(action["value"])
        user = body["user"]["id"]
        with thinking(client, thread_of_click(body)):
            outcome = deps.service_in(context).choose(
                ask_id=int(choice["a"]),
                user=user,
                field=choice["f"],
                value=choice["v"],
                dedupe_key=click_key(body, action),
            )
        deps.replier.deliver(client, outcome, user)

    @app.action(render.ANSWER_USER_ACTION)
    @after_ack
    def answer_user(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        _, ask_id, field = action["block_id"].split(":", 2)
        user = body["user"]["id"]
        with thinking(client, thread_of_click(body)):
            outcome = deps.service_in(context).choose(
                ask_id=int(ask_id),
                user=user,
                field=field,
                value=action["selected_user"],
                dedupe_key=click_key(body, action),
            )
        deps.replier.deliver(client, outcome, user)

    # The draft's buttons that act at once: the use case each runs.
    Decide = Callable[[IntakeService, int, str], Outcome]
    decisions: dict[str, Decide] = {
        render.SUBMIT_ACTION: lambda service, ask, user: service.submit(ask_id=ask, user=user),
        render.SUBMIT_ANYWAY_ACTION: lambda service, ask, user: service.submit(
            ask_id=ask, user=user, force=True
        ),
        render.CANCEL_ACTION: lambda service, ask, user: service.cancel(ask_id=ask, user=user),
    }

    @app.action(re.compile(f"^({'|'.join(decisions)})$"))
    @after_ack
    def decide(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user = body["user"]["id"]
        service = deps.service_in(context)
        with thinking(client, thread_of_click(body)):
            outcome = decisions[action["action_id"]](service, int(action["value"]), user)
        deps.replier.deliver(client, outcome, user)

    @app.action(render.EDIT_ACTION)
    @after_ack(inline=True)
    def edit(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user = body["user"]["id"]
        ask_id, requester = render.read_edit_value(action["value"])
        if requester is not None and requester != user:
            raise NotAllowed(EDIT_IS_THE_REQUESTERS)
        # Open the form before reading the ask: the trigger_id expires 3 s after the click.
        opened = client.views_open(trigger_id=body["trigger_id"], view=modals.loading("Edit draft"))
        view_id = opened["view"]["id"]
        try:
            conversation = deps.service_in(context).get(ask_id)
            if conversation.ticket.requester != user:
                raise NotAllowed(EDIT_IS_THE_REQUESTERS)
            template = deps.service.engine.template(conversation)
            view = modals.edit(
                conversation.ticket.id or 0,
                conversation.ticket,
                template,
                deps.templates,
                conversation.tz,
            )
        except Exception:
            client.views_update(view_id=view_id, view=modals.unavailable("Edit draft"))
            raise
        client.views_update(view_id=view_id, view=view)

    @app.action(re.compile(f"^{MORE_ACTION}:"))
    @after_ack
    def show_more(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        focus, pages = read_more(action.get("value", ""))
        deps.homes.publish(client, context.team_id or "", body["user"]["id"], focus, pages)

    @app.action(NEW_REQUEST_ACTION)
    @after_ack(inline=True)
    def new_request(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modals.new_request())


def click_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    """Clicks on the same question's buttons count once (a double click changes nothing)."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return f"click:{channel}:{ts}:{action.get('block_id')}"
