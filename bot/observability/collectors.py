"""What ``/metrics`` reads at scrape time rather than counting as it happens: the rounds of
the background loops, and the database gauges (outbox depths and ages, queued jobs, asks by
status, job runs). Each metric is described in ``bot.observability.metrics``."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import Engine, case, func, literal_column, select

from bot.observability.labels import safe_label
from intake.clock import Clock
from intake.ticket import Status
from storage import ask_counts, queue, slack_outbox
from storage.models import JobRunRow

log = logging.getLogger(__name__)

JOBS: Final = ("digest", "nudge", "progress", "auto_complete")
DB_ERROR_LOG_EVERY_S: Final = 300.0


class BackgroundCollector:
    """The rounds of the background loops of one process, read at scrape time."""

    def __init__(self, background: Any) -> None:
        self.background = background

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        families: list[Metric] = []
        if self.background.scheduler is not None:
            families.append(
                CounterMetricFamily(
                    "intake_followthrough_ticks",
                    "Follow-through scheduler ticks that ran to their end.",
                    value=self.background.ticks.count,
                )
            )
        families.append(
            CounterMetricFamily(
                "intake_outbox_sender_rounds",
                "Rounds of the queue runner (it sends the weekly messages) that ran to their end.",
                value=self.background.runner.rounds.count,
            )
        )
        return families


class DatabaseCollector:
    """The scrape-time gauges (listed in ``bot.observability.metrics``). A failing database
    yields only ``intake_database_up 0``."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._error_logged = -float("inf")

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "intake_database_up", "1 when the scrape-time database queries worked, else 0."
        )
        try:
            families = self._families()
        except Exception:
            now = time.monotonic()
            if now - self._error_logged > DB_ERROR_LOG_EVERY_S:
                self._error_logged = now
                log.warning("metrics: the database did not answer; its gauges are left out")
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [*families, up]

    def _families(self) -> list[Metric]:
        now = self.clock.now()
        depth = GaugeMetricFamily(
            "intake_outbox_depth",
            "Messages/events waiting to be sent, by outbox.",
            labels=["outbox"],
        )
        age = GaugeMetricFamily(
            "intake_outbox_oldest_age_seconds",
            "Seconds the oldest waiting message/event has waited (0: none), by outbox.",
            labels=["outbox"],
        )
        given_up = GaugeMetricFamily(
            "intake_outbox_given_up",
            "Slack messages given up after their last attempt and never sent.",
            labels=["outbox"],
        )
        pending, oldest = slack_outbox.outbox_depth(self.engine, now)
        depth.add_metric(["slack"], pending)
        age.add_metric(["slack"], oldest or 0.0)
        kinds = queue.pending(self.engine)
        events, events_since = kinds.get("webhook", (0, None))
        depth.add_metric(["webhook"], events)
        age.add_metric(["webhook"], _waited_s(now, events_since))
        queued, queued_since = kinds.get("command", (0, None))
        jobs_queued = GaugeMetricFamily(
            "intake_jobs_queued",
            "Commands acked by serve whose work waits for or runs in a worker "
            "(INTAKE_DEFER_WORK, bot.commands).",
        )
        jobs_queued.add_metric([], queued)
        jobs_age = GaugeMetricFamily(
            "intake_jobs_oldest_age_seconds",
            "Seconds since the oldest of them was acked (0: none).",
        )
        jobs_age.add_metric([], _waited_s(now, queued_since))

        asks = GaugeMetricFamily("intake_asks", "Asks by status.", labels=["status"])
        runs = CounterMetricFamily(
            "intake_job_runs", "Follow-through runs claimed, by job.", labels=["job"]
        )
        last_run = GaugeMetricFamily(
            "intake_job_last_run_timestamp_seconds",
            "Unix time of the newest claimed run, by job.",
            labels=["job"],
        )
        by_status = dict.fromkeys((s.value for s in Status), 0)
        # Per-person and per-ask jobs ("nudge:T1:U2") count under their kind. Literals, not
        # bound parameters: PostgreSQL must see the same expression in SELECT and GROUP BY.
        job = case(
            (JobRunRow.job.like(literal_column("'nudge:%'")), literal_column("'nudge'")),
            (JobRunRow.job.like(literal_column("'progress:%'")), literal_column("'progress'")),
            else_=JobRunRow.job,
        )
        run_counts: dict[str, int] = dict.fromkeys(JOBS, 0)
        run_last: dict[str, datetime] = {}
        with self.engine.connect() as connection:
            by_status.update(ask_counts.by_status(connection))
            for name, count, latest in connection.execute(
                select(job, func.count(), func.max(JobRunRow.claimed_at)).group_by(job)
            ):
                key = safe_label(str(name).split(":", 1)[0])
                run_counts[key] = run_counts.get(key, 0) + int(count)
                latest = _aware(latest)
                if latest is not None and (key not in run_last or latest > run_last[key]):
                    run_last[key] = latest
        given_up.add_metric(["slack"], slack_outbox.given_up_count(self.engine))
        for status, count in sorted(by_status.items()):
            asks.add_metric([status], count)
        for key, count in sorted(run_counts.items()):
            runs.add_metric([key], count)
        for key, latest in sorted(run_last.items()):
            last_run.add_metric([key], latest.timestamp())
        return [depth, age, given_up, jobs_queued, jobs_age, asks, runs, last_run]


def _waited_s(now: datetime, since: Any) -> float:
    """Seconds the oldest pending item has waited since ``since`` (0: none waits)."""
    queued = _aware(since)
    return max((now - queued).total_seconds(), 0.0) if queued is not None else 0.0


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite may hand back text for an aggregate
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
