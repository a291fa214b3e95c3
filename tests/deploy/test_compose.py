"""deploy/compose.yaml without Docker: it passes the Compose Specification's schema (vendored
in schemas/) and sets only settings the bot reads."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from storage import db
from tests.deploy.deploy_files import (
    COMPOSE_SCHEMA,
    DEPLOY,
    ROOT,
    app_services,
    cli_has,
    compose,
    compose_interpolated,
    env_example,
    settings_env_names,
    settings_from_env,
)

# -- compose ------------------------------------------------------------------------------------


def test_compose_passes_the_compose_spec_schema() -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    # ...and the check is live: a condition Compose does not know fails it.
    broken = compose()
    broken["services"]["bot"]["depends_on"]["migrate"]["condition"] = "service_finished"
    assert list(validator_class(schema).iter_errors(broken))


def test_compose_runs_migrate_once_before_the_bot() -> None:
    services = compose()["services"]
    assert set(services) >= {"db", "migrate", "bot"}
    assert services["migrate"]["command"] == ["intake-bot", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["healthcheck"] == {"disable": True}
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    bot = services["bot"]
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["command"] == ["intake-bot", "serve"]
    for service in app_services().values():
        assert cli_has(service["command"]), service["command"]


def test_compose_postgres_has_a_healthcheck_and_a_named_volume() -> None:
    spec = compose()
    database = spec["services"]["db"]
    assert database["image"].split(":")[1].split("-")[0].split(".")[0] == "15"
    assert "pg_isready" in " ".join(database["healthcheck"]["test"])
    volume = database["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data"
    assert volume[0] in spec["volumes"]  # a named volume, not a host directory


def test_compose_builds_the_image_from_the_repository_root() -> None:
    for service in app_services().values():
        build = service["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT
        assert (context / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
        assert service["env_file"] == ".env"
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]


def test_compose_sets_only_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    known = settings_env_names()
    for name, service in app_services().items():
        assert set(service.get("environment", {})) <= known, name
    # What the containers get: .env (from .env.example) overridden by `environment`, with
    # Compose's ${…} filled from the same file.
    example = {k: v for k, v in env_example().items() if v is not None}
    env = {k: v for k, v in example.items() if k in known}
    for key, value in app_services()["bot"]["environment"].items():
        env[key] = re.sub(
            r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}", lambda m: example[m.group(1)], str(value)
        )
    settings = settings_from_env(monkeypatch, env)
    url = db.normalise_url(settings.database_url)
    assert (url.drivername, url.host, url.database) == ("postgresql+psycopg", "db", "intake")
    assert url.password == example["POSTGRES_PASSWORD"]


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    listed = env_example()
    known = settings_env_names()
    compose_only = compose_interpolated()
    assert not compose_only & known, "a Compose ${VAR} that is also a bot setting"
    assert set(listed) - known == compose_only, "not a setting nor used by compose.yaml"
    assert known - set(listed) == set(), "settings missing from .env.example"
    for name in compose_only:
        assert listed[name], f"{name} is required by compose.yaml: give it a value"
    # An empty SLACK_APP_TOKEN= would still mean Socket Mode: optional secrets stay commented.
    assert listed["SLACK_APP_TOKEN"] is None
    text = (DEPLOY / ".env.example").read_text().splitlines()
    for index, line in enumerate(text):
        if re.match(r"^#?\s*[A-Z][A-Z0-9_]*=", line):
            assert index > 0 and text[index - 1].startswith("#"), f"no comment above {line!r}"
