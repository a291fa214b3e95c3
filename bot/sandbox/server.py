"""The sandbox's page: static files (bot/sandbox/static, plain HTML, CSS and JavaScript, no build
step) and the small JSON API the page uses, over a running ``Sandbox``.

    GET  /                      the page
    GET  /github                the sandbox's GitHub page (bot.sandbox.github_panel)
    GET  /static/<file>         its CSS and JavaScript
    GET  /api/state?as=U…&channel=C…&thread=ts&log_after=n    what the page shows (polled)
    GET  /api/calls/<n>         one Web API call in full
    POST /api/send              {"as", "channel", "text", "thread_ts"?}   message, reply, /intake
    POST /api/act               {"as", "action_id", "block_id"?, "message_ts"? | "view_id"?,
                                 "value"?, "inputs"?}                      a click or a choice
    POST /api/submit            {"as", "view_id", "inputs"}               a modal's submit
    POST /api/close             {"as", "view_id"}                         a modal's cancel
    POST /api/home              {"as"}                                    the Home tab is opened
    POST /api/shortcut          {"as", "message_ts"}                      the message shortcut
    POST /api/jump              {"to": "monday" | "day" | "hour"}         the clock control
    GET  /api/github            the GitHub page's issues, sub-issues and webhook deliveries
    POST /api/github            {"as", "number", "state": "closed" | "open"}  close or reopen an
                                issue there: GitHub's signed webhook goes to the bot

It listens on 127.0.0.1 only. POSTs must be JSON from the page's own origin, and the Host must
be a loopback name, so another web page cannot drive the sandbox (CSRF, DNS rebinding).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs

from bot.sandbox.runtime import Sandbox, SandboxError

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_BODY = 256 * 1024
LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}

StartResponse = Callable[..., Any]


class PageApp:
    """The WSGI app of the page."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        if not _loopback_host(environ.get("HTTP_HOST", "")):
            return _json(start_response, 403, {"ok": False, "error": "not a loopback host"})
        try:
            if method in ("GET", "HEAD"):
                return self._get(path, environ, start_response)
            if method == "POST" and path.startswith("/api/"):
                if not _same_origin(environ):
                    return _json(start_response, 403, {"ok": False, "error": "cross-origin"})
                body = _read_json(environ)
                return _json(start_response, 200, self._post(path[len("/api/") :], body))
            return _json(start_response, 405, {"ok": False, "error": "method not allowed"})
        except SandboxError as exc:
            return _json(start_response, 400, {"ok": False, "error": str(exc)})
        except (ValueError, KeyError, TypeError) as exc:
            return _json(start_response, 400, {"ok": False, "error": f"bad request: {exc}"})
        except Exception as exc:  # the page shows it; the terminal has the trace
            log.exception("sandbox page request failed: %s %s", method, path)
            return _json(start_response, 500, {"ok": False, "error": repr(exc)})

    def _get(
        self, path: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if path in ("/", "/index.html"):
            return _file(start_response, STATIC / "index.html")
        if path in ("/github", "/github.html"):
            return _file(start_response, STATIC / "github.html")
        if path == "/api/github":
            return _json(start_response, 200, self.sandbox.github.state())
        if path.startswith("/static/"):
            name = path[len("/static/") :]
            candidate = (STATIC / name).resolve()
            if "/" in name or not candidate.is_file() or candidate.parent != STATIC.resolve():
                return _json(start_response, 404, {"ok": False, "error": "not found"})
            return _file(start_response, candidate)
        if path == "/api/state":
            q = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            snapshot = self.sandbox.snapshot(
                q["as"],
                channel=q.get("channel") or None,
                thread_ts=q.get("thread") or None,
                log_after=int(q.get("log_after") or -1),
            )
            return _json(start_response, 200, snapshot)
        if path.startswith("/api/calls/"):
            return _json(start_response, 200, self.sandbox.call_detail(int(path.rsplit("/", 1)[1])))
        if path == "/healthz":
            return _json(start_response, 200, {"ok": True})
        return _json(start_response, 404, {"ok": False, "error": "not found"})

    def _post(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        sb = self.sandbox
        if action == "jump":
            return {"ok": True, "jump": sb.jump(str(body.get("to") or "monday")).as_dict()}
        user = str(body["as"])
        if action == "github":
            if body.get("state") not in ("closed", "open"):
                raise SandboxError("state must be 'closed' or 'open'")
            return sb.github_state(user, body["state"] == "closed", int(body["number"]))
        if action == "send":
            return sb.send(user, str(body["channel"]), str(body["text"]), body.get("thread_ts"))
        if action == "act":
            return sb.act(
                user,
                action_id=str(body["action_id"]),
                block_id=body.get("block_id"),
                message_ts=body.get("message_ts"),
                view_id=body.get("view_id"),
                value=body.get("value"),
                inputs=body.get("inputs"),
            )
        if action == "submit":
            return sb.submit(user, str(body["view_id"]), dict(body.get("inputs") or {}))
        if action == "close":
            return sb.close(user, str(body["view_id"]))
        if action == "home":
            return sb.open_home(user)
        if action == "shortcut":
            return sb.shortcut(user, str(body["message_ts"]))
        raise SandboxError(f"unknown action {action!r}")


def _loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in LOOPBACK


def _same_origin(environ: dict[str, Any]) -> bool:
    if "application/json" not in (environ.get("CONTENT_TYPE") or ""):
        return False
    origin = environ.get("HTTP_ORIGIN")
    return origin is None or origin == f"http://{environ.get('HTTP_HOST', '')}"


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        raise ValueError("request too large")
    raw = environ["wsgi.input"].read(length) if length > 0 else b"{}"
    data = json.loads(raw or b"{}")
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _json(start_response: StartResponse, status: int, body: Any) -> list[bytes]:
    data = json.dumps(body, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}.get(status, "")
    start_response(
        f"{status} {reason or 'Error'}",
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [data]


def _file(start_response: StartResponse, path: Path) -> list[bytes]:
    data = path.read_bytes()
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith("javascript"):
        kind += "; charset=utf-8"
    start_response(
        "200 OK",
        [
            ("Content-Type", kind),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
            (
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
                "script-src 'self'; connect-src 'self'",
            ),
        ],
    )
    return [data]


class PageServer:
    """The page served by waitress on 127.0.0.1 in a daemon thread."""

    def __init__(self, sandbox: Sandbox, port: int = 0) -> None:
        from waitress.server import create_server

        self.server: Any = cast(
            Any,
            create_server(
                PageApp(sandbox),
                host="127.0.0.1",
                port=port,
                threads=8,
                ident="intake-sandbox",
                max_request_body_size=MAX_BODY,
            ),
        )
        self.port: int = self.server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        sandbox.github.set_page(self.url)  # issues link to this page's /github
        self._thread = threading.Thread(target=self._run, name="sandbox-page", daemon=True)

    def start(self) -> PageServer:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.server.run()
        except (OSError, ValueError):  # closed from another thread
            log.debug("sandbox page stopped", exc_info=True)

    def close(self) -> None:
        self.server.close()
