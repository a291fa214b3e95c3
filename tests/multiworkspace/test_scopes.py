"""An installation asks for exactly the bot scopes of the Slack app manifests, which
tests/deploy/test_slack_scopes.py derives from what the code calls."""

from __future__ import annotations

import pytest

from bot.oauth import BOT_SCOPES
from tests.deploy.test_slack_scopes import MANIFESTS, manifest, manifest_events, needed_scopes


def test_bot_scopes_are_listed_once_and_sorted() -> None:
    assert list(BOT_SCOPES) == sorted(set(BOT_SCOPES))


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_bot_scopes_are_the_manifests_and_what_the_code_needs(path: object) -> None:
    data = manifest(path)  # type: ignore[arg-type]
    assert set(BOT_SCOPES) == set(data["oauth_config"]["scopes"]["bot"])
    assert set(BOT_SCOPES) == set(needed_scopes(manifest_events(data)))
