"""The bot token is checked with auth.test at start (``bot.app``): a Slack that cannot be
reached is one clear line naming SLACK_API_URL, as a token Slack refuses is, not a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.app import create_app, worker_client
from bot.bootstrap import build
from bot.settings import ConfigError, load_settings
from tests.e2e.conftest import unhurried_pacer


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens on it any more


def test_a_slack_that_cannot_be_reached_is_one_clear_line(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'intake.db'}",
        slack_bot_token="xoxb-never-shown",
        slack_signing_secret="s",
        slack_api_url=f"http://127.0.0.1:{_closed_port()}/api/",
        _env_file=None,
    )
    container = build(settings, migrate=True)
    try:
        for start in (
            lambda: worker_client(container),
            lambda: create_app(container, pacer=unhurried_pacer()),
        ):
            with pytest.raises(ConfigError) as error:
                start()
            said = str(error.value)
            assert said.startswith(
                "could not reach Slack (SLACK_API_URL) to check SLACK_BOT_TOKEN:"
            )
            assert "refused" in said.lower() and "xoxb-never-shown" not in said
    finally:
        container.db_engine.dispose()
