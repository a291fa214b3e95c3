"""Tracker configuration: routes per workspace and request type, secrets from the environment
or a file and never shown, and every mistake named at start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from intake.tracker import TrackerKind
from trackers import build_trackers
from trackers.config import TrackerConfigError, load_tracker_config, parse_tracker_config

ENV = {"GH_TOKEN": "ghp-secret-0123", "JIRA_TOKEN": "jira-secret-4567", "GH_HOOK": "hook-89"}
CONFIG = {
    "github": {"token_env": "GH_TOKEN", "webhook_secret_env": "GH_HOOK"},
    "jira": {"url": "https://acme.atlassian.net/", "email": "bot@acme.test",
             "token_env": "JIRA_TOKEN"},
    "routes": [
        {"type": "database", "tracker": "jira", "project": "DBA"},
        {"workspace": "T0ACME", "type": "ci", "tracker": "github", "project": "acme/ci"},
        {"workspace": "T0ACME", "tracker": "github", "project": "acme/acme-platform"},
        {"tracker": "github", "project": "acme/platform"},
    ],
}  # fmt: skip


def problems(raw: object, env: dict[str, str] = ENV) -> list[str]:
    with pytest.raises(TrackerConfigError) as raised:
        parse_tracker_config(raw, env, source="trackers.yaml")
    assert str(raised.value).startswith("trackers.yaml: ")
    return raised.value.problems


def test_the_most_specific_route_wins() -> None:
    config = parse_tracker_config(CONFIG, ENV)

    def where(workspace: str, category: str) -> tuple[str, str] | None:
        route = config.route(workspace, category)
        return (route.tracker.value, route.project) if route else None

    assert where("T0OTHER", "database") == ("jira", "DBA")
    assert where("T0ACME", "ci") == ("github", "acme/ci")
    assert where("T0ACME", "database") == ("github", "acme/acme-platform")  # workspace first
    assert where("T0OTHER", "ci") == ("github", "acme/platform")
    assert config.jira is not None and config.jira.url == "https://acme.atlassian.net"


def test_without_a_catch_all_an_unrouted_ask_goes_nowhere() -> None:
    config = parse_tracker_config({**CONFIG, "routes": CONFIG["routes"][:1]}, ENV)

    assert config.route("T0ACME", "access") is None


def test_secrets_are_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    config = parse_tracker_config(CONFIG, ENV)
    trackers = build_trackers(config)
    logging.getLogger("test").warning("config %s %r %s", config, config, trackers)

    shown = repr(config) + str(config) + repr(trackers) + caplog.text
    assert all(secret not in shown for secret in ENV.values())
    assert config.github is not None and config.github.token.get_secret_value() == ENV["GH_TOKEN"]
    assert set(trackers) == {TrackerKind.GITHUB, TrackerKind.JIRA}


def test_a_token_can_come_from_a_secret_file(tmp_path: Path) -> None:
    (tmp_path / "gh").write_text("ghp-from-file\n")
    raw = {**CONFIG, "github": {"token_file": str(tmp_path / "gh")}}

    config = parse_tracker_config(raw, ENV)

    assert config.github is not None and config.github.token.get_secret_value() == "ghp-from-file"


def test_every_mistake_is_named_at_once() -> None:
    raw = {
        "github": {"token": "ghp-in-the-file", "colour": "red"},
        "jira": {"url": "acme.atlassian.net", "token_env": "MISSING"},
        "routes": [
            {"type": "ci", "tracker": "github", "project": "acme"},
            {"type": "database", "tracker": "jira", "project": "dba team"},
            {"type": "ci", "tracker": "gitlab", "project": "acme/ci"},
        ],
    }

    found = problems(raw)

    assert "github.token: secrets do not go in the file; use token_env (a variable) or " \
        "token_file" in found  # fmt: skip
    assert "jira.token_env: the variable MISSING is not set" in found
    assert "github: token_env or token_file is required" in found
    assert "github.colour: unknown setting" in found
    assert "routes[2].tracker: Input should be 'github' or 'jira'" in found
    assert not any("Field required" in p or "ghp-in-the-file" in p for p in found)


def test_model_errors_name_the_entry() -> None:
    raw = {**CONFIG, "jira": {**CONFIG["jira"], "url": "acme.atlassian.net", "colour": "red"},
           "routes": [*CONFIG["routes"], {"tracker": "gitlab", "project": "x/y"}]}  # fmt: skip

    found = problems(raw)

    assert "jira.url: Value error, must start with https://" in found
    assert "jira.colour: unknown setting" in found
    assert any(p.startswith("routes[4].tracker: Input should be 'github' or 'jira'") for p in found)


def test_route_mistakes_name_the_route() -> None:
    routes = [
        {"type": "ci", "tracker": "github", "project": "acme"},
        {"type": "database", "tracker": "jira", "project": "dba team"},
        {"type": "ci", "tracker": "github", "project": "acme/ci"},
        {"type": "cooking", "tracker": "github", "project": "acme/food"},
    ]
    raw = {"github": CONFIG["github"], "routes": routes}

    with pytest.raises(TrackerConfigError) as raised:
        parse_tracker_config(raw, ENV, known_types=frozenset({"ci", "database"}))

    assert raised.value.problems == [
        "routes[0] (github acme): a GitHub project is 'owner/repo'",
        "routes[1] (jira dba team): there is no 'jira:' section",
        "routes[1] (jira dba team): a Jira project is its key, like DBA",
        "routes[2] (github acme/ci): same workspace and type as routes[0]",
        "routes[3] (github acme/food): unknown request type 'cooking'",
    ]


def test_loading_from_the_file_named_in_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "trackers.yaml"
    path.write_text(
        "github:\n  token_env: GH_TOKEN\nroutes:\n  - {tracker: github, project: acme/platform}\n"
    )

    assert load_tracker_config({}) is None  # not configured: the feature is off
    config = load_tracker_config({**ENV, "INTAKE_TRACKERS_FILE": str(path)})
    assert config is not None and config.route("T1", "x") is not None
    with pytest.raises(TrackerConfigError, match="cannot read it"):
        load_tracker_config({"INTAKE_TRACKERS_FILE": str(tmp_path / "nope.yaml")})
    path.write_text("routes: [unclosed\n")
    with pytest.raises(TrackerConfigError, match="not YAML or JSON"):
        load_tracker_config({"INTAKE_TRACKERS_FILE": str(path)})
