"""Every kind of work the durable queue holds, and its handler: ``bot.runner.Runner``'s table
(each kind's module builds its ``Kind``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import commands_worker
from bot.runner import Kind
from bot.sender import message_kind
from bot.tracker_back import tracker_kinds
from bot.webhooks import webhook_kinds
from storage import slack_outbox

if TYPE_CHECKING:
    from bot.bootstrap import Container
    from bot.oauth import TeamClients


def queue_kinds(
    container: Container, clients: TeamClients, *, worker: bool = False
) -> dict[str, Kind]:
    """The handlers of this process's runner, by kind (``clients``: each workspace's Web API
    client, for work outside a request; ``worker``: ``intake-bot worker``, which also runs the
    commands ``serve`` deferred)."""
    kinds: dict[str, Kind] = {}
    kinds |= webhook_kinds(container.settings, container.clock)
    kinds[slack_outbox.KIND] = message_kind(container.db_engine, container.clock, clients)
    kinds |= tracker_kinds(container, clients)
    if worker:
        kinds[commands_worker.KIND] = commands_worker.command_kind(container, clients)
    return kinds
