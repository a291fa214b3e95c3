"""A webhook receiver on 127.0.0.1 for tests: records every request, checks signatures, and
answers what the test says (200 by default), so delivery, retries and order can be observed."""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from intake.events import signature

SECRET = "whsec-e2e-0123456789"


@dataclass
class Received:
    event_id: str
    timestamp: str
    signature: str
    content_type: str
    body: bytes
    status: int  # what the receiver answered

    @property
    def payload(self) -> dict[str, Any]:
        value = json.loads(self.body)
        assert isinstance(value, dict)
        return value

    @property
    def signed(self) -> bool:
        expected = signature(SECRET, self.timestamp, self.body)
        return hmac.compare_digest(expected, self.signature)

    @property
    def ask(self) -> str:
        return str(self.payload["ask_id"])


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records every request. ``answer`` decides the status
    of each (200 unless changed); ``delay`` holds the answer back; ``retry_after``, when set,
    is sent as the ``Retry-After`` header of every non-2xx answer."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Received] = []
        self.answer: Callable[[Received], int] = lambda _: 200
        self.delay = 0.0
        self.retry_after: str | None = None
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = defaultdict(int)  # per ask
        self.overlaps: list[str] = []  # asks with two requests in flight at once
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received = Received(
                    event_id=self.headers.get("X-Intake-Event-Id", ""),
                    timestamp=self.headers.get("X-Intake-Timestamp", ""),
                    signature=self.headers.get("X-Intake-Signature", ""),
                    content_type=self.headers.get("Content-Type", ""),
                    body=body,
                    status=0,
                )
                ask = received.ask
                with receiver.lock:
                    receiver.in_flight[ask] += 1
                    if receiver.in_flight[ask] > 1:
                        receiver.overlaps.append(ask)
                    received.status = receiver.answer(received)
                    receiver.requests.append(received)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:  # done before answering: the sender waits for the answer
                    receiver.in_flight[ask] -= 1
                try:
                    self.send_response(received.status)
                    self.send_header("Content-Length", "2")
                    if receiver.retry_after is not None and not 200 <= received.status < 300:
                        self.send_header("Retry-After", receiver.retry_after)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/intake"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[Received]:
        """Requests answered with a 2xx, in arrival order."""
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def accepted_ids(self) -> list[str]:
        return [r.event_id for r in self.accepted()]

    def by_ask(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for request in self.accepted():
            found[request.ask].append(request.event_id)
        return dict(found)
