"""Prometheus metrics of one bot process, in a registry of its own (``Metrics.registry``),
served as text at ``GET /metrics`` (``bot.serving``).

Measured as things happen:

* ``intake_ack_seconds{kind}`` (histogram): from a Slack request's arrival at the WSGI layer to
  Bolt handing back the HTTP response, which in HTTP mode is the moment the listener calls
  ``ack()``. ``kind``: command, block_actions, view_submission, view_closed, block_suggestion,
  shortcut, message_action, event, url_verification, ssl_check, other, malformed. Slack gives
  up after 3 s. (Socket Mode has no HTTP request: no samples there.)
* ``intake_slack_requests_total{kind,status}``: the same requests by HTTP status (401: a bad
  signature, usually a wrong ``SLACK_SIGNING_SECRET``);
* ``intake_slack_api_calls_total{method,status}``: every Web API call the process makes (each
  attempt, retries included), through the pacer (``bot.pacing``). ``status`` is ``ok``,
  ``ratelimited`` (HTTP 429), Slack's error code (``channel_not_found``, ...), ``http_<code>``
  for an answer without one, or ``no_response`` (connection error, timeout);
* ``intake_slack_api_ratelimited_total{method}``: the 429s among them;
* ``intake_followthrough_ticks_total`` and ``intake_outbox_sender_rounds_total``: ticks of
  the follow-through scheduler (where it runs) and rounds of the outbox sender that ran to
  their end (``bot.background``; read from the loops' ``bot.in_flight.Rounds``). The sender
  goes round every second, the scheduler every 5 minutes: a count that stops going up means
  the loop is stuck or failing (its errors are logged);
* ``intake_llm_seconds{purpose}`` (histogram), ``intake_llm_tokens_total{purpose,kind}``
  (kind ``prompt``/``completion``) and ``intake_llm_calls_total{purpose,outcome}``, from the
  ``LlmGateway`` observer (``llm.client``; outcomes ``ok``, ``budget``,
  ``circuit_open``, ``timeout``, ``connection_error``, ``rate_limited``, ``http_error``,
  ``malformed``, ``cut``, ``content_filter``, ``refusal``, ``no_answer``, ``empty``). Calls
  that were not made (``budget``, ``circuit_open``) are counted but not timed.

Read from the database at scrape time (cheap ``COUNT``/``MIN``/``MAX`` queries; every replica
reports the same values, so aggregate them with ``max``, not ``sum``):

* ``intake_outbox_depth{outbox}`` and ``intake_outbox_oldest_age_seconds{outbox}`` (0 when
  empty): ``slack`` (weekly messages sendable now and not sent, ``storage.slack_outbox
  .outbox_depth``) and ``webhook`` (events not delivered, ``storage.outbox``);
* ``intake_outbox_given_up{outbox="slack"}``: messages given up after their last attempt;
* ``intake_jobs_queued`` and ``intake_jobs_oldest_age_seconds``: Slack requests acked by
  ``serve`` whose work waits for (or runs in) a worker (``INTAKE_DEFER_WORK``);
* ``intake_asks{status}``: asks by status (every status, 0 included);
* ``intake_job_runs_total{job}`` and ``intake_job_last_run_timestamp_seconds{job}``: claimed
  follow-through runs (``job``: digest, nudge, progress, auto_complete);
* ``intake_database_up``: 1 when those queries worked, else 0; the other database metrics
  are then absent from that scrape (never an error page).

Plus the ``process_*``/``python_*`` collectors of ``prometheus_client``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import Engine, case, func, literal_column, select

from bot.pacing import RATELIMITED
from intake.clock import Clock, SystemClock
from intake.ticket import Status
from storage import jobs as slack_jobs
from storage import outbox as webhook_outbox
from storage import slack_outbox
from storage.models import AskRow, JobRunRow, SlackOutboxRow

log = logging.getLogger(__name__)

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

ACK_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
LLM_BUCKETS: Final = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)

REQUEST_KINDS: Final = frozenset(
    {
        "command",
        "block_actions",
        "view_submission",
        "view_closed",
        "block_suggestion",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "event",
        "url_verification",
        "app_rate_limited",
        "ssl_check",
        "other",
        "malformed",
    }
)
# Label values that come from outside (Slack's error codes, purposes) are kept to this shape.
_LABEL: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
JOBS: Final = ("digest", "nudge", "progress", "auto_complete")
DB_ERROR_LOG_EVERY_S: Final = 300.0


def _label(value: str, fallback: str = "other") -> str:
    return value if _LABEL.match(value) else fallback


class Metrics:
    """The metrics of one process. ``engine``: the database the scrape-time gauges read
    (None: no database metrics); ``clock`` says how old the outbox is; ``process``: add the
    process/platform/GC collectors."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        clock: Clock | None = None,
        registry: CollectorRegistry | None = None,
        process: bool = True,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.ack_seconds = Histogram(
            "intake_ack_seconds",
            "Seconds from a Slack request's arrival to its HTTP response (the ack), by kind.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.slack_requests = Counter(
            "intake_slack_requests_total",
            "Requests to /slack/events by kind and HTTP status.",
            ["kind", "status"],
            registry=self.registry,
        )
        self.slack_api_calls = Counter(
            "intake_slack_api_calls_total",
            "Slack Web API calls (each attempt) by method and status.",
            ["method", "status"],
            registry=self.registry,
        )
        self.slack_api_ratelimited = Counter(
            "intake_slack_api_ratelimited_total",
            "Slack Web API calls answered HTTP 429, by method.",
            ["method"],
            registry=self.registry,
        )
        self.llm_seconds = Histogram(
            "intake_llm_seconds",
            "Seconds per LLM call made (the client's retries included), by purpose.",
            ["purpose"],
            buckets=LLM_BUCKETS,
            registry=self.registry,
        )
        self.llm_tokens = Counter(
            "intake_llm_tokens_total",
            "LLM tokens spent, by purpose and kind (prompt, completion).",
            ["purpose", "kind"],
            registry=self.registry,
        )
        self.llm_calls = Counter(
            "intake_llm_calls_total",
            "LLM calls by purpose and outcome (ok, or why there was no usable answer).",
            ["purpose", "outcome"],
            registry=self.registry,
        )
        self.work_in_flight = Gauge(
            "intake_work_in_flight",
            "Work this process has started and not finished: listener runs after their ack "
            "and notified sender rounds (bot.in_flight).",
            registry=self.registry,
        )
        if engine is not None:
            self.registry.register(DatabaseCollector(engine, clock or SystemClock()))
        if process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)

    # -- observers -------------------------------------------------------------------------

    def observe_ack(self, kind: str, seconds: float, status: int | str) -> None:
        """One request to /slack/events answered after ``seconds`` with HTTP ``status``."""
        kind = kind if kind in REQUEST_KINDS else "other"
        self.ack_seconds.labels(kind).observe(max(seconds, 0.0))
        self.slack_requests.labels(kind, str(status)).inc()

    def observe_slack_api(self, method: str, status: str) -> None:
        """The pacer's call observer (``bot.pacing.Pacer.observer``): one answered (or failed)
        Web API call."""
        method = _label(method)
        self.slack_api_calls.labels(method, _label(status)).inc()
        if status == RATELIMITED:
            self.slack_api_ratelimited.labels(method).inc()

    def observe_llm(
        self,
        purpose: str,
        seconds: float,
        prompt_tokens: int,
        completion_tokens: int,
        outcome: str,
    ) -> None:
        """The ``LlmGateway`` observer (``llm.client.LlmObserver``)."""
        purpose = _label(purpose)
        self.llm_calls.labels(purpose, _label(outcome)).inc()
        if outcome not in ("budget", "circuit_open"):  # no call was made
            self.llm_seconds.labels(purpose).observe(max(seconds, 0.0))
        if prompt_tokens > 0:
            self.llm_tokens.labels(purpose, "prompt").inc(prompt_tokens)
        if completion_tokens > 0:
            self.llm_tokens.labels(purpose, "completion").inc(completion_tokens)

    # -- wiring ----------------------------------------------------------------------------

    def watch_slack(self, client: Any) -> bool:
        """Count the Web API calls of ``client`` (a ``PacedWebClient``) and of every client
        sharing its pacer (Bolt's per-request clients do). False when it has no pacer."""
        pacer = getattr(client, "pacer", None)
        if pacer is None or not hasattr(pacer, "observer"):
            return False
        pacer.observer = self.observe_slack_api
        return True

    def watch_work(self, in_flight: Any) -> None:
        """Show ``in_flight`` (a ``bot.in_flight.InFlight``) as ``intake_work_in_flight``."""
        self.work_in_flight.set_function(lambda: float(in_flight.count))

    def watch_background(self, background: Any) -> None:
        """Show the loops of ``background`` (a ``bot.background.Background``): the outbox
        sender's rounds, and the scheduler's ticks when this process runs the scheduler."""
        self.registry.register(BackgroundCollector(background))

    def watch_llm(self, gateway: Any) -> bool:
        """Observe ``gateway`` (an ``LlmGateway``, or None: no LLM configured)."""
        if gateway is None or not hasattr(gateway, "observer"):
            return False
        gateway.observer = self.observe_llm
        return True

    # -- exposition ------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)


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
                "Outbox sender rounds (weekly messages) that ran to their end.",
                value=self.background.sender.rounds.count,
            )
        )
        return families


