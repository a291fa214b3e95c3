"""What a person is told when the bot does not take their request now (``bot.admission``):
"slow down" (they, or their workspace, are over a limit: ``bot.limits``) or "busy" (the bot
has as much work queued as it takes). Either way the request was not acted on, and the
words say so: try again. Nothing is promised that is not done.

Where the words go, so that Slack never waits past its 3 seconds:

* a slash command: in its ack, shown only to the person, with what they typed so that they
  can send it again;
* a form submission: in its ack, as an error on the form's first field, so the form and
  what was typed in it stay open;
* a click, a shortcut, a DM or a mention: Slack shows nothing of the ack, so the ack is
  empty and a short private note follows (``Notices``: one thread, a bounded queue, at most
  one note per person every ``NOTE_EVERY_S`` seconds, so a flood makes no flood of notes).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient

from bot.errors import tell
from bot.in_flight import InFlight
from bot.limits import Kind
from bot.slack_text import safe
from bot.where import Where

log = logging.getLogger(__name__)

NOTE_EVERY_S = 30.0
NOTES_QUEUED = 200

SLOW_DOWN_INTAKE = (
    "Slow down a little: you've started several intakes in the last minute, so I didn't "
    "start this one. Please try again in a minute."
)
SLOW_DOWN_ACTION = (
    "Slow down a little: that was a lot in a short time, so I didn't act on your last "
    "request. Wait a few seconds and try again."
)
WORKSPACE_BUSY = (
    "Lots of people in your workspace are asking me things right now, so I didn't take your "
    "last request. Please try again in a minute."
)
BUSY = (
    "I'm busy right now, so I didn't take your last request. Please try again in a minute; "
    "what you did before this is saved."
)
FORM_BUSY = "I'm busy right now and didn't save this. Wait a moment and submit again."
FORM_SLOW_DOWN = "Slow down a little: wait a few seconds and submit again."

_NOT_A_NEW_INTAKE = {"", "help", "?", "list", "show"}
_NEW_INTAKE_PAYLOADS = {"shortcut", "message_action"}
_ACTION_PAYLOADS = {"block_actions", "view_submission"}
_COUNTED_EVENTS = {
    "message": Kind.ACTION,
    "app_mention": Kind.INTAKE,
    "app_home_opened": Kind.ACTION,
}
_NOTED_EVENTS = {"message", "app_mention"}  # a Home tab not refreshed needs no note


def classify(body: dict[str, Any]) -> tuple[Kind, str, str] | None:
    """``(kind, team, person)`` for a request a person made, or None for one the limits
    and the bound leave alone (an options load, a closed modal, events without a person).
    The workspace and person are read as ``Where.of`` reads them."""
    kind_of = body.get("type")
    event = body.get("event")
    if "command" in body:
        words = str(body.get("text") or "").strip().lower().split()
        first = words[0] if words else ""
        kind = Kind.ACTION if first in _NOT_A_NEW_INTAKE else Kind.INTAKE
    elif kind_of in _NEW_INTAKE_PAYLOADS or kind_of in _ACTION_PAYLOADS:
        kind = Kind.INTAKE if kind_of in _NEW_INTAKE_PAYLOADS else Kind.ACTION
    elif kind_of == "event_callback" and isinstance(event, dict):
        counted = _event_kind(event)
        if counted is None:
            return None
        kind = counted
    else:
        return None
    where = Where.of(body)
    if not where.user_id and "command" not in body:
        return None  # a click or an event without a person is nobody's request
    return kind, where.team_id, where.user_id


def _event_kind(event: dict[str, Any]) -> Kind | None:
    counted = _COUNTED_EVENTS.get(str(event.get("type")))
    if counted is None or event.get("bot_id") or event.get("subtype"):
        return None
    in_thread = event.get("thread_ts") not in (None, event.get("ts"))
    if event.get("type") == "message" and event.get("channel_type") != "im" and not in_thread:
        return None  # talk in a channel the bot is in: nothing it acts on
    if in_thread:
        return Kind.ACTION  # a mention in a thread answers there; it starts nothing
    return counted


def answer(
    body: dict[str, Any],
    refusal: str,
    kind: Kind,
    notices: Notices | None,
    client: WebClient | None = None,
) -> BoltResponse:
    """The ack for a request that is not taken: see the module docstring. ``client``: the
    request's own (Bolt's ``context.client``, with its workspace's token), for the note."""
    text = _words(refusal, kind)
    if "command" in body:
        typed = str(body.get("text") or "").strip()
        again = f"\nYou typed: `{body.get('command')} {safe(typed, 300)}`" if typed else ""
        return _json({"response_type": "ephemeral", "text": text + again})
    if body.get("type") == "view_submission":
        field = _first_input(body.get("view") or {})
        if field is not None:
            note = FORM_BUSY if refusal != "person" else FORM_SLOW_DOWN
            return _json({"response_action": "errors", "errors": {field: note}})
    event = body.get("event")
    quiet = isinstance(event, dict) and event.get("type") not in _NOTED_EVENTS
    if notices is not None and client is not None and not quiet:
        notices.tell(body, text, client)
    return BoltResponse(status=200, body="")


def _words(refusal: str, kind: Kind) -> str:
    if refusal == "person":
        return SLOW_DOWN_INTAKE if kind is Kind.INTAKE else SLOW_DOWN_ACTION
    if refusal == "workspace":
        return WORKSPACE_BUSY
    return BUSY


def _first_input(view: dict[str, Any]) -> str | None:
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def _json(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
    )


class Notices:
    """Private notes for refused clicks, shortcuts and messages, sent by one thread of their
    own (``bot.errors.tell``: through the response_url when there is one, else ephemerally,
    else in a DM), each on the client of the request it answers (in multi-workspace mode only
    that one has the workspace's token). Best effort: a note that does not fit the queue is
    dropped (logged)."""

    def __init__(
        self,
        *,
        in_flight: InFlight | None = None,
        every_s: float = NOTE_EVERY_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.in_flight = in_flight  # a queued note is work in flight until it is sent
        self._every_s = every_s
        self._now = now
        self._queue: queue.Queue[tuple[WebClient, Where, str]] = queue.Queue(NOTES_QUEUED)
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def tell(self, body: dict[str, Any], text: str, client: WebClient) -> None:
        where = Where.of(body)  # the workspace and person classify() found, and where to answer
        person = f"{where.team_id}:{where.user_id}" if where.user_id else ""
        now = self._now()
        with self._lock:
            if not person or now - self._last.get(person, -self._every_s) < self._every_s:
                return
            self._last[person] = now
            if len(self._last) > 10_000:
                self._last = {k: t for k, t in self._last.items() if now - t < self._every_s}
            if self._thread is None:
                self._thread = threading.Thread(target=self._send, name="busy-notes", daemon=True)
                self._thread.start()
        if self.in_flight is not None:
            self.in_flight.begin()
        try:
            self._queue.put_nowait((client, where, text))
        except queue.Full:
            if self.in_flight is not None:
                self.in_flight.end()
            log.warning("too many busy/slow-down notes queued; one was dropped")

    def _send(self) -> None:
        while True:
            client, where, text = self._queue.get()
            try:
                tell(client, where, text)
            finally:
                if self.in_flight is not None:
                    self.in_flight.end()
