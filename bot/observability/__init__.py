"""Observability of the bot (issue 6): structured logs with a request ID and no secrets
(``logs``, ``context``) and Prometheus metrics (``metrics``). What to alert on, and why:
docs/operations.md."""

from bot.observability.context import (
    REQUEST_ID,
    ContextExecutor,
    bind_bolt,
    current_request_id,
    request_scope,
)
from bot.observability.logs import RedactingFilter, configure_logging, secret_values
from bot.observability.metrics import Metrics, request_kind

__all__ = [
    "REQUEST_ID",
    "ContextExecutor",
    "Metrics",
    "RedactingFilter",
    "bind_bolt",
    "configure_logging",
    "current_request_id",
    "request_kind",
    "request_scope",
    "secret_values",
]
