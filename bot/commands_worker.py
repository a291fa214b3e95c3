"""``intake-bot worker``'s side of deferred work (``bot.commands``): the queue kind
``command``. Each item is rebuilt into its command and run as its listener would have run
it: on the workspace's client, in a scope built for the person who asked, holding a work slot
(``bot.work_slots``); one whose slot comes after its runner began stopping is handed back
unstarted. A command's error is told to the person (``Later.run``). An item whose
worker died is run again, in doubt, once (the use cases de-duplicate by Slack's IDs).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.commands import KIND, from_json
from bot.pacing import STOPPING, PaceInterrupted, interruptible
from bot.runner import GiveUp, Kind
from storage import queue

if TYPE_CHECKING:
    from bot.bootstrap import Container
    from bot.oauth import TeamClients

log = logging.getLogger(__name__)

__all__ = ["KIND", "command_kind"]

THREADS = 500  # commands mostly wait (the model, Slack): many at once, few running Python
# A command waits for a work slot, then for the model (20 s a request, retried twice; a
# command may ask more than once) and Slack, all inside its lease: the queue's default
# (2 min) would let a second worker claim it while it runs.
LEASE = timedelta(minutes=10)
NEVER = threading.Event()  # never set: a started command is not interrupted


def command_kind(container: Container, clients: TeamClients) -> Kind:
    """The ``command`` kind: runs the commands ``serve`` queued."""
    from bot.app import deps_for
    from bot.scope import scope_for

    deps = deps_for(container, None)
    table = deps.later.table

    def run(item: queue.Item) -> dict[str, Any] | None:
        try:
            command = from_json(table, item.payload)
        except (KeyError, TypeError) as error:
            raise GiveUp(f"not a command this version runs: {error!r}") from None
        where = command.where
        client = clients.for_team(where.team_id)
        if client is None:
            raise GiveUp(f"workspace {where.team_id} is not installed")
        if item.in_doubt:
            log.info(
                "command %s (%s) ran before in a worker that died; again",
                item.id,
                item.payload["command"],
            )
        scope = scope_for(deps, where.team_id, where.user_id, client)
        stopping = STOPPING.get()  # the runner's, set when it stops
        with container.work_slots.hold(f"{where.team_id}:{where.user_id}"):
            # A wait for a slot can outlast the runner: then nothing has gone out yet, so
            # the command is handed back unstarted, its attempt not counted.
            if stopping is not None and stopping.is_set():
                raise PaceInterrupted("stopping: the command did not start")
            # Started, it runs to its end even when the worker is stopping (its Web API calls
            # are not interrupted): half a reply is worse than a late one. Past the deadline
            # it is handed back in doubt, as after a crash.
            with interruptible(NEVER):
                deps.later.run(command, scope, client)
        return None

    # A command's effects are de-duplicated by Slack's IDs, not by its queue row: a day is
    # plenty (at 50 clicks a second the table would otherwise grow by millions a week).
    return Kind(run, threads=THREADS, lease=LEASE, keep_done=timedelta(days=1))
