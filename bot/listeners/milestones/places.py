"""Where a milestone click or form came from (the message to update in place), and the
helpers every milestone listener shares: refusals told to whoever clicked, the actor's today."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import milestones as render
from bot.blocks.review import owner_message
from bot.errors import tell
from bot.refresh import read_message
from bot.scope import Scope, scope_of
from bot.slack_text import user as mention
from bot.where import Where
from intake.conversation import Conversation
from intake.milestones import MilestoneRefusal, StalePlan
from intake.ticket import Ticket

log = logging.getLogger(__name__)

Listener = TypeVar("Listener", bound=Callable[..., None])


@dataclass
class Place:
    """A message to update in place: where it is and what it shows now. ``plan``: the
    owner's DM of the ask, which is re-rendered whole."""

    channel: str
    ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    plan: bool = False

    def is_plan(self, ask_id: int) -> bool:
        return self.plan or render.is_plan_message(self.blocks, ask_id)


@dataclass(frozen=True)
class ClickedMilestone:
    """A click on milestone ``ref``'s line, in the message ``place`` (None: no message)."""

    where: Where
    ref: render.Ref
    place: Place | None


def ref_of(action: dict[str, Any]) -> render.Ref:
    """The milestone a button is about: its value, checked by its line's fingerprint."""
    ref = render.parse_value(action["value"])
    line = render.parse_block(str(action.get("block_id", "")))
    tag = line.tag if line is not None and line.ask == ref.ask and line.index == ref.index else ""
    return render.Ref(ref.ask, ref.index, tag)


def clicked(body: dict[str, Any]) -> Place | None:
    """The message a button was clicked in (None for an ephemeral message or a view)."""
    container = body.get("container") or {}
    message = body.get("message")
    if container.get("type") != "message" or container.get("is_ephemeral") or not message:
        return None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    if not channel:
        return None
    return Place(
        channel,
        str(container.get("message_ts") or message["ts"]),
        str(message.get("text", "")),
        list(message.get("blocks") or []),
    )


def meta_of(body: dict[str, Any], ref: render.Ref) -> dict[str, Any]:
    """What a form needs to find the milestone and the message it was opened from."""
    meta: dict[str, Any] = {"ask": ref.ask, "i": ref.index, "t": ref.tag}
    place = clicked(body)
    if place is not None:
        meta.update(ch=place.channel, ts=place.ts)
        thread_ts = (body.get("message") or {}).get("thread_ts")
        if thread_ts and thread_ts != place.ts:
            meta["th"] = thread_ts
        if place.is_plan(ref.ask):
            meta["plan"] = 1
    return meta


def open_ask_form(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    check: Callable[[Scope, int], Conversation],
    form: Callable[[Ticket, dict[str, Any]], dict[str, Any]],
) -> None:
    """Opens ``form`` about the ask the button names if ``check`` lets the clicker (else its
    refusal is raised): here, never later, as the trigger_id expires 3 s after the click."""
    scope = scope_of(context)
    ack()
    ask_id = int(action["value"])
    conversation = check(scope, ask_id)
    view = form(conversation.ticket, meta_of(body, render.Ref(ask_id, -1)))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def update_in_place(client: WebClient, place: Place, message: dict[str, Any]) -> None:
    try:
        client.chat_update(channel=place.channel, ts=place.ts, **message)
    except SlackApiError as exc:  # deleted meanwhile: the change itself is saved and announced
        if exc.response.get("error") not in ("message_not_found", "cant_update_message"):
            raise
        log.info("message %s in %s is gone; not updated", place.ts, place.channel)


def stored_place(client: WebClient, meta: dict[str, Any]) -> Place | None:
    """The message a form was opened from, as it is now (to update it in place)."""
    channel, ts = meta.get("ch"), meta.get("ts")
    if not channel or not ts:
        return None
    if meta.get("plan"):  # the owner's DM is re-rendered whole: no need to read it
        return Place(channel, ts, plan=True)
    message = read_message(client, channel, ts, meta.get("th"))
    if message is None:
        return None
    return Place(channel, ts, str(message.get("text", "")), list(message.get("blocks", [])))


def refresh_place(scope: Scope, client: WebClient, place: Place | None, ask_id: int) -> None:
    """Show the current plan on an out-of-date message (after a click on a removed line)."""
    if place is None:
        return
    ticket = scope.service.get(ask_id).ticket
    if place.is_plan(ticket.id or 0):
        today = today_of(scope, client, ticket.team_id, scope.user)  # the reader
        message = owner_message(ticket, scope.templates.get(ticket.category), today)
    else:
        message = {"text": place.text, "blocks": render.refresh(place.blocks, ticket)}
    update_in_place(client, place, message)


@contextmanager
def refusals_told(
    scope: Scope, client: WebClient, where: Where, place: Place | None, ask_id: int | None
) -> Iterator[None]:
    """A refusal (not allowed, not possible, already so) is told to whoever clicked, with
    names and times filled in; a click on an out-of-date line refreshes it first."""
    try:
        yield
    except MilestoneRefusal as refusal:
        if isinstance(refusal, StalePlan) and ask_id is not None:
            refresh_place(scope, client, place, ask_id)
        tell(client, where, refusal.message(mention, scope.milestones.clock.now()))


def told(listener: Listener) -> Listener:
    """``refusals_told`` for a listener (which takes ``body`` and ``context``)."""

    @functools.wraps(listener)
    def run(*args: Any, **kwargs: Any) -> None:
        body, context = kwargs["body"], kwargs["context"]
        where, place, ask_id = Where.of(body), clicked(body), _ask_of(body)
        with refusals_told(scope_of(context), context.client, where, place, ask_id):
            try:
                listener(*args, **kwargs)
            finally:
                ack = kwargs.get("ack")
                if ack is not None and ack.response is None:
                    ack()

    return run  # type: ignore[return-value]


def _ask_of(body: dict[str, Any]) -> int | None:
    """The ask a milestone button is about ("{ask}:{index}"; None for other buttons)."""
    try:
        return render.parse_value((body.get("actions") or [{}])[0].get("value") or "").ask
    except ValueError:
        return None


def short(scope: Scope, refusal: MilestoneRefusal) -> str:
    """A refusal as a form error (Slack shows ~150 characters under an input)."""
    return refusal.message(mention, scope.milestones.clock.now())[:150]


def today_of(scope: Scope, client: WebClient, team_id: str, user: str) -> date:
    """``user``'s date today, in their time zone (``AskViews.today_of``)."""
    return scope.announcer.views.today_of(client, team_id, user)
