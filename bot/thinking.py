"""A "Thinking…" note in the intake thread while the bot works on a slow answer (an LLM call).

Nothing is posted when the work takes less than ``DELAY`` seconds, which is always the case with
the rule engine; otherwise the note appears after ``DELAY`` and is deleted when the work ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.intake import thinking_note
from intake.conversation import Thread

log = logging.getLogger(__name__)

DELAY = 1.0  # seconds


@contextmanager
def thinking(client: WebClient, thread: Thread | None, delay: float = DELAY) -> Iterator[None]:
    if thread is None:
        yield
        return
    lock = threading.Lock()
    posted: list[str] = []
    finished = False

    def show() -> None:
        with lock:
            if finished:
                return
            try:
                answer = client.chat_postMessage(
                    channel=thread.channel, thread_ts=thread.ts, **thinking_note()
                )
                posted.append(str(answer["ts"]))
            except SlackApiError as exc:  # a missing note is no reason to fail the answer
                log.info("could not post the thinking note: %s", exc.response.get("error"))

    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:  # a note being posted right now is deleted too
            finished = True
        for ts in posted:
            _delete(client, thread.channel, ts)


def _delete(client: WebClient, channel: str, ts: str) -> None:
    try:
        client.chat_delete(channel=channel, ts=ts)
    except SlackApiError as exc:
        log.info("could not delete the thinking note: %s", exc.response.get("error"))


def thread_of_click(body: dict[str, Any]) -> Thread | None:
    """The thread a button was clicked in (its message's thread, or the message itself)."""
    message = body.get("message") or {}
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get(
        "id"
    )
    ts = message.get("thread_ts") or message.get("ts")
    if not channel or not ts:
        return None
    return Thread(str(channel), str(ts))
