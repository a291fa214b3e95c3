"""Deferred work as typed commands: what a listener leaves to run after its ack.

A listener reads the request into a command (a frozen dataclass: the use case's arguments and
a ``Where``, bot.where) and hands it, with its ``ack``, to ``later(context, command, ack)``. Each
listener module lists its commands with their handlers (``LATER``: command type → handler
``(command, scope, client) -> None``); ``bot.listeners.command_table()`` gathers them by name.

* Deferral off (the default): the handler runs at once, in the listener's thread, after the
  ack (with the person's fair turn taken after the ack, bot.admission).
* ``INTAKE_DEFER_WORK=true``: the command is queued (kind ``command`` of ``storage.queue``)
  before the ack goes out, so a crash after the ack loses nothing, and an ``intake-bot
  worker`` runs it (``bot.commands_worker``). Messages and mentions are
  queued by a middleware before Slack hears back (``defer_events``): when the queue fails,
  Slack delivers the event again instead of it being acked and lost. A listener that opens a
  modal never defers: a trigger_id expires 3 s after the click.

Either way a handler's error is told to the person through the command's ``Where``
(``bot.errors.report``) and the command is done. Queued commands run at least once (a worker
that dies mid-command leaves it to another, in doubt): the use cases de-duplicate what people
said by Slack's message and click IDs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, get_args, get_type_hints

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.admission import TurnAck
from bot.errors import report
from bot.where import Where
from intake.clock import Clock
from storage import queue
from storage.db import transaction

if TYPE_CHECKING:
    from bot.scope import Scope

log = logging.getLogger(__name__)

KIND: Final = "command"
MAX_ATTEMPTS: Final = 2  # a second worker runs it when the first died mid-command


class Command(Protocol):
    @property
    def where(self) -> Where: ...


Handler = Callable[[Any, "Scope", WebClient], None]
Table = Mapping[str, tuple[type, Handler]]
# An event (message, app_mention) read into its command (None: nothing to do for it).
EventReader = Callable[[dict[str, Any], Where, str | None], Command | None]


def name_of(command: Command) -> str:
    return type(command).__name__


def to_json(command: Command) -> dict[str, Any]:
    return {"command": name_of(command), "args": asdict(command)}  # type: ignore[call-overload]


def from_json(table: Table, payload: dict[str, Any]) -> Command:
    """The command ``to_json`` wrote (KeyError: a command this version does not know).
    Fields that are dataclasses themselves (``Where``, a ``Thread``) are rebuilt too."""
    kind, _ = table[payload["command"]]
    args = dict(payload["args"])
    hints = get_type_hints(kind)
    for name, value in args.items():
        if isinstance(value, dict):
            hint = hints[name]
            made = [t for t in (hint, *get_args(hint)) if is_dataclass(t) and isinstance(t, type)]
            args[name] = made[0](**value) if made else value
    command: Command = kind(**args)
    return command


@dataclass(frozen=True)
class Later:
    """Runs commands now (deferral off) or queues them for a worker (deferral on)."""

    table: Table
    engine: Engine
    clock: Clock
    defer: bool = False

    def after(
        self, ack: Ack | None, command: Command, scope: Scope, client: WebClient, **answer: Any
    ) -> None:
        """``bot.commands.later``: queue and ack, or ack and run."""
        if self.defer:
            self.enqueue(command)
        if ack is not None:
            ack(**answer)
        if not self.defer:
            if isinstance(ack, TurnAck):
                ack.take_turn()  # after the ack: Slack never waits for the person's turn
            self.run(command, scope, client)

    def run(self, command: Command, scope: Scope, client: WebClient) -> None:
        """Run the command's handler; an error is told to the person and logged."""
        _, handler = self.table[name_of(command)]
        try:
            handler(command, scope, client)
        except Exception as error:
            report(error, command.where, client, kind=name_of(command))

    def enqueue(self, command: Command) -> None:
        if name_of(command) not in self.table:  # found now, not when a worker reads it
            raise LookupError(f"no handler for command {name_of(command)}")
        with transaction(self.engine) as session:
            queue.enqueue(
                session,
                KIND,
                to_json(command),
                at=self.clock.now(),
                team_id=command.where.team_id or None,
                max_attempts=MAX_ATTEMPTS,
            )


def later(context: BoltContext, command: Command, ack: Ack | None, **answer: Any) -> None:
    """Ack the request (with ``answer``, if any) and run ``command`` after the ack: at once in
    this thread, or in a worker, queued before the ack goes out (a crash after the ack loses
    nothing). ``ack`` None: the request was acked already (an event)."""
    from bot.scope import scope_of

    scope = scope_of(context)
    scope.later.after(ack, command, scope, context.client, **answer)


def defer_events(app: App, later: Later, readers: Mapping[str, EventReader]) -> None:
    """``serve`` with deferral: each message and mention is read into its command and queued
    before Slack gets its 200 (a failed enqueue answers an error, and Slack delivers again)."""
    if later.engine.dialect.name == "sqlite":
        log.warning(
            "INTAKE_DEFER_WORK is on with a SQLite database: serve's queue writes wait for the "
            "file's write lock behind the workers, so acks can miss Slack's 3 s. Use PostgreSQL "
            "for deferred work (docs/operations.md), or turn it off."
        )

    @app.middleware
    def queue_events(
        req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        event = req.body.get("event")
        if req.body.get("type") != "event_callback" or not isinstance(event, dict):
            return next()
        read = readers.get(str(event.get("type")))
        if read is None:
            return next()
        where = Where.of(req.body)
        command = read(event, where, req.context.bot_user_id)
        if command is not None:
            later.enqueue(command)
        return BoltResponse(status=200, body="")
