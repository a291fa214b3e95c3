"""The work that runs beside the request handlers, started in one place: the follow-through
scheduler, the outbox sender for weekly messages, and the webhook sender. `serve` runs them
with the bot (unless INTAKE_RUN_SCHEDULER=false); `intake-bot worker` runs only these."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.bootstrap import Container
from bot.followthrough import FollowThrough, follow_through_for
from bot.in_flight import Rounds
from bot.oauth import outbox_sender
from bot.scheduler import start_scheduler
from bot.sender import OutboxSender

log = logging.getLogger(__name__)


def follow_through(container: Container, client: WebClient | None) -> FollowThrough:
    """On ``client`` with one workspace; on each installation's token in the multi-workspace
    install (``bot.oauth``; ``client`` is then the app's tokenless one)."""
    return follow_through_for(container, client)


@dataclass
class Background:
    follow: FollowThrough
    sender: OutboxSender
    scheduler: BackgroundScheduler | None
    ticks: Rounds  # the scheduler's ticks that ran to their end (none without a scheduler)

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        self.sender.stop()


def start_background(container: Container, client: WebClient, *, schedule: bool) -> Background:
    """Start the senders (always: they drain what any replica queued) and, with ``schedule``,
    the scheduler that queues the weekly messages."""
    follow = follow_through(container, client)
    # Each message with its own workspace's token in the multi-workspace install.
    sender = outbox_sender(container.db_engine, client, container.clock, follow.clients)
    sender.start()
    if container.webhooks is not None:
        container.webhooks.start()
    ticks = Rounds()
    scheduler = start_scheduler(follow, ticks=ticks) if schedule else None
    return Background(follow, sender, scheduler, ticks)
