"""HTTP serving: every Slack request at POST /slack/events, health at GET /healthz, under
waitress (a production WSGI server)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from storage import db

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything larger is refused

StartResponse = Callable[..., Any]


class WsgiApp:
    def __init__(self, app: App, db_engine: Engine) -> None:
        self.slack = SlackRequestHandler(app, path="/slack/events")
        self.db_engine = db_engine

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            if db.ping(self.db_engine):
                return _plain(start_response, "200 OK", "ok")
            return _plain(start_response, "503 Service Unavailable", "database unavailable")
        if path == "/slack/events":
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "POST only")
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length > MAX_BODY:
                return _plain(start_response, "413 Payload Too Large", "request too large")
            try:
                return self.slack(environ, start_response)
            except ValueError:  # Bolt parses the body before verifying it: junk is not Slack
                log.info("refused a malformed request to /slack/events")
                return _plain(start_response, "400 Bad Request", "malformed request")
        return _plain(start_response, "404 Not Found", "not found")


def _plain(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


def create_server(wsgi: WsgiApp, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server bound to host:port (port 0 picks a free one); call .run() to serve."""
    from waitress.server import create_server as waitress_server

    return waitress_server(
        wsgi,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=MAX_BODY,
        ident="platform-intake",
        clear_untrusted_proxy_headers=True,
    )


def serve(container: Any, *, host: str, port: int) -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, HTTP otherwise. Blocks."""
    from bot.app import create_app
    from bot.background import start_background

    settings = container.settings
    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        app = create_app(container, socket_mode=True)
        start_background(container, app.client, schedule=settings.intake_run_scheduler)
        log.info("connecting to Slack in Socket Mode")
        handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
        handler.start()  # type: ignore[no-untyped-call]
        return
    app = create_app(container)
    start_background(container, app.client, schedule=settings.intake_run_scheduler)
    server = create_server(WsgiApp(app, container.db_engine), host, port)
    log.info(
        "listening on http://%s:%s (Slack: POST /slack/events, health: GET /healthz)",
        host,
        server.effective_port,
    )
    server.run()
