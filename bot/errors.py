"""The one error handler of the Bolt app: people get a short private note that says what to do
next; the details, with a reference, go to the log. Listeners don't catch errors themselves."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, overload

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import deferral
from bot.slack_text import user
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
    """The one place errors become words for people (short, private) and details for the log."""
    if isinstance(error, NotFound):
        tell(client, body, GONE)
        return
    if isinstance(error, NotAllowed):
        tell(client, body, str(error))
        return
    if isinstance(error, Refusal):  # not allowed, not possible now, or already done
        tell(client, body, error.message(user))
        return
    ref = secrets.token_hex(3)
    log.error(
        "unhandled error ref=%s kind=%s",
        ref,
        body.get("type") or body.get("command") or "unknown",
        exc_info=error,
    )
    tell(client, body, SORRY.format(ref=ref))


Listener = TypeVar("Listener", bound=Callable[..., None])


@overload
def after_ack(listener: Listener, *, inline: bool = False) -> Listener: ...


@overload
def after_ack(*, inline: bool = False) -> Callable[[Listener], Listener]: ...


def after_ack(
    listener: Listener | None = None, *, inline: bool = False
) -> Listener | Callable[[Listener], Listener]:
    """For listeners that call ack() first: an error raised after the ack goes to ``handle``
    here instead of back into Bolt. Bolt's thread runner resets the ack it was about to send
    when a listener fails soon after ack(), so Slack would see a 3-second timeout instead.
    The listener must take ``ack``, ``body`` and ``client`` (Bolt injects them by name).

    With deferral on (``bot.deferral``), ``serve`` runs the listener only up to its ack and a
    worker runs it again in full; ``inline=True`` keeps it whole in ``serve`` (listeners that
    open a modal: the trigger_id would expire in the queue)."""

    def decorate(listener: Listener) -> Listener:
        @functools.wraps(listener)
        def run(*args: Any, **kwargs: Any) -> None:
            ack = kwargs.get("ack")
            waiting = None if inline or ack is None else deferral.pending()
            if waiting is not None:
                kwargs["ack"] = deferral.DeferringAck(kwargs["ack"], waiting)
            try:
                listener(*args, **kwargs)
            except deferral.Deferred:
                return  # queued and acked: a worker does the rest
            except Exception as error:
                if ack is not None and ack.response is None:
                    ack()  # failed before acking: answer Slack anyway, then tell the person
                handle(error, kwargs["body"], kwargs["client"])

        return run  # type: ignore[return-value]

    return decorate(listener) if listener is not None else decorate


def tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    """Say ``text`` privately to whoever triggered ``body``: through the request's response_url
    when it has one (works in any channel), else ephemerally where they are, else in a DM."""
    user, channel, thread_ts = _who_and_where(body)
    if not user:
        return
    try:
        response_url = body.get("response_url")
        if response_url:
            WebhookClient(response_url).send(
                text=text, response_type="ephemeral", replace_original=False
            )
            return
        if not channel:
            channel = client.conversations_open(users=user)["channel"]["id"]
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        client.chat_postEphemeral(**kwargs)
    except Exception:  # the person could not be told; the log has the original error
        log.warning("could not tell %s about an error", user, exc_info=True)


def _who_and_where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    event = body.get("event") or {}
    if event:
        return event.get("user"), event.get("channel"), event.get("thread_ts") or event.get("ts")
    if "command" in body:
        return body.get("user_id"), body.get("channel_id"), None
    user = (body.get("user") or {}).get("id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    thread_ts = (body.get("message") or {}).get("thread_ts")
    return user, channel, thread_ts
