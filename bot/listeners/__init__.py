"""Slack listeners grouped by kind, in the bolt-python template's ``listeners/<kind>/`` shape.

Each listener is a plain module-level function that takes Bolt's injected arguments and reads
the request's scope (``bot.scope``) from its context; each kind lists its listeners in a table
(``ACTIONS``, ``VIEWS``...) and ``register(app)`` below adds them all. The app installs the scope
middleware (``bot.scope.install``) first, so every listener runs with its request's scope,
built once; no listener sees the app-wide services.
"""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import (
    actions,
    commands,
    events,
    followup,
    milestones,
    review,
    shortcuts,
    similar,
    views,
)

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
