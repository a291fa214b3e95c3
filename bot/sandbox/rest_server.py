"""The plumbing of the sandbox's local GitHub (and the tests' fake Jira): a threaded HTTP server
on 127.0.0.1 with a free port, a route table of (method, path pattern) -> handler, a record of
every call, and rate limits a test switches on ("answer the next N calls with 429/403 and
Retry-After")."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from bot.sandbox.startable import Startable


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int = 0


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.answer = Answer(status, body)


@dataclass
class Limit:
    """Answer the next ``count`` calls (to ``method`` and ``path``, when given) with this
    instead of serving them."""

    count: int
    answer: Answer
    method: str = ""
    path: re.Pattern[str] | None = None

    def applies(self, call: Call) -> bool:
        return (not self.method or self.method == call.method) and (
            self.path is None or bool(self.path.match(call.path))
        )


Handler = Callable[[Call, re.Match[str]], Answer]


class FakeRestServer(Startable):
    """Subclasses add routes with ``route`` and decide who is authorized in ``authorized``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._limits: list[Limit] = []
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                fake._handle(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def limit_next(self, count: int, answer: Answer) -> None:
        with self.lock:
            self._limits.append(Limit(count, answer))

    def fail_next(self, method: str, path_pattern: str, answer: Answer, count: int = 1) -> None:
        """Answer the next ``count`` calls to this endpoint with ``answer`` (say, a 502)."""
        with self.lock:
            self._limits.append(Limit(count, answer, method, re.compile(f"^{path_pattern}$")))

    def authorized(self, headers: dict[str, str]) -> bool:
        return True

    def unauthorized(self) -> Answer:
        return Answer(401, {"message": "Bad credentials"})

    def calls_to(self, method: str, path_pattern: str) -> list[Call]:
        pattern = re.compile(f"^{path_pattern}$")
        with self.lock:
            return [c for c in self.calls if c.method == method and pattern.match(c.path)]

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        call = Call(request.command, parts.path, parse_qs(parts.query), body)
        answer = self._answer(call, {k: v for k, v in request.headers.items()})
        call.status = answer.status
        with self.lock:
            self.calls.append(call)
        data = b"" if answer.body is None else json.dumps(answer.body).encode()
        request.send_response(answer.status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _answer(self, call: Call, headers: dict[str, str]) -> Answer:
        if not self.authorized(headers):
            return self.unauthorized()
        with self.lock:
            limit = next((x for x in self._limits if x.applies(call)), None)
            if limit is not None:
                limit.count -= 1
                if limit.count <= 0:
                    self._limits.remove(limit)
                return limit.answer
            for method, pattern, handler in self._routes:
                found = pattern.match(call.path)
                if method == call.method and found:
                    try:
                        return handler(call, found)
                    except HttpError as error:
                        return error.answer
        return Answer(404, {"message": "Not Found"})


def first(call: Call, name: str, default: str = "") -> str:
    """A query parameter's first value."""
    return call.query.get(name, [default])[0]
