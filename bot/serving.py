"""HTTP serving: every Slack request at POST /slack/events, health at GET /healthz, metrics at
GET /metrics, (multi-workspace mode) Bolt's OAuth install pages at GET /slack/install and
/slack/oauth_redirect, and (with INTAKE_TRACKERS_FILE) the trackers' webhooks at POST
/trackers/github and /trackers/jira (``bot.tracker_http``), under waitress (a production WSGI
server). Socket Mode serves no webhooks: there the trackers' reconcile brings changes back.

Every request to /slack/events gets a request ID (``bot.observability.context``): bound while
it is handled (and carried into Bolt's listener threads), returned as ``X-Request-Id`` and put
on every log line about it. Its ack latency (arrival to Bolt's response, i.e. to ``ack()``) and
status go to ``intake_ack_seconds`` / ``intake_slack_requests_total`` and to one INFO line
``slack request kind=command status=200 ack_ms=41`` (no body, no user text).

/metrics and /healthz answer on the port Slack reaches; restrict /metrics to the monitoring
network at the ingress (it tells counts, not contents), or serve it on its own port with
``--metrics-port`` (``serve`` and ``worker``), which answers only /metrics and /healthz.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot import request_shape
from bot.observability.context import bind_bolt, request_scope
from bot.observability.logs import keep_bodies_out_of_bolt_logs
from bot.observability.metrics import CONTENT_TYPE, Metrics, request_kind
from bot.tracker_http import TrackerWebhooks, tracker_webhooks
from storage import db

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything larger is refused
# waitress threads for /slack/events: each holds a request until Bolt has its ack (Bolt's
# runner polls for it), so a burst of requests needs several at once.
HTTP_THREADS = 32
SWITCH_INTERVAL_S = 0.001
OPS_PATHS = frozenset({"/healthz", "/metrics"})
OPS_THREADS = 2
CONNECTION_LIMIT = 500

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class OpsApp:
    """GET /healthz (200 when the database answers, else 503) and GET /metrics (404 without
    ``metrics``); 404 for anything else."""

    def __init__(self, db_engine: Engine, metrics: Metrics | None = None) -> None:
        self.db_engine = db_engine
        self.health_engine = db.health_engine(db_engine)
        self.metrics = metrics

    def handle(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes] | None:
        """The answer when the request is for /healthz or /metrics, else None."""
        path = environ.get("PATH_INFO", "")
        if path not in ("/healthz", "/metrics"):
            return None
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", "GET only")
        if path == "/healthz":
            if db.ping(self.health_engine):
                return _plain(start_response, "200 OK", "ok")
            return _plain(start_response, "503 Service Unavailable", "database unavailable")
        if self.metrics is None:
            return _plain(start_response, "404 Not Found", "metrics are not enabled")
        data = self.metrics.exposition()
        start_response(
            "200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(data)))]
        )
        return [data]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answered = self.handle(environ, start_response)
        if answered is not None:
            return answered
        return _plain(start_response, "404 Not Found", "not found")


class WsgiApp:
    """The bot's HTTP face: /slack/events (Bolt), /healthz and /metrics. ``metrics``: where
    ack latencies are recorded and what /metrics shows (None: /metrics answers 404)."""

    def __init__(
        self,
        app: App,
        db_engine: Engine,
        metrics: Metrics | None = None,
        trackers: TrackerWebhooks | None = None,
    ) -> None:
        self.app = app
        self.trackers = trackers  # POST /trackers/github and /trackers/jira (bot.tracker_http)
        bind_bolt(app)  # request IDs reach the listener threads
        keep_bodies_out_of_bolt_logs()  # a request that fails its signature check
        self.slack = SlackRequestHandler(app, path="/slack/events")
        self.db_engine = db_engine
        self.metrics = metrics
        self.ops = OpsApp(db_engine, metrics)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answered = self.ops.handle(environ, start_response)
        if answered is not None:
            return answered
        if self.trackers is not None:
            answered = self.trackers.handle(environ, start_response)
            if answered is not None:
                return answered
        path = environ.get("PATH_INFO", "")
        if path == "/slack/events":
            return self._slack_request(environ, start_response)
        flow = self.app.oauth_flow
        if flow is not None and path in (flow.install_path, flow.redirect_uri_path):
            # The multi-workspace install (bot.oauth): Bolt's OAuth flow answers both GETs.
            if environ.get("REQUEST_METHOD", "GET") != "GET":
                return _plain(start_response, "405 Method Not Allowed", "GET only")
            with request_scope():
                return self.slack(environ, start_response)
        return _plain(start_response, "404 Not Found", "not found")

    def _slack_request(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        arrived = time.perf_counter()
        if environ.get("REQUEST_METHOD", "GET") != "POST":
            return _plain(start_response, "405 Method Not Allowed", "POST only")
        with request_scope() as request_id:
            statuses: list[str] = []

            def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
                statuses.append(status)
                return start_response(status, [*headers, ("X-Request-Id", request_id)], *exc_info)

            kind, event_type = "other", None
            answer: Iterable[bytes]
            length = _content_length(environ)
            if length is None:
                answer = _plain(start, "400 Bad Request", "bad Content-Length")
            elif length > MAX_BODY:
                answer = _plain(start, "413 Payload Too Large", "request too large")
            else:
                body = environ["wsgi.input"].read(length) if length > 0 else b""
                environ["wsgi.input"] = io.BytesIO(body)  # Bolt reads it again
                kind, event_type = request_kind(body, environ.get("CONTENT_TYPE") or "")
                refusal = _refusal(environ, body)
                if refusal is not None:
                    log.info("refused a request to /slack/events: %s", refusal[1])
                    kind = "malformed" if refusal[0].startswith("400") else kind
                    answer = _plain(start, *refusal)
                else:
                    try:
                        answer = self.slack(environ, start)
                    except ValueError:  # anything Bolt cannot read that _refusal let through
                        log.info("refused a malformed request to /slack/events")
                        kind = "malformed"
                        answer = _plain(start, "400 Bad Request", "malformed request")
            seconds = time.perf_counter() - arrived
            status = statuses[-1].split(" ", 1)[0] if statuses else "500"
            if self.metrics is not None:
                self.metrics.observe_ack(kind, seconds, status)
            retry = environ.get("HTTP_X_SLACK_RETRY_NUM")
            log.info(
                "slack request kind=%s%s status=%s ack_ms=%d%s",
                kind,
                f" event={event_type}" if event_type else "",
                status,
                round(seconds * 1000),
                f" retry={retry}" if retry and retry.isdigit() else "",
            )
            return answer


def _content_length(environ: dict[str, Any]) -> int | None:
    """The request's Content-Length (0 when absent), None when it is not a number."""
    value = str(environ.get("CONTENT_LENGTH") or "0").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _refusal(environ: dict[str, Any], body: bytes) -> tuple[str, str] | None:
    """Why a request to /slack/events is refused before Bolt sees it: ``(status, reason)``,
    or None to pass it on. Bolt parses the body before it checks the signature, and fails on
    bodies it cannot read (a JSON list, nesting too deep, bytes that are not UTF-8) and on
    signature headers it cannot compare; such requests are answered here with a 4xx (and
    nothing else happens). The rules follow ``slack_bolt.request.internals.parse_body``."""
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    if not signature.isascii() or (timestamp and not (timestamp.isascii() and timestamp.isdigit())):
        return "401 Unauthorized", "unreadable signature headers"
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return "400 Bad Request", "body is not UTF-8"
    if not text:
        return None
    # Signed or not, a body not shaped like Slack's would fail inside Bolt (bot.request_shape).
    try:
        content_type = str(environ.get("CONTENT_TYPE") or "").split(";")[0]
        if content_type == "application/json" or text.startswith("{"):
            parsed: Any = json.loads(text)
            check: Callable[[dict[str, Any]], str | None] = request_shape.event_problem
        elif "payload" in text:
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            parsed = json.loads(payload) if payload is not None else {}
            check = request_shape.payload_problem
        else:  # a plain form (a slash command)
            problem = request_shape.command_problem(dict(parse_qsl(text, keep_blank_values=True)))
            return ("400 Bad Request", problem) if problem else None
    except (ValueError, RecursionError):
        return "400 Bad Request", "body is not JSON"
    if not isinstance(parsed, dict):
        return "400 Bad Request", "body is not a JSON object"
    problem = check(parsed)
    return ("400 Bad Request", problem) if problem else None


