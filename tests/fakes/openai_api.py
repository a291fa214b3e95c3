"""A fake OpenAI-compatible API served over real HTTP on 127.0.0.1, for tests of llm.

    with FakeOpenAI() as fake:
        client = openai.OpenAI(api_key="sk-test", base_url=fake.base_url)
        fake.script(FakeReply.json({"request_type": "database"}))
        ...
        assert fake.chat_requests()[0]["messages"][0]["role"] == "system"

It serves ``POST /v1/chat/completions`` and ``POST /v1/embeddings`` the way the ``openai``
client expects them and records every request (path, JSON body, headers without the API key,
time). Chat answers come from, in order:

1. the script: ``fake.script(reply, ...)`` queues replies, each a ``FakeReply``, a ``dict`` (the
   JSON content to answer with) or a callable ``(schema_name, request_json) -> dict | FakeReply``
   used for one request;
2. ``fake.responder``: a callable ``(schema_name, request_json) -> dict | FakeReply`` answering
   every request the script does not;
3. otherwise an HTTP 400 "nothing scripted", recorded in ``violations``.

``schema_name`` is ``response_format.json_schema.name`` (the Pydantic model's class name, e.g.
"ExtractionReply"), or "" when the request has none. A ``FakeReply`` can be JSON content, raw
(malformed) content, a refusal, an HTTP error status with headers (``Retry-After``), a delay
(for timeouts), a finish reason and token usage.

Embeddings are deterministic (``tests.fakes.embeddings.fake_embedding``: hashed word stems,
L2-normalised), so similar texts get similar vectors; ``fake.script_embeddings(FakeReply...)``
queues errors or delays for them. Requests that offer tools or functions to the model are
recorded in ``violations`` (the assistant must never give the model tools).
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from bot.sandbox.startable import Startable
from tests.fakes.embeddings import DIMENSIONS, fake_embedding

FAKE_MODEL = "fake-gpt"


@dataclass
class FakeReply:
    """One scripted answer. ``content`` is sent as the message content verbatim (use
    ``FakeReply.json`` for JSON); ``status`` other than 200 sends an OpenAI-style error body
    with ``headers``; ``delay`` seconds pass before anything is sent; ``usage`` is
    ``(prompt_tokens, completion_tokens)`` (default: estimated from the sizes); ``body``
    replaces the whole answer (``FakeReply.garbled``: a server that is not quite OpenAI's)."""

    content: str | None = None
    refusal: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None
    body: bytes | None = None  # sent as the whole HTTP body instead of a chat completion

    @classmethod
    def json(cls, data: dict[str, Any], **kw: Any) -> FakeReply:
        return cls(content=json.dumps(data), **kw)

    @classmethod
    def refused(cls, text: str = "I can't help with that.", **kw: Any) -> FakeReply:
        return cls(content=None, refusal=text, **kw)

    @classmethod
    def malformed(cls, text: str = '{"request_type": "database",', **kw: Any) -> FakeReply:
        return cls(content=text, **kw)

    @classmethod
    def garbled(cls, body: bytes = b'{"choices": "none of these"}') -> FakeReply:
        return cls(body=body)

    @classmethod
    def error(cls, status: int, retry_after: str | None = None, **kw: Any) -> FakeReply:
        headers = dict(kw.pop("headers", {}))
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return cls(status=status, headers=headers, **kw)

    @classmethod
    def slow(cls, delay: float, data: dict[str, Any] | None = None) -> FakeReply:
        return cls(content=json.dumps(data or {}), delay=delay)


Responder = Callable[[str, dict[str, Any]], "dict[str, Any] | FakeReply"]
Scripted = FakeReply | dict[str, Any] | Responder


@dataclass
class Recorded:
    """One request the fake received."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]  # lower-case names; no Authorization
    at: float  # time.monotonic() when it arrived

    @property
    def schema_name(self) -> str:
        return schema_name(self.body)

    def message(self, role: str) -> str:
        """The content of the first message with ``role`` ("system", "user")."""
        for message in self.body.get("messages", []):
            if message.get("role") == role:
                content = message.get("content")
                return content if isinstance(content, str) else json.dumps(content)
        return ""


def schema_name(body: dict[str, Any]) -> str:
    response_format = body.get("response_format") or {}
    if response_format.get("type") != "json_schema":
        return ""
    return str((response_format.get("json_schema") or {}).get("name", ""))


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


class FakeOpenAI(Startable):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: deque[Scripted] = deque()
        self._embedding_script: deque[FakeReply] = deque()
        self._requests: list[Recorded] = []
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self.responder: Responder | None = None
        self.violations: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Self:
        fake: FakeOpenAI = self

        class Handler(_Handler):
            owner = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases any delayed reply
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    # -- scripting ------------------------------------------------------------------------------

    def script(self, *replies: Scripted) -> None:
        """Queue chat answers, one per request, in order."""
        with self._lock:
            self._script.extend(replies)

    def script_embeddings(self, *replies: FakeReply) -> None:
        """Queue embedding answers (errors, delays); unscripted requests get fake vectors."""
        with self._lock:
            self._embedding_script.extend(replies)

    def pending(self) -> int:
        """Scripted chat answers not used yet."""
        with self._lock:
            return len(self._script)

    # -- what was received ----------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def embedding_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/embeddings")]

    def bodies(self) -> str:
        """Every request body received, as one JSON text (to search for what must not be
        there)."""
        return "\n".join(json.dumps(r.body, ensure_ascii=False) for r in self.requests)

    # -- answering (called by the handler) ------------------------------------------------------

    def _record(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        with self._lock:
            self._requests.append(Recorded(path, body, headers, time.monotonic()))
            if body.get("tools") or body.get("functions"):
                self.violations.append(f"{path}: tools or functions offered to the model")

    def _next_chat(self, body: dict[str, Any]) -> FakeReply | None:
        name = schema_name(body)
        with self._lock:
            scripted = self._script.popleft() if self._script else None
            responder = self.responder
        answer: FakeReply | dict[str, Any]
        if scripted is None:
            if responder is None:
                with self._lock:
                    self.violations.append(
                        f"chat request for {name or 'no schema'}: nothing scripted"
                    )
                return None
            answer = responder(name, body)
        elif isinstance(scripted, FakeReply | dict):
            answer = scripted
        else:
            answer = scripted(name, body)
        return answer if isinstance(answer, FakeReply) else FakeReply.json(answer)

    def _next_embedding(self) -> FakeReply | None:
        with self._lock:
            return self._embedding_script.popleft() if self._embedding_script else None

    def _wait(self, delay: float) -> None:
        if delay > 0:
            self._stopping.wait(delay)

    def chat_response(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.content,
            "refusal": reply.refusal,
        }
        prompt, completion = reply.usage or (
            _tokens(json.dumps(body.get("messages", []))),
            _tokens(reply.content or reply.refusal or ""),
        )
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or FAKE_MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def embedding_response(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else list(raw or [])
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = fake_embedding(str(text), DIMENSIONS)
            encoded: Any = vector
            if as_base64:
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(_tokens(str(text)) for text in texts)
        return {
            "object": "list",
            "data": data,
            "model": body.get("model") or "fake-embedding",
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


def _error_body(status: int, message: str) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}
    return {"error": {"message": message, "type": kinds.get(status, "server_error"), "code": None}}


class _Handler(BaseHTTPRequestHandler):
    owner: FakeOpenAI
    # Keep-alive, as the real API: the client reuses its connections (and every answer has a
    # Content-Length).
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self,
        status: int,
        payload: dict[str, Any] | bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): nothing to answer

    def do_POST(self) -> None:
        fake = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send(400, _error_body(400, "body is not JSON"))
            return
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
        path = self.path.split("?", 1)[0]
        fake._record(path, body, headers)
        if path == "/v1/chat/completions":
            reply = fake._next_chat(body)
            if reply is None:
                self._send(400, _error_body(400, "fake: nothing scripted for this request"))
                return
            fake._wait(reply.delay)
            if reply.status != 200:
                self._send(reply.status, _error_body(reply.status, "fake error"), reply.headers)
                return
            answer = reply.body if reply.body is not None else fake.chat_response(body, reply)
            self._send(200, answer, reply.headers)
        elif path == "/v1/embeddings":
            scripted = fake._next_embedding()
            if scripted is not None:
                fake._wait(scripted.delay)
                if scripted.status != 200:
                    self._send(
                        scripted.status,
                        _error_body(scripted.status, "fake error"),
                        scripted.headers,
                    )
                    return
            self._send(200, fake.embedding_response(body))
        else:
            self._send(404, _error_body(404, f"fake: no route {path}"))
