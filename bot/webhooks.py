"""The webhook sender: delivers the integration events of the outbox (``storage.outbox``) to
the configured URL, signed, in order per ask, retrying until the receiver takes them.

Every replica may run one; the outbox's claims keep them from sending the same event at the
same time. Each event is one ``POST`` of its JSON (compact, keys sorted) with::

    Content-Type: application/json
    X-Intake-Event-Id: <event id>           (receivers de-duplicate on it: at-least-once)
    X-Intake-Timestamp: <unix seconds>
    X-Intake-Signature: v1=<hex HMAC-SHA256 of "{timestamp}.{body}">  (intake.events.signature)

Any 2xx is delivered. Anything else - another status (redirects are not followed), a timeout,
a refused connection - is a failed attempt, retried after 2, 4, 8, ... s (at most 10 min)
while the later events of that ask wait. Logs name the event and the outcome, never the
payload, the URL or the secret.

Wiring (the unit of work wakes the sender when it queued events)::

    sender = WebhookSender(engine, url, secret)
    uow_factory = SqlUnitOfWorkFactory(engine, on_events=sender.notify)
    sender.start()  ...  sender.stop()
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine

from bot.in_flight import InFlight, Rounds, Wakeups
from intake.clock import Clock, SystemClock
from intake.events import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from storage import outbox

log = logging.getLogger(__name__)

USER_AGENT = "platform-intake-webhooks/1"
MAX_BATCHES_PER_ROUND = 50


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: urllib would replay a POST as a GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def encode(payload: Mapping[str, Any]) -> bytes:
    """The request body: compact JSON with sorted keys, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


class WebhookSender:
    """Delivers due outbox events to ``url``, signed with ``secret``. ``run_once()`` is one
    round; ``start()`` runs rounds every ``poll_interval`` seconds (or at once after
    ``notify()``) in a daemon thread until ``stop()``."""

    def __init__(
        self,
        engine: Engine,
        url: str,
        secret: str,
        *,
        clock: Clock | None = None,
        timeout: float = 5.0,
        poll_interval: float = 1.0,
        batch_size: int = 20,
        in_flight: InFlight | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the webhook URL must be an absolute http:// or https:// URL")
        if not secret:
            raise ValueError("the webhook secret must not be empty")
        self.engine = engine
        self.url = url
        self._secret = secret
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self._wakeups = Wakeups(in_flight)  # a notified round counts as work in flight
        self.rounds = Rounds()  # rounds that ran to the end
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # never shows the secret
        return f"WebhookSender(host={urlsplit(self.url).hostname!r})"

    # -- one round ---------------------------------------------------------------------------

    def run_once(self) -> int:
        """Deliver what is due now; the number delivered. An ask whose event fails is left
        alone for the rest of the round (its later events wait for that one)."""
        sent = 0
        failing: set[int] = set()
        for _ in range(MAX_BATCHES_PER_ROUND):
            items = outbox.due(self.engine, self.clock.now(), self.batch_size, exclude_asks=failing)
            if not items:
                break
            for index, item in enumerate(items):
                if self._stopping.is_set():
                    outbox.release(self.engine, [i.id for i in items[index:]], self.clock.now())
                    return sent
                if self._deliver(item):
                    sent += 1
                else:
                    failing.add(item.ask_id)
        self.rounds.done()
        return sent

    def _deliver(self, item: outbox.OutboxItem) -> bool:
        error, status = self._post(item)
        at = self.clock.now()
        if error is None:
            outbox.delivered(self.engine, item.id, at)
            log.info(
                "webhook delivered: event %s (ask %s) status %s, attempt %d",
                item.event_id,
                item.ask_id,
                status,
                item.attempts + 1,
            )
            return True
        wait = outbox.failed(self.engine, item.id, error, at)
        log.info(
            "webhook failed: event %s (ask %s) %s, attempt %d; next try in %s s",
            item.event_id,
            item.ask_id,
            error,
            item.attempts + 1,
            int(wait.total_seconds()) if wait is not None else "-",
        )
        return False

    def _post(self, item: outbox.OutboxItem) -> tuple[str | None, int | None]:
        """``(None, status)`` when the receiver took the event, else ``(error, status)``."""
        body = encode(item.payload)
        timestamp = str(int(self.clock.now().timestamp()))
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                EVENT_ID_HEADER: item.event_id,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(self._secret, timestamp, body),
            },
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                status = int(response.status)
                with contextlib.suppress(http.client.HTTPException, OSError):
                    response.read(64 * 1024)  # the answer is decided; read a little politely
        except urllib.error.HTTPError as error:
            error.close()
            return f"HTTP {error.code} {error.reason}".strip(), error.code
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError):
                return f"timed out after {self.timeout:g} s", None
            return f"connection failed: {reason}", None
        except TimeoutError:
            return f"timed out after {self.timeout:g} s", None
        except (http.client.HTTPException, OSError) as error:
            return f"connection failed: {type(error).__name__}: {error}", None
        if 200 <= status < 300:
            return None, status
        return f"HTTP {status}", status

    # -- in the background -------------------------------------------------------------------

    def notify(self) -> None:
        """Something was queued: start a round now instead of at the next poll."""
        self._wakeups.notify()

    def start(self) -> None:
        """Run rounds in a daemon thread until ``stop()``."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the webhook sender is already running")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="webhook-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the event being sent (if any) and wait for the thread."""
        self._stopping.set()
        self._wakeups.event.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            with self._wakeups.round():
                try:
                    self.run_once()
                except Exception:
                    # A database hiccup: log it (no payloads here) and try again next round.
                    log.exception("webhook sender round failed")
            self._wakeups.event.wait(self.poll_interval)


__all__ = ["WebhookSender", "encode"]
