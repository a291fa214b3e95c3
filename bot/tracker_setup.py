"""The trackers of this install (issue 19), read once at start: ``INTAKE_TRACKERS_FILE``
(``trackers.config``) validated against the request types loaded, and one adapter per
configured tracker. Tokens are read from the environment or a secret file and never logged
(``SecretStr``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from bot.blocks.tracker import NAMES
from bot.settings import ConfigError, Settings
from intake.templates.model import TemplateSet
from intake.tracker import Tracker, TrackerKind
from trackers import build_trackers, unverifiable
from trackers.config import ENV_FILE, TrackerConfig, TrackerConfigError, load_tracker_config

log = logging.getLogger(__name__)

# The queue kinds: an ask's status changes (the subscriber of integration events), a
# delivery from the tracker's webhook, and the periodic reconcile of one ask.
TRACKER: Final = "tracker"
TRACKER_CHANGE: Final = "tracker.change"
TRACKER_RECONCILE: Final = "tracker.reconcile"


@dataclass(frozen=True)
class TrackerSetup:
    config: TrackerConfig
    adapters: Mapping[TrackerKind, Tracker]


def load_trackers(
    settings: Settings, templates: TemplateSet, env: Mapping[str, str] | None = None
) -> TrackerSetup | None:
    """The configured trackers, or None without INTAKE_TRACKERS_FILE. ConfigError names each
    bad entry (an unknown request type in a route among them)."""
    if settings.intake_trackers_file is None:
        return None
    where = {**(os.environ if env is None else env), ENV_FILE: str(settings.intake_trackers_file)}
    known = frozenset(t.id for t in templates)
    try:
        config = load_tracker_config(where, known_types=known)
    except TrackerConfigError as error:
        problems = "\n  - ".join(error.problems)
        raise ConfigError(
            f"INTAKE_TRACKERS_FILE={settings.intake_trackers_file}:\n  - {problems}"
        ) from None
    assert config is not None
    adapters = build_trackers(config)
    log.info(
        "trackers: %s; %d routes",
        ", ".join(sorted(kind.value for kind in adapters)) or "none",
        len(config.routes),
    )
    for kind in sorted(adapters, key=lambda k: k.value):
        if unverifiable(config, kind):
            log.warning(
                "%s: no webhook_secret: webhooks are refused; changes in %s reach Slack only "
                "by the hourly reconcile",
                kind.value,
                NAMES.get(kind.value, kind.value),
            )
    return TrackerSetup(config, adapters)
