"""The files of deploy/ and what they are checked against (the settings the bot reads, the
CLI, the Compose schema), for the deploy tests."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click import Context

from bot.cli import main as cli
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
BIN = Path(sys.executable).parent
KUBERNETES_VERSION = "1.30"  # the oldest Kubernetes release the manifests must work on
COMPOSE_SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
IMAGE = "platform-intake"  # the image name the manifests use (kustomization.yaml rewrites it)
SECRET_EXAMPLE = "secret.example.yaml"


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def load(path: Path) -> dict[str, Any]:
    docs = load_all(path)
    assert len(docs) == 1, f"{path} holds {len(docs)} documents"
    return docs[0]


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_resources() -> list[dict[str, Any]]:
    return [doc for path in k8s_files() for doc in load_all(path)]


def resource(kind: str, name: str) -> dict[str, Any]:
    found = [r for r in k8s_resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_templates() -> dict[str, dict[str, Any]]:
    """name -> pod spec, for every workload (Deployments and Jobs)."""
    return {
        r["metadata"]["name"]: r["spec"]["template"]
        for r in k8s_resources()
        if r["kind"] in ("Deployment", "Job")
    }


def settings_env_names() -> set[str]:
    """The environment variables Settings reads: its field names, upper-cased."""
    assert Settings.model_config.get("env_prefix", "") == ""
    names = set()
    for name, field in Settings.model_fields.items():
        assert field.alias is None and field.validation_alias is None, name
        names.add(name.upper())
    return names


def compose() -> dict[str, Any]:
    return load(DEPLOY / "compose.yaml")


def app_services() -> dict[str, dict[str, Any]]:
    """The compose services that run the bot's image (not PostgreSQL)."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if str(service.get("image", "")).startswith(IMAGE + ":")
    }


def env_example() -> dict[str, str | None]:
    """VAR -> value for each VAR=value line of .env.example; None for a commented-out one."""
    found: dict[str, str | None] = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            name = match.group(2)
            assert name not in found, f"{name} appears twice in .env.example"
            found[name] = None if match.group(1) else match.group(3)
    return found


def compose_interpolated() -> set[str]:
    """Variables compose.yaml interpolates (${NAME}, ${NAME:?…}, ${NAME:-…})."""
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", (DEPLOY / "compose.yaml").read_text()))


def cli_has(argv: list[str]) -> bool:
    """Whether `intake-bot <argv...>` names a command of bot/cli.py."""
    assert argv[0] == "intake-bot", argv
    command: Any = cli
    for word in argv[1:]:
        if not hasattr(command, "get_command"):
            break
        command = command.get_command(Context(command), word)
        if command is None:
            return False
    return not hasattr(command, "get_command")  # a command, not a bare group


def settings_from_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name in settings_env_names():
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]
