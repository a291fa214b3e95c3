"""INTAKE_TRACKERS_FILE at start (bot.tracker_setup, bot.bootstrap): read once, every mistake
named with its entry (request types checked against the templates loaded), tokens never
shown, and the tracker subscriber queued only when it is configured."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.bootstrap import build
from bot.settings import ConfigError, Settings, load_settings
from bot.tracker_setup import TRACKER
from intake.tracker import TrackerKind

TOKEN = "ghp-very-secret-token-value"


@pytest.fixture
def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Writes a trackers file; the GitHub token it names is set in the environment."""
    monkeypatch.setenv("GH_TOKEN_FOR_TEST", TOKEN)

    def write(text: str) -> Path:
        path = tmp_path / "trackers.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_a_bad_file_stops_the_start_naming_each_entry_and_no_secret(
    tmp_path: Path, write_config: Callable[[str], Path]
) -> None:
    config = write_config(
        "github: {token_env: GH_TOKEN_FOR_TEST}\n"
        "jira: {url: ftp://jira.example}\n"
        "routes:\n"
        "  - {type: databse, tracker: github, project: acme/ci}\n"
        "  - {tracker: jira, project: dba}\n",
    )
    message = start_error(tmp_path, config)
    assert "INTAKE_TRACKERS_FILE" in message
    assert "jira: token_env or token_file is required" in message
    assert "jira.url" in message and "https://" in message
    assert TOKEN not in message
    # With the sections right, the routes are checked, against the request types loaded.
    config.write_text(
        config.read_text().replace("jira: {url: ftp://jira.example}\n", ""), encoding="utf-8"
    )
    message = start_error(tmp_path, config)
    assert "routes[0] (github acme/ci): unknown request type 'databse'" in message
    assert "routes[1] (jira dba): there is no 'jira:' section" in message
    assert "routes[1] (jira dba): a Jira project is its key" in message
    assert TOKEN not in message


def settings(tmp_path: Path, config: Path | None) -> Settings:
    trackers = {"intake_trackers_file": str(config)} if config else {}
    return load_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", _env_file=None, **trackers)


def start_error(tmp_path: Path, config: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        build(settings(tmp_path, config))
    return str(raised.value)


def test_a_good_file_builds_the_adapters_and_subscribes_the_tracker_kind(
    tmp_path: Path, write_config: Callable[[str], Path]
) -> None:
    config = write_config(
        "github: {token_env: GH_TOKEN_FOR_TEST}\nroutes:\n"
        "  - {type: database, tracker: github, project: acme/dba}\n",
    )
    container = build(settings(tmp_path, config))
    try:
        assert container.trackers is not None
        assert set(container.trackers.adapters) == {TrackerKind.GITHUB}
        assert TOKEN not in repr(container.trackers)
        assert TRACKER in container.intake.uow_factory.event_kinds  # type: ignore[attr-defined]
    finally:
        container.db_engine.dispose()
    plain = build(settings(tmp_path, None))
    try:
        assert plain.trackers is None
        assert TRACKER not in plain.intake.uow_factory.event_kinds  # type: ignore[attr-defined]
    finally:
        plain.db_engine.dispose()


def test_a_tracker_without_a_webhook_secret_is_warned_about_once_at_start(
    tmp_path: Path, write_config: Callable[[str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(
        "github: {token_env: GH_TOKEN_FOR_TEST}\nroutes:\n"
        "  - {type: database, tracker: github, project: acme/dba}\n",
    )
    with caplog.at_level(logging.WARNING, logger="bot.tracker_setup"):
        container = build(settings(tmp_path, config))
    container.db_engine.dispose()
    warned = [r.getMessage() for r in caplog.records if r.name == "bot.tracker_setup"]
    assert warned == [
        "github: no webhook_secret: webhooks are refused; changes in GitHub reach Slack only "
        "by the hourly reconcile"
    ]
