"""Sending the queued weekly messages (bot.followthrough) from the outbox, once each.

Before a send the row is marked as sending; after it, Slack's ts is recorded. A row that was
marked but never recorded (a crash in between) is looked up in its channel by the outbox key
carried in the message's metadata, and only sent again when it is not there. Everything goes
through the paced client's bulk lane, so people clicking buttons are served first; a row that
keeps failing is retried with backoff and, past the limit, kept and reported in the digest.

Stopping (``stop``): the message being posted is finished and recorded; the rest of the
claimed batch is handed back at once (due again, no attempt counted), and so is a message
whose send was still waiting for the pacer (a Retry-After): it never went out. If the process
must exit while a post is still on the wire (``abandon``), that message stays in doubt and is
due again once the post can no longer be answered: the next sender looks it up first.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.in_flight import Rounds
from bot.pacing import Lane, PaceInterrupted, interruptible, lane
from bot.refresh import record_nudge
from intake.clock import Clock
from intake.followup import QUIET_BEFORE, in_waking_hours
from storage import slack_outbox
from storage.db import transaction

log = logging.getLogger(__name__)

METADATA_EVENT = "intake_outbox"
LOOKBACK = 200  # how many of a channel's newest messages are searched for an unrecorded send


class OutboxSender:
    def __init__(
        self, engine: Any, client: WebClient, clock: Clock, *, poll_interval: float = 1.0
    ) -> None:
        self.engine = engine
        self.client = client
        self.clock = clock
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = Rounds()  # rounds that ran to the end (intake_outbox_sender_rounds_total)
        # What this sender holds: the claimed messages not yet taken up, and the one being sent.
        self._lock = threading.Lock()
        self._waiting: list[slack_outbox.OutgoingMessage] = []
        self._current: slack_outbox.OutgoingMessage | None = None
        self.sent_total = 0
        self.handed_back_total = 0

    # -- rounds ------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Send everything due (until ``stop``); the number sent."""
        sent = 0
        while not self._stop.is_set():
            batch = slack_outbox.due_messages(self.engine, self.clock.now(), limit=50)
            if not batch:
                self.rounds.done()
                return sent
            with self._lock:
                self._waiting = list(batch)
            try:
                sent += self._send_batch()
            finally:  # what was not taken up (stopping, an error) is due again at once
                self._hand_back(self._take_waiting(), unsent=True)
        return sent

    def _send_batch(self) -> int:
        """Send the claimed batch, one message at a time, until it is done or ``stop``."""
        sent = 0
        while (item := self._take_next()) is not None:
            try:
                done = self._send(item)
            except PaceInterrupted:  # stopping while it waited for the pacer: not posted
                self._hand_back([item], unsent=item.sending_at is None)
                done = 0
            finally:
                with self._lock:
                    self._current = None
            sent += done
            self._count(sent=done)
        return sent

    def _take_next(self) -> slack_outbox.OutgoingMessage | None:
        with self._lock:
            if self._stop.is_set() or not self._waiting:
                return None
            self._current = self._waiting.pop(0)
            return self._current

    def _take_waiting(self) -> list[slack_outbox.OutgoingMessage]:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        return waiting

    def _hand_back(self, items: list[slack_outbox.OutgoingMessage], *, unsent: bool) -> None:
        """Give ``items`` back, due now. ``unsent``: none of them was ever posted (no earlier
        send in doubt): they are no longer in doubt either."""
        if not items:
            return
        ids = [item.id for item in items]
        if unsent:
            slack_outbox.hand_back_unsent(self.engine, ids, self.clock.now())
        else:
            slack_outbox.release_messages(self.engine, ids, self.clock.now())
        self._count(handed_back=len(items))

    def _count(self, *, sent: int = 0, handed_back: int = 0) -> None:
        with self._lock:
            self.sent_total += sent
            self.handed_back_total += handed_back

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="outbox-sender", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Take up no more messages; the one being posted is finished, the rest handed back."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> bool:
        """``request_stop`` and wait up to ``timeout`` seconds for the loop to end; whether it
        did (else ``abandon`` what it still holds before the process exits)."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=max(timeout, 0.0))
            return not self._thread.is_alive()
        return True

    def holding(self) -> int:
        """How many claimed messages this sender holds (waiting, or being sent)."""
        with self._lock:
            return len(self._waiting) + (self._current is not None)

    def abandon(self) -> int:
        """The process exits with the loop still busy: hand back what it holds. The message
        being sent may be on the wire: it stays in doubt, due again once that post can no
        longer be answered (the client's timeout), when the next sender looks it up first.
        How many were handed back."""
        with self._lock:
            current, self._current = self._current, None
        waiting = self._take_waiting()
        self._hand_back(waiting, unsent=True)
        if current is not None:
            answered_by = self.clock.now() + timedelta(seconds=float(self.client.timeout or 0))
            slack_outbox.release_messages(self.engine, [current.id], answered_by)
            self._count(handed_back=1)
        return len(waiting) + (current is not None)

    def _loop(self) -> None:
        # A send waiting for the pacer (a Retry-After) gives up at once on stop: PaceInterrupted.
        with interruptible(self._stop):
            while not self._stop.is_set():
                try:
                    self.run_once()
                except Exception:  # keep the loop alive; the row is retried on the next round
                    log.exception("outbox round failed")
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    # -- one message --------------------------------------------------------------------------

    def _send(self, item: slack_outbox.OutgoingMessage) -> int:
        now = self.clock.now()
        payload = dict(item.payload)
        tz = payload.pop("tz", None)
        thread = payload.pop("thread", None)  # digest details, posted under the digest once sent
        if item.sending_at is not None:  # a send began and was never recorded (a crash)
            found = self._find_sent(item)
            if found is not None:
                log.info("outbox %s was sent before an interruption; recorded it", item.key)
                self._sent(item, found[1], found[0])
                return 0
        if tz and not in_waking_hours(now, tz):  # never a DM at night, even when sends run late
            slack_outbox.release_messages(self.engine, [item.id], _next_morning(now, tz))
            return 0
        slack_outbox.mark_sending(self.engine, item.id, now)
        args: dict[str, Any] = {
            "channel": item.channel,
            "text": payload.get("text", ""),
            "blocks": payload.get("blocks"),
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": item.key}},
        }
        if item.thread_ts:
            args["thread_ts"] = item.thread_ts
        try:
            with lane(Lane.BULK):
                response = self.client.chat_postMessage(**args)
        except SlackApiError as exc:
            retry_after = (
                exc.response.headers.get("Retry-After") if exc.response.status_code == 429 else None
            )
            error = str(exc.response.get("error") or exc.response.status_code)
            keeps = slack_outbox.mark_failed(
                self.engine,
                item.id,
                error,
                self.clock.now(),
                retry_after=float(retry_after) if retry_after else None,
            )
            (log.warning if keeps else log.error)(
                "outbox %s failed (%s)%s", item.key, error, "" if keeps else "; gave up"
            )
            return 0
        if thread:
            with transaction(self.engine) as session:
                for n, reply in enumerate(thread):
                    slack_outbox.enqueue_message(
                        session,
                        key=f"{item.key}:reply:{n}",
                        kind=f"{item.kind}_detail",
                        team_id=item.team_id,
                        channel=str(response["channel"]),
                        payload=reply,
                        at=self.clock.now(),
                        thread_ts=str(response["ts"]),
                    )
        self._sent(item, str(response["ts"]), str(response["channel"]))
        return 1

    def _sent(self, item: slack_outbox.OutgoingMessage, ts: str, channel: str) -> None:
        slack_outbox.mark_sent(self.engine, item.id, ts, channel, self.clock.now())
        if item.kind == "nudge":  # kept true as its asks change (bot.refresh)
            blocks = list(item.payload.get("blocks") or [])
            record_nudge(
                self.engine, team_id=item.team_id, viewer=item.channel, blocks=blocks,
                channel=channel, ts=ts, at=self.clock.now(),
            )  # fmt: skip

    def _find_sent(self, item: slack_outbox.OutgoingMessage) -> tuple[str, str] | None:
        """The message of ``item`` if Slack has it (carried in its metadata), else None."""
        channel = item.channel
        try:
            if channel.startswith(("U", "W")):
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
            # The newest messages are enough: it was posted just before the interruption. (No
            # `oldest` bound: it would tie the lookup to this host's clock agreeing with Slack's.)
            history = self.client.conversations_history(
                channel=channel, include_all_metadata=True, limit=LOOKBACK
            )
        except SlackApiError as exc:
            log.warning(
                "could not look up outbox %s (%s); sending it again",
                item.key,
                exc.response.get("error"),
            )
            return None
        messages: list[dict[str, Any]] = history.get("messages", [])
        for message in messages:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT
                and (metadata.get("event_payload") or {}).get("key") == item.key
            ):
                return channel, str(message["ts"])
        return None


def _next_morning(now: datetime, tz: str) -> datetime:
    """The person's next 08:00."""
    local = now.astimezone(ZoneInfo(tz))
    morning = local.replace(hour=QUIET_BEFORE, minute=0, second=0, microsecond=0)
    if local.hour >= QUIET_BEFORE:
        morning += timedelta(days=1)
    return morning
