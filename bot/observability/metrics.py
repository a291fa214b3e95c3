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
  the follow-through scheduler (where it runs) and rounds of the queue's runner, which sends
  the queued Slack messages, that ran to their end (``bot.background``; read from the loops'
  ``bot.in_flight.Rounds``). The runner
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
  .outbox_depth``) and ``webhook`` (events not delivered: the queue's ``webhook`` items,
  ``storage.queue.pending``);
* ``intake_outbox_given_up{outbox="slack"}``: messages given up after their last attempt;
* ``intake_jobs_queued`` and ``intake_jobs_oldest_age_seconds``: Slack requests acked by
  ``serve`` whose work waits for (or runs in) a worker (``INTAKE_DEFER_WORK``);
* ``intake_asks{status}``: asks by status (every status, 0 included);
* ``intake_job_runs_total{job}`` and ``intake_job_last_run_timestamp_seconds{job}``: claimed
  follow-through runs (``job``: digest, nudge, progress, auto_complete);
* ``intake_tracker_failures_total{tracker,reason}``: tracker calls that failed in this
  process (``bot.tracker_sync``; ``reason``: ``rate_limited``, ``unavailable``, ``rejected``);
* ``intake_database_up``: 1 when those queries worked, else 0; the other database metrics
  are then absent from that scrape (never an error page).

Plus the ``process_*``/``python_*`` collectors of ``prometheus_client``.
"""

from __future__ import annotations

import json
import logging
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
from sqlalchemy import Engine

from bot.observability.collectors import BackgroundCollector, DatabaseCollector
from bot.observability.labels import LABEL_SHAPE, safe_label
from bot.pacing import RATELIMITED
from intake.clock import Clock, SystemClock

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


# One count per process (the tracker kinds count without a Metrics at hand), shown by the
# registry of every Metrics.
_TRACKER_FAILURES: Final = Counter(
    "intake_tracker_failures",
    "Tracker (GitHub, Jira) calls that failed, by tracker and reason.",
    ["tracker", "reason"],
    registry=None,
)


def count_tracker_failure(tracker: str, reason: str) -> None:
    """One failed tracker call in this process (``intake_tracker_failures_total``)."""
    _TRACKER_FAILURES.labels(tracker=safe_label(tracker), reason=safe_label(reason)).inc()


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
        self.registry.register(_TRACKER_FAILURES)
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
        method = safe_label(method)
        self.slack_api_calls.labels(method, safe_label(status)).inc()
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
        purpose = safe_label(purpose)
        self.llm_calls.labels(purpose, safe_label(outcome)).inc()
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
                valid = isinstance(event_type, str) and LABEL_SHAPE.match(event_type)
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


__all__ = [
    "ACK_BUCKETS",
    "CONTENT_TYPE",
    "LLM_BUCKETS",
    "REQUEST_KINDS",
    "Metrics",
    "request_kind",
]
