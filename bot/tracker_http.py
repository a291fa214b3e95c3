"""The trackers' webhooks: ``POST /trackers/github`` and ``POST /trackers/jira`` on the bot's
HTTP port (``bot.serving``), for back-sync (``bot.tracker_back``).

A delivery is checked with that tracker's secret (GitHub's ``X-Hub-Signature-256``, Jira's
``X-Hub-Signature``; ``trackers.webhook_changes``) and answered at once: 401 when it is not
the tracker's, 200 otherwise. Its changes to our issues are queued as ``tracker.change``
items keyed by the delivery's ID (``X-GitHub-Delivery``, ``X-Atlassian-Webhook-Identifier``,
else a digest of the body), so a redelivery is applied once; the queue's runner applies them.
A body over ``bot.serving.MAX_BODY`` never gets here: waitress answers 413 first.

``_plain`` and ``StartResponse`` repeat ``bot.serving``'s: that module imports this one, so
importing them from it would be a cycle.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Engine

from bot.tracker_back import queue_changes
from intake.clock import Clock
from intake.tracker import TrackerKind, WebhookMalformed, WebhookRejected
from trackers import unverifiable, webhook_changes
from trackers.config import TrackerConfig
from trackers.github_webhook import header

log = logging.getLogger(__name__)

PATHS: Final = {"/trackers/github": TrackerKind.GITHUB, "/trackers/jira": TrackerKind.JIRA}
DELIVERY_HEADERS: Final = ("X-GitHub-Delivery", "X-Atlassian-Webhook-Identifier")

StartResponse = Callable[..., Any]


class TrackerWebhooks:
    def __init__(
        self, engine: Engine, config: TrackerConfig, clock: Clock, notify: Callable[[], None]
    ) -> None:
        self.engine = engine
        self.config = config
        self.clock = clock
        self.notify = notify

    def handle(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes] | None:
        """The answer when the request is for a tracker's webhook, else None."""
        kind = PATHS.get(environ.get("PATH_INFO", ""))
        if kind is None:
            return None
        if environ.get("REQUEST_METHOD", "GET") != "POST":
            return _plain(start_response, "405 Method Not Allowed", "POST only")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _plain(start_response, "400 Bad Request", "bad Content-Length")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {
            name[5:].replace("_", "-"): str(value)
            for name, value in environ.items()
            if name.startswith("HTTP_")
        }
        try:
            changes = webhook_changes(self.config, kind, headers, body)
        except WebhookMalformed as refused:  # signed, but not what the tracker sends
            log.warning("unreadable delivery to /trackers/%s: %s", kind.value, refused.reason)
            return _plain(start_response, "400 Bad Request", refused.reason)
        except WebhookRejected as refused:
            # Ours to fix (no secret, no tracker) is a warning; a bad signature is the sender's.
            level = logging.WARNING if unverifiable(self.config, kind) else logging.INFO
            log.log(level, "refused a delivery to /trackers/%s: %s", kind.value, refused.reason)
            return _plain(start_response, "401 Unauthorized", "signature check failed")
        if not changes:
            return _plain(start_response, "200 OK", "ignored")
        delivery = next(
            (found for name in DELIVERY_HEADERS if (found := header(headers, name))),
            "sha256-" + hashlib.sha256(body).hexdigest(),
        )
        queued = queue_changes(self.engine, changes, f"{kind.value}:{delivery}", self.clock.now())
        log.info(
            "tracker delivery %s from %s: %d changes, %d queued",
            delivery[:80],
            kind.value,
            len(changes),
            queued,
        )
        if queued:
            self.notify()
        return _plain(start_response, "200 OK", f"queued {queued}")


def tracker_webhooks(container: Any) -> TrackerWebhooks | None:
    """The webhook endpoints of ``container``'s trackers (None: none configured)."""
    if container.trackers is None:
        return None
    return TrackerWebhooks(
        container.db_engine,
        container.trackers.config,
        container.clock,
        lambda: container.notify_queue(),  # the runner's, once background has started
    )


def _plain(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]