class DatabaseCollector:
    """The scrape-time gauges (see the module docstring). A failing database yields only
    ``intake_database_up 0``."""

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
        events = webhook_outbox.pending_count(self.engine)
        events_age = webhook_outbox.oldest_pending_age(self.engine, now) if events else None
        depth.add_metric(["webhook"], events)
        age.add_metric(["webhook"], max(events_age or 0.0, 0.0))
        queued, queued_since = slack_jobs.depth(self.engine)
        jobs_queued = GaugeMetricFamily(
            "intake_jobs_queued",
            "Slack requests acked by serve whose work waits for or runs in a worker "
            "(INTAKE_DEFER_WORK).",
        )
        jobs_queued.add_metric([], queued)
        jobs_age = GaugeMetricFamily(
            "intake_jobs_oldest_age_seconds",
            "Seconds since the oldest of them was acked (0: none).",
        )
        jobs_age.add_metric(
            [], max((now - queued_since).total_seconds(), 0.0) if queued_since else 0.0
        )

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
            gave_up = connection.scalar(
                select(func.count())
                .select_from(SlackOutboxRow)
                .where(SlackOutboxRow.sent_at.is_(None), SlackOutboxRow.gave_up_at.is_not(None))
            )
            for status, count in connection.execute(
                select(AskRow.status, func.count()).group_by(AskRow.status)
            ):
                by_status[str(status)] = int(count)
            for name, count, latest in connection.execute(
                select(job, func.count(), func.max(JobRunRow.claimed_at)).group_by(job)
            ):
                key = _label(str(name).split(":", 1)[0])
                run_counts[key] = run_counts.get(key, 0) + int(count)
                latest = _aware(latest)
                if latest is not None and (key not in run_last or latest > run_last[key]):
                    run_last[key] = latest
        given_up.add_metric(["slack"], int(gave_up or 0))
        for status, count in sorted(by_status.items()):
            asks.add_metric([status], count)
        for key, count in sorted(run_counts.items()):
            runs.add_metric([key], count)
        for key, latest in sorted(run_last.items()):
            last_run.add_metric([key], latest.timestamp())
        return [depth, age, given_up, jobs_queued, jobs_age, asks, runs, last_run]


