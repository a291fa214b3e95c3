"""Logging set-up: JSON lines for the services, plain text for people at a terminal, and no
secrets in either.

``configure_logging(level, "json")`` (``serve``, ``worker``) writes one JSON object per line
to stderr::

    {"timestamp": "2026-11-23T09:40:00.123+00:00", "level": "INFO", "logger": "bot.serving",
     "message": "slack request kind=command status=200 ack_ms=41", "request_id": "5f0c…"}

``request_id`` is the ID of the Slack request being handled (``bot.observability.context``),
``null`` outside one; a record's ``extra`` fields and a formatted exception (``exc_info``) are
added as keys. ``"text"`` (the terminal chat and the other CLI commands) is
``2026-11-23 09:40:00,123 INFO bot.serving [5f0c1a2b]: message``.

Every record passes ``RedactingFilter`` on its way out: Slack tokens (``xoxb-``, ``xoxp-``,
``xapp-`` …), OpenAI-style keys (``sk-…``), bearer tokens and e-mail addresses
(``llm.redact``), passwords in URLs, ``secret=…``/``token: …`` pairs, and the literal
values of the configured secrets (``secret_values(settings)``: the signing secret has no
recognisable shape) are replaced in the message, its arguments, the exception text, the
stack and any string ``extra``.

What is logged at INFO and above never includes what people wrote (message texts, answers,
ticket fields): those go to DEBUG at most. The filter is a safety net for secrets, not for
message bodies: it cannot recognise them. One library line does log a body above DEBUG:
Bolt's "Invalid request signature detected (…, body: …)" at INFO;
``keep_bodies_out_of_bolt_logs`` (called here and by ``bot.serving.WsgiApp``) cuts the body
from it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any, Final

from pydantic import BaseModel, SecretStr
from pythonjsonlogger.json import JsonFormatter

from bot.observability.context import REQUEST_ID
from llm.prompts import redact as redact_known_secrets

FORMATS: Final = ("json", "text")
MIN_SECRET_CHARS: Final = 6  # a shorter "secret" would blank out ordinary words
PLACEHOLDER: Final = "[secret]"

# The attributes every LogRecord has; anything else on a record is an ``extra``.
_STANDARD_ATTRS: Final = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_URL_PASSWORD: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]+:)([^@\s/]+)@")
_KEY_VALUE: Final = re.compile(
    r"(?i)\b([a-z_]*(?:secret|password|passwd|api[_-]?key|token))"
    r"([\"']?\s*[:=]\s*[\"']?)"
    r"([^\s\"',;&}\]]+)"
)
_PLAIN_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"
_OURS: Final = "_intake_handler"


class RedactingFilter(logging.Filter):
    """Removes secrets from every record it sees (see the module docstring)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        unique = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}
        self.secrets = sorted(unique, key=len, reverse=True)  # the longest first

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, PLACEHOLDER)
        text = redact_known_secrets(text)
        text = _URL_PASSWORD.sub(rf"\1{PLACEHOLDER}@", text)
        return _KEY_VALUE.sub(rf"\1\2{PLACEHOLDER}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log what there is
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _EXCEPTIONS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


_EXCEPTIONS = logging.Formatter()


class RequestIdFilter(logging.Filter):
    """Puts the current request ID (or None) on the record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per record: timestamp, level, logger, message, request_id, then any
    extra fields and the (redacted) exception."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        fields: dict[str, Any] = {}
        super().add_fields(fields, record, message_dict)
        log_data["timestamp"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        log_data.update(fields)

    def format(self, record: logging.LogRecord) -> str:
        # The filter left the redacted traceback in exc_text; the base class would format
        # exc_info afresh (unredacted), so hide it for the call.
        exc_info = record.exc_info
        if exc_info and record.exc_text:
            record.exc_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info = exc_info


class TextLogFormatter(logging.Formatter):
    """``time LEVEL logger [request]: message`` for a terminal."""

    def __init__(self) -> None:
        super().__init__(_PLAIN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request_tag = f" [{request_id[:8]}]" if isinstance(request_id, str) else ""
        try:
            return super().format(record)
        finally:
            record.__dict__.pop("request_tag", None)


class _NoRequestBody(logging.Filter):
    """Bolt logs a request whose signature does not verify at INFO with its whole body: what
    someone typed, and Slack's verification token (and anyone can send one). Keep the line,
    drop the body."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        if "body:" in message:
            record.msg = message.split("body:", 1)[0] + "body not logged)"
            record.args = None
        return True


# Bolt's loggers that put a request's body in a message above DEBUG.
_BODY_LOGGERS: Final = ("slack_bolt.RequestVerification",)


def keep_bodies_out_of_bolt_logs() -> None:
    """Drop the request body from Bolt's "Invalid request signature" line (see
    ``_NoRequestBody``). Filters of a logger run before every handler. Idempotent."""
    for name in _BODY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoRequestBody) for f in logger.filters):
            logger.addFilter(_NoRequestBody())


def secret_values(settings: BaseModel) -> list[str]:
    """The values of every ``SecretStr`` field of ``settings`` that is set (tokens, signing
    secret, API keys, webhook secret), for ``configure_logging(secrets=...)``."""
    found = []
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr) and value.get_secret_value():
            found.append(value.get_secret_value())
    return found


def configure_logging(
    level: str | int = "INFO",
    fmt: str = "json",
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Log records at ``level`` and above from every logger to ``stream`` (stderr) as ``fmt``
    ("json" or "text"), with request IDs and secrets redacted. Calling it again replaces the
    handler it installed before (and leaves others alone). Returns the handler."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonLogFormatter() if fmt == "json" else TextLogFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter(secrets))
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    keep_bodies_out_of_bolt_logs()
    # Migrations say "Running upgrade" at INFO on every start.
    alembic = logging.NOTSET if numeric <= logging.DEBUG else logging.WARNING
    logging.getLogger("alembic").setLevel(alembic)
    return handler


def remove_logging(handler: logging.Handler) -> None:
    """Take a handler from ``configure_logging`` off the root logger (tests)."""
    logging.getLogger().removeHandler(handler)


__all__ = [
    "FORMATS",
    "JsonLogFormatter",
    "RedactingFilter",
    "RequestIdFilter",
    "TextLogFormatter",
    "configure_logging",
    "keep_bodies_out_of_bolt_logs",
    "remove_logging",
    "secret_values",
]
