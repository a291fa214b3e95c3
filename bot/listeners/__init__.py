"""Slack listeners grouped by kind; each group has ``register(app, deps)``."""

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
from bot.listeners.deps import Deps


def register(app: App, deps: Deps) -> None:
    groups = (commands, events, actions, review, milestones, followup, shortcuts, similar, views)
    for group in groups:
        group.register(app, deps)
