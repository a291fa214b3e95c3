"""The one error handler: people get a short private note that says what to do next; the
details, with a reference, go to the log. Listeners and commands don't catch errors themselves:
Bolt hands a listener's errors to ``handle``, ``bot.commands`` hands a command's to ``report``."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.slack_text import user
from bot.where import Where
from intake.lifecycle import Refusal
from intake.service import NotAllowed, NotFound

log = logging.getLogger("bot.errors")

SORRY = (
    "Sorry, something went wrong on my side and I could not finish that. Everything you wrote "
    "so far is saved. Please try again in a minute; if it keeps happening, tell the platform "
    "team and mention reference `{ref}`."
)
GONE = "I can't find that intake any more. Start a new one with `/intake` and your ask."


def register(app: App) -> None:
    app.error(handle)


def handle(error: Exception, body: dict[str, Any], client: WebClient) -> None:
    """A listener's error (Bolt's error handler)."""
    kind = body.get("type") or body.get("command") or "unknown"
    report(error, Where.of(body), client, kind=str(kind))


def report(error: Exception, where: Where, client: WebClient, *, kind: str = "command") -> None:
    """The one place errors become words for people (short, private) and details for the log."""
    if isinstance(error, NotFound):
        tell(client, where, GONE)
        return
    if isinstance(error, NotAllowed):
        tell(client, where, str(error))
        return
    if isinstance(error, Refusal):  # not allowed, not possible now, or already done
        tell(client, where, error.message(user))
        return
    ref = secrets.token_hex(3)
    log.error("unhandled error ref=%s kind=%s", ref, kind, exc_info=error)
    tell(client, where, SORRY.format(ref=ref))


Listener = TypeVar("Listener", bound=Callable[..., None])


def after_ack(listener: Listener) -> Listener:
    """For listeners that call ack() first: an error raised after the ack goes to ``handle``
    here instead of back into Bolt. Bolt's thread runner resets the ack it was about to send
    when a listener fails soon after ack(), so Slack would see a 3-second timeout instead.
    The listener must take ``ack``, ``body`` and ``client`` or ``context`` (Bolt injects them
    by name)."""

    @functools.wraps(listener)
    def run(*args: Any, **kwargs: Any) -> None:
        ack = kwargs.get("ack")
        try:
            listener(*args, **kwargs)
        except Exception as error:
            if ack is not None and ack.response is None:
                ack()  # failed before acking: answer Slack anyway, then tell the person
            client = kwargs.get("client") or kwargs["context"].client
            handle(error, kwargs["body"], client)

    return run  # type: ignore[return-value]


def tell(client: WebClient, where: Where, text: str) -> None:
    """Say ``text`` privately to whoever made the request: through its response_url when it
    has one (works in any channel), else ephemerally where they are, else in a DM."""
    if not where.user_id:
        return
    try:
        if where.response_url:
            WebhookClient(where.response_url).send(
                text=text, response_type="ephemeral", replace_original=False
            )
            return
        channel = where.channel
        if not channel:
            channel = client.conversations_open(users=where.user_id)["channel"]["id"]
        kwargs: dict[str, Any] = {"channel": channel, "user": where.user_id, "text": text}
        if where.thread_ts:
            kwargs["thread_ts"] = where.thread_ts
        client.chat_postEphemeral(**kwargs)
    except Exception:  # the person could not be told; the log has any original error
        log.warning("could not send %s a private note", where.user_id, exc_info=True)
