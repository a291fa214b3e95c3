"""The file that sends a queued Slack message: the handler of the queue's ``slack.message``
items (``storage.slack_outbox``), run by ``bot.runner`` and listed in ``bot.queue_kinds``.

Follow a weekly nudge: it is decided in ``bot.followthrough``, queued with
``storage.queue.enqueue`` (``storage.slack_outbox.enqueue_message``) in the transaction that
claims the week's run, and sent here, exactly once:

* each message goes out with its own workspace's client (``TeamClients.for_team``; one client
  in single-workspace mode), through the paced client's bulk lane, so people clicking
  buttons are served first; a workspace without an installation is retried, then given up;
* the outbox key rides in the message's metadata. An item handed out again after its runner
  died mid-send (``item.in_doubt``), or retried after an attempt that may have posted it (an
  exception after the post, a Slack error such as ``internal_error``; not a 429), is first
  looked up in its channel's newest messages, and only sent when it is not there;
* Slack's 429 is retried after its ``Retry-After``; an error no retry can mend (the channel is
  gone, the person deactivated, ...) gives the message up at once, any other after
  ``MAX_ATTEMPTS`` (8) attempts; a message given up is kept and listed in the digest;
* a DM carrying its person's time zone is never sent at night: it waits for their morning;
* once sent, the item keeps ``{"ts", "channel"}``; a digest's details are then queued as
  replies in its thread (in order), and a nudge is recorded for later refreshes.

Stopping is the runner's: a send still waiting for the pacer is handed back (it never went
out), one on the wire at the deadline stays in doubt and is looked up by the next runner.
``send_due`` sends what is due now and returns when it is done (``digest run``, the sandbox, tests).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.pacing import Lane, interruptible, lane
from bot.refresh import record_nudge
from bot.runner import Defer, GiveUp, Kind, Retry, Runner
from intake.clock import Clock
from intake.followup import QUIET_BEFORE, in_waking_hours
from storage import queue, slack_outbox
from storage.db import transaction

if TYPE_CHECKING:
    from bot.oauth import TeamClients

log = logging.getLogger(__name__)

METADATA_EVENT: Final = "intake_outbox"
LOOKBACK: Final = 200  # how many of a channel's newest messages are searched for an earlier send
# The errors (raised here) of a failed attempt that posted nothing: the next is not looked up.
RATE_LIMITED: Final = "ratelimited"
NOT_INSTALLED: Final = "not_installed"
NOTHING_POSTED: Final = frozenset({RATE_LIMITED, NOT_INSTALLED})
# Slack errors that the same message to the same place can never get past: given up at once.
FINAL_ERRORS: Final = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "invalid_blocks",
        "msg_too_long",
    }
)


class MessageSender:
    """The ``slack.message`` handler: sends the item's message and returns its ts and channel
    (see the module docstring)."""

    def __init__(self, engine: Engine, clock: Clock, clients: TeamClients) -> None:
        self.engine = engine
        self.clock = clock
        self.clients = clients

    def __call__(self, item: queue.Item) -> dict[str, Any]:
        key = item.key or f"item:{item.id}"
        client = self.clients.for_team(item.team_id or "")
        if client is None:
            log.warning("outbox %s: workspace %s has no installation", key, item.team_id or "-")
            raise Retry(NOT_INSTALLED)
        with lane(Lane.BULK):
            return self._send(client, item, key)

    def _send(self, client: WebClient, item: queue.Item, key: str) -> dict[str, Any]:
        payload = item.payload
        message = dict(payload["message"])
        tz = message.pop("tz", None)
        if _may_have_posted(item):
            # Not cut short by a shutdown: handed back unresolved, it would lose its doubt.
            with interruptible(threading.Event()):
                found = self._find_sent(client, payload["channel"], key)
            if found is not None:
                log.info("outbox %s was sent before an interruption; recorded it", key)
                return self._sent(item, key, found[1], found[0])
        now = self.clock.now()
        if tz and not in_waking_hours(now, tz):  # never a DM at night, even when sends run late
            raise Defer(f"quiet hours in {tz}", _next_morning(now, tz))
        args: dict[str, Any] = {
            "channel": payload["channel"],
            "text": message.get("text", ""),
            "blocks": message.get("blocks"),
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": key}},
        }
        if payload.get("thread_ts"):
            args["thread_ts"] = payload["thread_ts"]
        try:
            response = client.chat_postMessage(**args)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if exc.response.status_code == 429:  # refused: nothing was posted
                after = exc.response.headers.get("Retry-After")
                raise Retry(RATE_LIMITED, after=float(after) if after else None) from exc
            if error in FINAL_ERRORS:
                raise GiveUp(error) from exc
            raise Retry(error) from exc
        return self._sent(item, key, str(response["ts"]), str(response["channel"]))

    def _sent(self, item: queue.Item, key: str, ts: str, channel: str) -> dict[str, Any]:
        """Slack has the message: queue its thread, keep a nudge true later."""
        payload, now = item.payload, self.clock.now()
        message = payload["message"]
        with transaction(self.engine) as session:
            for n, reply in enumerate(message.get("thread") or []):
                slack_outbox.enqueue_message(
                    session,
                    key=f"{key}:reply:{n}",
                    kind=f"{payload['what']}_detail",
                    team_id=item.team_id or "",
                    channel=channel,
                    payload=reply,
                    at=now,
                    thread_ts=ts,
                    order_key=f"{key}:replies",
                )
        if payload["what"] == "nudge":  # kept true as its asks change (bot.refresh)
            record_nudge(
                self.engine, team_id=item.team_id or "", viewer=payload["channel"],
                blocks=list(message.get("blocks") or []), channel=channel, ts=ts, at=now,
            )  # fmt: skip
        return {"ts": ts, "channel": channel}

    def _find_sent(self, client: WebClient, channel: str, key: str) -> tuple[str, str] | None:
        """``(channel, ts)`` of the message of ``key`` if Slack has it (carried in its
        metadata), else None (also when the look-up fails: it is sent again, as before)."""
        try:
            if channel.startswith(("U", "W")):
                channel = client.conversations_open(users=channel)["channel"]["id"]
            # The newest messages are enough: it was posted just before the interruption. (No
            # `oldest` bound: it would tie the lookup to this host's clock agreeing with Slack's.)
            history = client.conversations_history(
                channel=channel, include_all_metadata=True, limit=LOOKBACK
            )
        except SlackApiError as exc:
            log.warning(
                "could not look up outbox %s (%s); sending it again",
                key,
                exc.response.get("error"),
            )
            return None
        messages: list[dict[str, Any]] = history.get("messages", [])
        for message in messages:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT
                and (metadata.get("event_payload") or {}).get("key") == key
            ):
                return channel, str(message["ts"])
        return None


def message_kind(engine: Engine, clock: Clock, clients: TeamClients) -> Kind:
    """The queue kind ``slack.message``: one send at a time per process, in queue order
    (interactive first), as the pacer's bulk lane lets them out. A send cut off at shutdown
    is due again once its post can no longer be answered (the clients' timeout)."""
    base = getattr(clients, "client", None) or getattr(clients, "base", None)
    timeout = float(getattr(base, "timeout", None) or 30)
    return Kind(
        MessageSender(engine, clock, clients),
        threads=1,
        abandoned_due_after=timedelta(seconds=timeout),
        # A sent message's key stays taken well past its week (a digest run twice, a late
        # tick); the week's run claim (storage.job_runs) guards it after that.
        keep_done=timedelta(days=35),
    )


def send_due(engine: Engine, clock: Clock, clients: TeamClients) -> int:
    """Send the messages due now, until none is left (``digest run``, the sandbox's clock
    jumps, tests); how many were sent. Retries wait for a later call."""
    runner = Runner(engine, clock, {slack_outbox.KIND: message_kind(engine, clock, clients)})
    try:
        runner.drain()
    finally:
        runner.stop(time.monotonic())
    return runner.finished[slack_outbox.KIND]


def _may_have_posted(item: queue.Item) -> bool:
    """Whether an earlier attempt may have posted the item's message: its runner died
    mid-send (in doubt), or it failed without saying that nothing went out (an exception
    after the post, a Slack error such as ``internal_error``)."""
    return item.in_doubt or (item.attempts > 1 and item.last_error not in NOTHING_POSTED)


def _next_morning(now: datetime, tz: str) -> datetime:
    """The person's next 08:00."""
    local = now.astimezone(ZoneInfo(tz))
    morning = local.replace(hour=QUIET_BEFORE, minute=0, second=0, microsecond=0)
    if local.hour >= QUIET_BEFORE:
        morning += timedelta(days=1)
    return morning
