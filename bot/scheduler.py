"""APScheduler (3.x) running the follow-through inside `serve` or as `intake-bot worker`.

One job with a fixed id ticks every few minutes; each tick queues whatever is due (see
bot.followthrough), so the schedule lives in the data, not in the scheduler's memory: a
replica that was down at 09:00 catches up when it comes back, and several replicas ticking
at once still queue each message once (the database decides).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.followthrough import FollowThrough
from bot.in_flight import InFlight, Rounds

log = logging.getLogger(__name__)

JOB_ID = "intake-followthrough"
RECONCILE_JOB_ID = "intake-tracker-reconcile"
TICK_MINUTES = 5


def start_scheduler(
    follow: FollowThrough,
    *,
    minutes: float = TICK_MINUTES,
    ticks: Rounds | None = None,
    ticking: InFlight | None = None,
    reconcile: Callable[[], object] | None = None,
) -> BackgroundScheduler:
    """Tick now and every ``minutes``; each tick that runs to its end (logged) counts in
    ``ticks`` (``intake_followthrough_ticks_total``); ``ticking`` counts the tick running
    (a process shutting down waits for it: it queues each message with its claim, in one
    transaction, so one cut off at the deadline loses nothing the next tick does not redo).
    ``reconcile``: the trackers' reconcile (``bot.tracker_back.queue_reconcile``), on the same
    ticks; it claims its hour itself, so one replica queues it."""
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        _tick,
        IntervalTrigger(minutes=minutes, timezone=UTC),
        args=[follow, ticks, ticking],
        id=JOB_ID,
        replace_existing=True,
        coalesce=True,  # ticks missed while busy or down collapse into one
        max_instances=1,
        misfire_grace_time=3600,
        next_run_time=datetime.now(UTC),  # and one right away at start
    )
    if reconcile is not None:
        scheduler.add_job(
            reconcile,
            IntervalTrigger(minutes=minutes, timezone=UTC),
            id=RECONCILE_JOB_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
            next_run_time=datetime.now(UTC),
        )
    scheduler.start()
    log.info("follow-through scheduler started (every %s minutes)", minutes)
    return scheduler


def _tick(
    follow: FollowThrough, ticks: Rounds | None = None, ticking: InFlight | None = None
) -> None:
    if ticking is not None:
        ticking.begin()
    try:
        _run_tick(follow, ticks)
    finally:
        if ticking is not None:
            ticking.end()


def _run_tick(follow: FollowThrough, ticks: Rounds | None) -> None:
    report = follow.tick()
    if report.nudges or report.progress or report.digests or report.completed:
        log.info(
            "follow-through queued %d nudges, %d progress replies, %d digests; completed %d asks",
            report.nudges,
            report.progress,
            report.digests,
            report.completed,
        )
    if ticks is not None:
        ticks.done()
