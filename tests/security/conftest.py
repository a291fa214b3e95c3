"""The security suite runs on the end-to-end harness of tests/e2e/conftest.py: the real Bolt app
under waitress on loopback, Slack-signed requests from SlackDriver, and FakeSlack recording
every Web API call the bot makes.

``pytest_plugins`` is only allowed in the root conftest, so the e2e fixtures are re-exported
here by import (pytest finds fixtures by the module's attributes).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import (
    SIGNING_SECRET,
    BotServer,
    bot,
    bot_class,
    clock,
    driver,
    make_bot,
    model_bot,
    slack,
    sqlite_url,
)
from tests.fakes.slack_api import FakeSlack
from tests.security.checks import CapturingDriver

__all__ = [
    "bot",
    "bot_class",
    "capturing",
    "clock",
    "driver",
    "make_bot",
    "model_bot",
    "model_driver",
    "other_workspace",
    "slack",
    "sqlite_url",
]

OTHER_TEAM = "T0002"


@pytest.fixture
def capturing(bot: BotServer, slack: FakeSlack) -> CapturingDriver:
    """A SlackDriver that keeps the exact bytes and headers of every request it sends, to
    replay them."""
    return CapturingDriver(bot.events_url, SIGNING_SECRET, slack)


@pytest.fixture
def other_workspace(bot: BotServer, slack: FakeSlack) -> CapturingDriver:
    """Requests from workspace T0002, signed with the app's own secret (the same app installed
    in a second workspace, or a workspace on the same Enterprise Grid)."""
    return CapturingDriver(bot.events_url, SIGNING_SECRET, slack, team_id=OTHER_TEAM)


@pytest.fixture
def model_driver(model_bot: BotServer, slack: FakeSlack) -> CapturingDriver:
    return CapturingDriver(model_bot.events_url, SIGNING_SECRET, slack)
