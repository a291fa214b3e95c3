"""Slack listeners grouped by kind, in the bolt-python template's ``listeners/<kind>/`` shape.

Each listener is a plain module-level function that takes Bolt's injected arguments and reads
the request's scope (``bot.scope``) from its context; each kind lists its listeners in a table
(``ACTIONS``, ``VIEWS``...) and ``register(app)`` below adds them all. The app installs the scope
middleware (``bot.scope.install``) first, so every listener runs with its request's scope,
built once; no listener sees the app-wide services.

A listener acks, then reads the request into a command that runs after the ack, now or in a
worker (``bot.commands``): each kind lists its commands' handlers in ``LATER``, and
``command_table()`` gathers them by name.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from bot.commands import Table
from bot.listeners import (
    actions,
    commands,
    events,
    followup,
    milestones,
    review,
    shortcuts,
    similar,
    start,
    views,
)
from bot.listeners.events import EVENT_COMMANDS

GROUPS = (commands, events, actions, review, milestones, followup, shortcuts, similar, views)


def register(app: App) -> None:
    """Every kind's tables, each entry added with its Bolt decorator."""
    for group in GROUPS:
        for table, add in (
            ("COMMANDS", app.command),
            ("EVENTS", app.event),
            ("ACTIONS", app.action),
            ("VIEWS", app.view),
            ("SHORTCUTS", app.shortcut),
        ):
            for matcher, listener in getattr(group, table, {}).items():
                add(matcher)(listener)


def command_table() -> Table:
    """Every command a listener leaves for later, by name, with its handler."""
    table: dict[str, tuple[type, Callable[..., None]]] = {}
    for group in (*GROUPS, start):
        for kind, handler in getattr(group, "LATER", {}).items():
            assert kind.__name__ not in table, f"two commands named {kind.__name__}"
            table[kind.__name__] = (kind, handler)
    return table


__all__ = ["EVENT_COMMANDS", "GROUPS", "command_table", "register"]
