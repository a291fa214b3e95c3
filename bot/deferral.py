"""Deferred work: ``serve`` acks, a worker does the rest (``INTAKE_DEFER_WORK=true``).

Every listener acks first and then works: model calls, Slack calls, several transactions,
often many seconds. In one process, under sustained load, that work takes all the Python the
process has, and the acks of new requests wait for it. With deferral on, ``serve`` runs each
listener only up to its ``ack()``: the request is stored in the jobs table (``storage.jobs``)
first, then the ack goes out, and the listener stops there. ``intake-bot worker`` processes
claim the stored requests and run them through the same listeners, from the start, with an
ack that goes nowhere (``bot.jobs``). So the listeners are written once, the checks before an
ack run in both places, and a crash after the ack loses nothing.

Listeners that open a modal stay in ``serve`` (``after_ack(inline=True)``): a trigger_id
expires 3 seconds after the click, too soon to wait for a queue. An ack with
``response_action: errors`` (a form to fix) has no work after it and queues nothing. Messages
and mentions (``DEFERRED_EVENTS``) are queued by the middleware before Bolt acks them.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from sqlalchemy import Engine

from intake.clock import Clock
from storage import jobs

log = logging.getLogger(__name__)

# Events whose listeners do the slow work (the model, several Slack calls): in ``serve`` they
# are queued whole, without running a listener. Others (app_home_opened) are quick and stay.
DEFERRED_EVENTS: Final = frozenset({"message", "app_mention"})


class Deferred(BaseException):
    """Raised by a deferring ack to stop the listener once the request is queued and acked
    (a BaseException, so that a listener's own `except Exception` lets it through)."""


@dataclass(frozen=True)
class Pending:
    """The request being handled in ``serve``, and where its work is queued."""

    request: BoltRequest
    engine: Engine
    clock: Clock

    def enqueue(self) -> int:
        content_type = (self.request.headers.get("content-type") or [""])[0]
        return jobs.enqueue(self.engine, self.request.raw_body, content_type, self.clock.now())


PENDING: Final[contextvars.ContextVar[Pending | None]] = contextvars.ContextVar(
    "intake_pending_request", default=None
)


class DeferringAck:
    """Stands in for Bolt's ``ack`` in ``serve``: queue the work, ack, stop the listener."""

    def __init__(self, ack: Ack, pending: Pending) -> None:
        self._ack = ack
        self._pending = pending

    @property
    def response(self) -> BoltResponse | None:
        return self._ack.response

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        if kwargs.get("response_action") != "errors":
            job = self._pending.enqueue()  # before the ack: a crash after it loses nothing
            log.debug("queued job %d", job)
        self._ack(*args, **kwargs)
        raise Deferred


def pending() -> Pending | None:
    return PENDING.get()


def install(app: App, engine: Engine, clock: Clock) -> None:
    """``serve`` with deferral: every request's listeners defer their work (see above)."""
    if engine.dialect.name == "sqlite":
        log.warning(
            "INTAKE_DEFER_WORK is on with a SQLite database: serve's queue writes wait for the "
            "file's write lock behind the workers, so acks can miss Slack's 3 s. Use PostgreSQL "
            "for deferred work (docs/operations.md), or turn it off."
        )

    @app.middleware
    def defer(
        req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        # Bolt runs the listener after the last middleware, in this thread's context, copied
        # into its pool (bot.observability.context): so no reset after next(). Threads are
        # reused, and every request sets its own.
        pending = Pending(req, engine, clock)
        if _is_deferred_event(req.body):
            # Queued before Slack hears back: when the queue fails, Slack sees an error and
            # delivers the event again, instead of an event acked and then lost.
            pending.enqueue()
            return BoltResponse(status=200, body="")
        PENDING.set(pending)
        return next()


def _is_deferred_event(body: dict[str, Any]) -> bool:
    event = body.get("event")
    return (
        body.get("type") == "event_callback"
        and isinstance(event, dict)
        and event.get("type") in DEFERRED_EVENTS
    )
