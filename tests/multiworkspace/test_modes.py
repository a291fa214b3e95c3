"""Which mode runs: one bot token (the default, unchanged), or installs with the app's client
credentials; a configuration that mixes them stops at start and names the variables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt import App
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

from bot.app import create_app
from bot.bootstrap import Container, build
from bot.followthrough import follow_through_for
from bot.oauth import InstalledWorkspaces, OneWorkspace
from bot.settings import ConfigError, load_settings
from tests.e2e.conftest import unhurried_pacer
from tests.fakes.slack_api import FakeSlack
from tests.multiworkspace.conftest import CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET


def settings(tmp_path: Path, **overrides: object) -> object:
    return load_settings(
        database_url=f"sqlite:///{tmp_path / 'intake.db'}",
        slack_signing_secret=SIGNING_SECRET,
        _env_file=None,
        **overrides,
    )


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"slack_client_id": CLIENT_ID}, ["SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID"]),
        ({"slack_client_secret": CLIENT_SECRET}, ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"]),
        (
            {
                "slack_client_id": CLIENT_ID,
                "slack_client_secret": CLIENT_SECRET,
                "slack_bot_token": "xoxb-one",
            },
            ["SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"],
        ),
        (
            {
                "slack_client_id": CLIENT_ID,
                "slack_client_secret": CLIENT_SECRET,
                "slack_app_token": "xapp-1",
            },
            ["SLACK_APP_TOKEN", "SLACK_CLIENT_ID"],
        ),
        (
            {"slack_client_id": "secret-pasted-here", "slack_client_secret": "x"},
            ["SLACK_CLIENT_ID"],
        ),
    ],
)
def test_a_mixed_or_half_configuration_names_the_variables(
    tmp_path: Path, overrides: dict[str, object], named: list[str]
) -> None:
    with pytest.raises(ConfigError) as error:
        settings(tmp_path, **overrides)
    for name in named:
        assert name in str(error.value)
    assert CLIENT_SECRET not in str(error.value) and "xoxb-one" not in str(error.value)


def test_an_empty_client_secret_is_not_set(tmp_path: Path) -> None:
    plain = settings(tmp_path, slack_bot_token="xoxb-one", slack_client_secret="")
    assert plain.multi_workspace is False  # type: ignore[attr-defined]


def test_token_mode_is_the_default_and_works_as_before(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    config = settings(
        tmp_path, slack_bot_token=fake_slack.bot_token, slack_api_url=fake_slack.api_url
    )
    container = build(config, migrate=True)  # type: ignore[arg-type]
    try:
        assert container.settings.multi_workspace is False
        app: App = create_app(container, pacer=unhurried_pacer())
        assert app.oauth_flow is None
        follow = follow_through_for(container, app.client)
        assert isinstance(follow.clients, OneWorkspace)
        assert follow.clients.for_team("T0001") is app.client
        assert follow.clients.for_team("local") is app.client  # every ask is the one workspace's
    finally:
        container.db_engine.dispose()


@pytest.fixture
def install_mode(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[tuple[Container, App]]:
    """A container and its app configured for installs (client credentials, no bot token)."""
    config = settings(
        tmp_path,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_api_url=fake_slack.api_url,
    )
    container = build(config, migrate=True)  # type: ignore[arg-type]
    try:
        yield container, create_app(container, pacer=unhurried_pacer())
    finally:
        container.db_engine.dispose()


def test_install_mode_builds_the_oauth_app_without_a_token(
    install_mode: tuple[Container, App], fake_slack: FakeSlack
) -> None:
    container, app = install_mode
    assert app.oauth_flow is not None and app.client.token is None
    assert app.oauth_flow.install_path == "/slack/install"
    assert app.oauth_flow.redirect_uri_path == "/slack/oauth_redirect"
    assert fake_slack.calls_to("auth.test") == [], "no token to check at start"
    follow = follow_through_for(container, app.client)
    assert isinstance(follow.clients, InstalledWorkspaces)
    assert follow.clients.for_team("T0001") is None, "nothing installed yet"


def test_installations_are_looked_up_on_the_ack_connections(
    install_mode: tuple[Container, App],
) -> None:
    """Bolt finds the workspace's installation before each request is acked: that read must
    not queue behind the listeners' work for a connection."""
    container, app = install_mode
    assert app.oauth_flow is not None
    store = app.oauth_flow.settings.installation_store
    assert isinstance(store, SQLAlchemyInstallationStore)
    assert container.ack_db_engine is not None
    assert store.engine is container.ack_db_engine
