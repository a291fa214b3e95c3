"""The work that runs beside the request handlers, started in one place: the follow-through
scheduler, and the runner of the durable queue (``bot.runner``: webhook deliveries, the queued
Slack messages of ``bot.sender``, and more). `serve` runs them
with the bot (unless INTAKE_RUN_SCHEDULER=false); `intake-bot worker` runs only these.

Stopping (``bot.shutdown``): ``request_stop`` starts no more ticks and takes up no more
messages; ``stop_by`` then waits, up to a deadline, for the tick and the message under way,
and hands back (``Runner.stop``) what is still held when it passes."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.bootstrap import Container
from bot.followthrough import FollowThrough, follow_through_for
from bot.in_flight import InFlight, Rounds
from bot.queue_kinds import queue_kinds
from bot.runner import Runner
from bot.scheduler import start_scheduler
from bot.tracker_back import reconcile_for

log = logging.getLogger(__name__)

WORKER_POLL_S = 0.05  # a worker looks for deferred commands this often while idle


def follow_through(container: Container, client: WebClient | None) -> FollowThrough:
    """On ``client`` with one workspace; on each installation's token in the multi-workspace
    install (``bot.oauth``; ``client`` is then the app's tokenless one)."""
    return follow_through_for(container, client)


@dataclass
class Background:
    follow: FollowThrough
    scheduler: BackgroundScheduler | None
    ticks: Rounds  # the scheduler's ticks that ran to their end (none without a scheduler)
    runner: Runner
    ticking: InFlight = field(default_factory=InFlight)  # the tick running now, if any

    def request_stop(self) -> None:
        """No more ticks and no more messages taken up (the ones under way go on)."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.runner.request_stop()

    def stop_by(self, deadline: float) -> bool:
        """Stop, waiting until ``deadline`` (``time.monotonic()``) at most for the tick and
        the sends under way; what the runner still holds then is handed back. Whether
        everything ended in time."""
        self.request_stop()
        ended = self.ticking.wait_idle(_left(deadline))
        ended = self.runner.stop(deadline) and ended
        if not ended:
            log.warning("background work still running at the shutdown deadline; handed back")
        return ended

    def stop(self) -> None:
        self.stop_by(time.monotonic() + 10.0)


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)


def start_background(
    container: Container, client: WebClient, *, schedule: bool, worker: bool = False
) -> Background:
    """Start the runner (always: it drains what any replica queued) and, with ``schedule``,
    the scheduler that queues the weekly messages; ``worker``: the runner also takes the
    commands ``serve`` deferred (``bot.commands``), looked for often: a person waits for each."""
    follow = follow_through(container, client)
    runner = Runner(
        container.db_engine,
        container.clock,
        queue_kinds(container, follow.clients, worker=worker),
        poll_s=WORKER_POLL_S if worker else 1.0,
        in_flight=container.in_flight,
    )
    runner.start()
    container.notify_queue = runner.notify  # commits that queue work wake it
    ticks, ticking = Rounds(), InFlight()
    reconcile = reconcile_for(container, follow.replica)
    scheduler = (
        start_scheduler(follow, ticks=ticks, ticking=ticking, reconcile=reconcile)
        if schedule
        else None
    )
    return Background(follow, scheduler, ticks, runner, ticking)