def request_kind(body: bytes, content_type: str) -> tuple[str, str | None]:
    """What a request to /slack/events is, from its body: ``(kind, event type)`` with
    ``kind`` one of ``REQUEST_KINDS`` and the event's type for ``event`` (e.g. ``message``).
    Nothing is trusted: the signature has not been checked yet."""
    try:
        text = body.decode()
        if "json" in content_type.lower():
            data = json.loads(text)
            if not isinstance(data, dict):
                return "malformed", None
            if data.get("type") == "event_callback":
                event = data.get("event")
                event_type = event.get("type") if isinstance(event, dict) else None
                valid = isinstance(event_type, str) and _LABEL.match(event_type)
                return "event", event_type if valid else None
            kind = data.get("type")
            return (kind if kind in REQUEST_KINDS else "other"), None
        form = parse_qs(text, keep_blank_values=True)
        if "payload" in form:
            payload = json.loads(form["payload"][0])
            kind = payload.get("type") if isinstance(payload, dict) else None
            return (kind if kind in REQUEST_KINDS else "other"), None
        if "command" in form:
            return "command", None
        if "ssl_check" in form:
            return "ssl_check", None
        return "other", None
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested too deep
        return "malformed", None


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite may hand back text for an aggregate
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


__all__ = [
    "ACK_BUCKETS",
    "CONTENT_TYPE",
    "LLM_BUCKETS",
    "REQUEST_KINDS",
    "BackgroundCollector",
    "DatabaseCollector",
    "Metrics",
    "request_kind",
]
