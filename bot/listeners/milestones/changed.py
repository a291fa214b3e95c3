"""A milestone form's change, made before the ack (a refusal shows under the input), announced
later (``bot.commands``): where the form was opened from, every other message that shows the
ask, and the intake thread (``announce.after_change``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.commands import Handler, later
from bot.listeners.milestones.announce import after_change
from bot.listeners.milestones.places import stored_place
from bot.scope import Scope
from bot.where import Body, Where
from intake.milestone_service import MilestoneUpdate
from intake.ticket import Milestone, MilestoneChange


@dataclass(frozen=True)
class MilestoneChanged:
    """``update`` of ask ``ask_id`` as plain values; ``meta``: the form's (where it was opened)."""

    where: Where
    ask_id: int
    title: str  # the milestone's (it may be gone: removed)
    due: str | None  # ISO date
    change: dict[str, str]  # a MilestoneChange, its time in ISO
    started: int | None  # the history entry when the change started the ask
    ask_requester: bool
    meta: Body


def announce_later(
    context: BoltContext, where: Where, update: MilestoneUpdate, meta: Body, ack: Ack
) -> None:
    milestone, change, history = update.milestone, update.change, update.ticket.history
    started = history.index(update.started) if update.started is not None else None
    due = milestone.due.isoformat() if milestone.due else None
    values = {**change.__dict__, "at": change.at.isoformat()}
    ask_id = update.ticket.id or 0
    command = MilestoneChanged(
        where, ask_id, milestone.title, due, values, started, update.ask_requester, meta
    )
    later(context, command, ack)


def announce(command: MilestoneChanged, scope: Scope, client: WebClient) -> None:
    conversation = scope.service.get(command.ask_id)
    due = date.fromisoformat(command.due) if command.due else None
    v = command.change
    fields: dict[str, Any] = {**v, "at": datetime.fromisoformat(v["at"])}
    change = MilestoneChange(**fields)  # every field as written, whatever fields it grows
    started = conversation.ticket.history[command.started] if command.started is not None else None
    update = MilestoneUpdate(
        conversation,
        Milestone(title=command.title, due=due),
        change,
        None,
        started=started,
        ask_requester=command.ask_requester,
    )
    place = stored_place(client, command.meta)
    after_change(scope, client, update, scope.user, place)


LATER: dict[type, Handler] = {MilestoneChanged: announce}