def _plain(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _ops_first_dispatcher(threads: int) -> Any:
    """waitress's task dispatcher, with GET /healthz and /metrics served by threads of their
    own: a health check never queues behind Slack requests that wait for their acks (a
    liveness probe that times out restarts a pod that is only busy)."""
    from waitress.task import ThreadedTaskDispatcher

    class OpsFirst(ThreadedTaskDispatcher):
        def __init__(self) -> None:
            super().__init__()
            self.ops = ThreadedTaskDispatcher()
            self.ops.set_thread_count(OPS_THREADS)

        def add_task(self, task: Any) -> None:
            requests = getattr(task, "requests", None) or [None]
            if getattr(requests[0], "path", None) in OPS_PATHS:
                self.ops.add_task(task)
            else:
                super().add_task(task)

        def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool:
            self.ops.shutdown(cancel_pending, 1)
            return bool(super().shutdown(cancel_pending, timeout))

    dispatcher = OpsFirst()
    dispatcher.set_thread_count(threads)
    return dispatcher


def create_server(wsgi: Wsgi, host: str, port: int, threads: int = HTTP_THREADS) -> Any:
    """A waitress server bound to host:port (port 0 picks a free one); call .run() to serve.
    /healthz and /metrics have threads of their own (``_ops_first_dispatcher``)."""
    from waitress.server import create_server as waitress_server

    return waitress_server(
        wsgi,
        host=host,
        port=port,
        threads=threads,
        _dispatcher=_ops_first_dispatcher(threads),
        # Slack's requests are answered at once (bot.admission); room for a burst of them
        # and the probes (waitress stops accepting connections past the limit).
        connection_limit=CONNECTION_LIMIT,
        max_request_body_size=MAX_BODY,
        ident="platform-intake",
        clear_untrusted_proxy_headers=True,
    )


def run_in_thread(server: Any, name: str) -> threading.Thread:
    """Run a ``create_server`` server in a daemon thread until its ``.close()``."""

    def run() -> None:
        try:
            server.run()
        except (OSError, ValueError):  # closed from another thread while it waited
            log.debug("%s stopped", name, exc_info=True)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def close_when_idle(server: Any, timeout: float = 5.0) -> None:
    """Close a ``create_server`` server once its threads have finished the requests they
    were handling (at most ``timeout`` seconds): closing under a thread still finishing a
    response makes that thread fail on the closed socket."""
    dispatcher = server.task_dispatcher
    deadline = time.monotonic() + timeout
    with dispatcher.lock:
        while (dispatcher.active_count or dispatcher.queue) and time.monotonic() < deadline:
            dispatcher.queue_cv.wait(0.01)
    server.close()


def start_ops_server(db_engine: Engine, metrics: Metrics, host: str, port: int) -> Any:
    """Serve only /metrics and /healthz on host:port (0: a free port) in a daemon thread;
    returns the waitress server (``.effective_port``; ``.close()`` stops it)."""
    server = create_server(OpsApp(db_engine, metrics), host, port, threads=2)
    run_in_thread(server, "metrics-http")
    log.info("metrics on http://%s:%s/metrics (health: /healthz)", host, server.effective_port)
    return server


def http_app(app: App, container: Any, metrics: Metrics | None = None) -> WsgiApp:
    """What ``serve`` serves over HTTP, for ``container``: the app's Slack requests, the
    trackers' webhooks (none without INTAKE_TRACKERS_FILE) and /healthz; /metrics from
    ``metrics`` (None: 404)."""
    return WsgiApp(app, container.db_engine, metrics, tracker_webhooks(container))


def make_metrics(container: Any) -> Metrics:
    """The process's metrics: database gauges on the container's database and clock, and the
    LLM gateway's calls when the container has one (``container.llm``)."""
    metrics = Metrics(container.db_engine, clock=container.clock)
    metrics.watch_llm(getattr(container, "llm", None))
    metrics.watch_work(container.in_flight)
    return metrics


def serve(container: Any, *, host: str, port: int, metrics_port: int | None = None) -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, HTTP otherwise. Blocks.
    ``metrics_port``: also serve /metrics and /healthz alone on that port (Socket Mode has no
    other HTTP port)."""
    from bot.app import create_app
    from bot.background import start_background
    from bot.shutdown import run_socket_mode_until_stopped, serve_until_stopped

    settings = container.settings
    metrics = make_metrics(container)
    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        app = create_app(container, socket_mode=True)
        bind_bolt(app)
        metrics.watch_slack(app.client)
        background = start_background(container, app.client, schedule=settings.intake_run_scheduler)
        metrics.watch_background(background)
        if metrics_port is not None:
            start_ops_server(container.db_engine, metrics, host, metrics_port)
        log.info("connecting to Slack in Socket Mode")
        handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
        run_socket_mode_until_stopped(handler, container, background)  # bot.shutdown
        return
    app = create_app(container)
    metrics.watch_slack(app.client)
    # Up to INTAKE_MAX_PENDING_WORK listener threads wait on the model and on Slack while a
    # few run Python (bot.admission); a request that arrives needs the interpreter lock a
    # few dozen times before it is acked. A shorter switch interval than CPython's 5 ms
    # bounds each of those waits.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    background = start_background(container, app.client, schedule=settings.intake_run_scheduler)
    metrics.watch_background(background)
    if metrics_port is not None:
        start_ops_server(container.db_engine, metrics, host, metrics_port)
    server = create_server(http_app(app, container, metrics), host, port)
    log.info(
        "listening on http://%s:%s (Slack: POST /slack/events, health: GET /healthz, "
        "metrics: GET /metrics)",
        host,
        server.effective_port,
    )
    serve_until_stopped(server, container, background)  # until SIGTERM/SIGINT: bot.shutdown
