"""Webhook delivery: the handler of the queue's ``webhook`` items (``bot.runner``), one signed
``POST`` of one integration event to the configured URL.

Units of work queue one ``webhook`` item per event in the transaction of the change it
reports (``SqlUnitOfWork.enqueue_event``), keyed ``webhook:<event id>`` and ordered per ask
(``webhook:ask:<ask id>``): an ask's later events wait while an earlier one fails, other asks
go on. Each item is never given up. The request is the event's JSON (compact, keys sorted)
with::

    Content-Type: application/json
    X-Intake-Event-Id: <event id>           (receivers de-duplicate on it: at-least-once)
    X-Intake-Timestamp: <unix seconds>
    X-Intake-Signature: v1=<hex HMAC-SHA256 of "{timestamp}.{body}">  (intake.events.signature)

Any 2xx is delivered. Anything else - another status (redirects are not followed), a timeout,
a refused connection - raises ``Retry``: the runner tries again after 2, 4, 8, ... s (at most
10 min), or after the receiver's ``Retry-After`` on a 429 or 503. An item handed out again in
doubt (its runner died mid-request) is simply sent again: the receiver de-duplicates. Logs
(a failure: the runner's line) name the event, its ask and the outcome, never the payload,
the URL or the secret.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from bot.runner import Kind, Retry
from intake.clock import Clock
from intake.events import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from storage import queue

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK: Final = "webhook"  # the queue kind, and the subscriber's name in bot.bootstrap
USER_AGENT: Final = "platform-intake-webhooks/1"
RETRY_AFTER_STATUSES: Final = frozenset({429, 503})
RETRY_AFTER_MAX_S: Final = 3600.0  # a receiver cannot park an ask for longer than an hour


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: urllib would replay a POST as a GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def encode(payload: Mapping[str, Any]) -> bytes:
    """The request body: compact JSON with sorted keys, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


class WebhookDelivery:
    """Delivers one queued event to ``url``, signed with ``secret``: a ``bot.runner`` handler."""

    def __init__(self, url: str, secret: str, clock: Clock, *, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the webhook URL must be an absolute http:// or https:// URL")
        if not secret:
            raise ValueError("the webhook secret must not be empty")
        self.url = url
        self._secret = secret
        self.clock = clock
        self.timeout = timeout

    def __repr__(self) -> str:  # never shows the secret
        return f"WebhookDelivery(host={urlsplit(self.url).hostname!r})"

    def __call__(self, item: queue.Item) -> dict[str, Any]:
        """POST the event; ``{"status": <code>}`` when the receiver took it, else ``Retry``."""
        event_id = str(item.payload.get("id", ""))
        ask = item.payload.get("ask_id", "-")
        error, status, retry_after = self._post(event_id, item.payload)
        if error is None:
            log.info(
                "webhook delivered: event %s (ask %s) status %s, attempt %d",
                event_id,
                ask,
                status,
                item.attempts,
            )
            return {"status": status}
        raise Retry(error, after=retry_after, about=f"ask {ask}")  # the runner logs it

    def _post(
        self, event_id: str, payload: Mapping[str, Any]
    ) -> tuple[str | None, int | None, float | None]:
        """``(None, status, None)`` when the receiver took the event, else ``(error, status,
        the receiver's Retry-After in seconds or None)``."""
        body = encode(payload)
        timestamp = str(int(self.clock.now().timestamp()))
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                EVENT_ID_HEADER: event_id,
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
            wait = (
                self._retry_after(error.headers.get("Retry-After"))
                if error.code in RETRY_AFTER_STATUSES
                else None
            )
            error.close()
            return f"HTTP {error.code} {error.reason}".strip(), error.code, wait
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError):
                return f"timed out after {self.timeout:g} s", None, None
            return f"connection failed: {reason}", None, None
        except TimeoutError:
            return f"timed out after {self.timeout:g} s", None, None
        except (http.client.HTTPException, OSError) as error:
            return f"connection failed: {type(error).__name__}: {error}", None, None
        if 200 <= status < 300:
            return None, status, None
        return f"HTTP {status}", status, None

    def _retry_after(self, value: str | None) -> float | None:
        """A ``Retry-After`` of seconds or an HTTP date, in seconds from now (at most an
        hour); None when absent or unreadable."""
        value = (value or "").strip()
        if not value:
            return None
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:  # "-0000": UTC, said without commitment
                when = when.replace(tzinfo=UTC)
            seconds = (when - self.clock.now()).total_seconds()
        return min(max(seconds, 0.0), RETRY_AFTER_MAX_S)


def webhook_kinds(settings: Settings, clock: Clock) -> dict[str, Kind]:
    """``{"webhook": Kind}`` when INTAKE_WEBHOOK_URL is set (for ``bot.queue_kinds``)."""
    if not settings.intake_webhook_url or not settings.intake_webhook_secret:
        return {}
    secret = settings.intake_webhook_secret.get_secret_value()
    return {WEBHOOK: Kind(WebhookDelivery(settings.intake_webhook_url, secret, clock))}


__all__ = ["WEBHOOK", "WebhookDelivery", "encode", "webhook_kinds"]
