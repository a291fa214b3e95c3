"""Which tracker each accepted ask goes to, and the credentials to reach it.

A YAML (or JSON) file named by ``INTAKE_TRACKERS_FILE``::

    github:
      token_env: GITHUB_TOKEN              # or token_file: /run/secrets/github-token
      webhook_secret_env: GITHUB_WEBHOOK_SECRET
      assignees: {owen@example.com: owen}  # e-mail -> login, when GitHub cannot tell
    jira:
      url: https://acme.atlassian.net
      email: intake-bot@acme.com          # Cloud: e-mail + API token; omit for a DC token
      token_env: JIRA_API_TOKEN
      webhook_secret_env: JIRA_WEBHOOK_SECRET
    routes:                                # the most specific match wins
      - {type: database, tracker: jira, project: DBA}
      - {workspace: T0ACME, type: ci, tracker: github, project: acme/ci}
      - {tracker: github, project: acme/platform}   # everything else

Secrets are never written in the file: ``<name>_env`` names an environment variable and
``<name>_file`` a file holding the secret. They are ``SecretStr``: repr, str and logs show
``**********``. Every mistake is reported at once, each naming its entry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from intake.tracker import TrackerKind

ENV_FILE = "INTAKE_TRACKERS_FILE"
ANY = "*"
_SECRETS = ("token", "webhook_secret")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_JIRA_PROJECT = re.compile(r"^[A-Z][A-Z0-9_]{1,9}$")


class TrackerConfigError(ValueError):
    """The tracker configuration cannot be used; ``problems`` lists each mistake."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GitHubSettings(_Strict):
    api_url: str = "https://api.github.com"
    token: SecretStr
    webhook_secret: SecretStr | None = None
    assignees: dict[str, str] = Field(default_factory=dict)  # e-mail -> login
    timeout_s: float = 20.0


class JiraSettings(_Strict):
    url: str
    email: str | None = None  # Cloud: basic auth with e-mail and API token
    token: SecretStr
    webhook_secret: SecretStr | None = None
    issue_type: str = "Task"
    sub_task_type: str = "Sub-task"
    # Our priority -> the Jira priority's name; empty: leave Jira's default.
    priorities: dict[str, str] = Field(
        default_factory=lambda: {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"}
    )
    timeout_s: float = 20.0

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https://")
        return value.rstrip("/")


class Route(_Strict):
    workspace: str = ANY  # a Slack team ID
    type: str = ANY  # a request type (the ask's category)
    tracker: TrackerKind
    project: str  # "owner/repo" for GitHub, a project key for Jira

    def specificity(self) -> int:
        return (2 if self.workspace != ANY else 0) + (1 if self.type != ANY else 0)

    def matches(self, workspace: str, category: str) -> bool:
        return self.workspace in (ANY, workspace) and self.type in (ANY, category)


class TrackerConfig(_Strict):
    github: GitHubSettings | None = None
    jira: JiraSettings | None = None
    routes: tuple[Route, ...] = ()

    def route(self, workspace: str, category: str) -> Route | None:
        """Where an ask of this workspace and type goes; None: nowhere (no route matches)."""
        matching = [r for r in self.routes if r.matches(workspace, category)]
        return max(matching, key=Route.specificity, default=None)


def load_tracker_config(
    env: Mapping[str, str] | None = None, known_types: frozenset[str] | None = None
) -> TrackerConfig | None:
    """The configuration named by ``INTAKE_TRACKERS_FILE``; None when it is not set."""
    env = os.environ if env is None else env
    name = env.get(ENV_FILE, "").strip()
    if not name:
        return None
    path = Path(name)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TrackerConfigError(name, [f"cannot read it: {error.strerror}"]) from None
    except yaml.YAMLError as error:
        raise TrackerConfigError(name, [f"not YAML or JSON: {error}"]) from None
    return parse_tracker_config(raw, env, source=name, known_types=known_types)


def parse_tracker_config(
    raw: Any,
    env: Mapping[str, str],
    *,
    source: str = "tracker config",
    known_types: frozenset[str] | None = None,
) -> TrackerConfig:
    """Validate ``raw`` (parsed YAML/JSON), reading secrets from ``env`` or files."""
    if not isinstance(raw, dict):
        raise TrackerConfigError(source, ["the top level must be a mapping"])
    problems: list[str] = []
    data: dict[str, Any] = dict(raw)
    for kind in TrackerKind:
        section = data.get(kind.value)
        if section is None:
            continue
        if not isinstance(section, dict):
            problems.append(f"{kind.value}: must be a mapping")
            continue
        data[kind.value] = _with_secrets(kind.value, section, env, problems)
    try:
        config = TrackerConfig.model_validate(data)
    except ValidationError as error:
        problems += [
            _describe(e)
            for e in error.errors()
            if not (e["type"] == "missing" and e["loc"][-1] in _SECRETS)  # said above
        ]
        raise TrackerConfigError(source, problems) from None
    problems += _check_routes(config, known_types)
    if problems:
        raise TrackerConfigError(source, problems)
    return config


def _with_secrets(
    name: str, section: dict[str, Any], env: Mapping[str, str], problems: list[str]
) -> dict[str, Any]:
    out = dict(section)
    for secret in _SECRETS:
        if secret in out:
            problems.append(
                f"{name}.{secret}: secrets do not go in the file; "
                f"use {secret}_env (a variable) or {secret}_file"
            )
            out.pop(secret)
        var, file = out.pop(f"{secret}_env", None), out.pop(f"{secret}_file", None)
        if var and file:
            problems.append(f"{name}: give {secret}_env or {secret}_file, not both")
        elif var:
            value = env.get(str(var), "")
            if value.strip():
                out[secret] = value.strip()
            else:
                problems.append(f"{name}.{secret}_env: the variable {var} is not set")
        elif file:
            try:
                out[secret] = Path(str(file)).read_text(encoding="utf-8").strip()
            except OSError as error:
                problems.append(f"{name}.{secret}_file: cannot read {file}: {error.strerror}")
        elif secret == "token":
            problems.append(f"{name}: token_env or token_file is required")
    return out


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if where.startswith("routes."):
        head, _, rest = where.partition(".")[2].partition(".")
        where = f"routes[{head}]" + (f".{rest}" if rest else "")
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = "unknown setting"
    return f"{where}: {message}"


def _check_routes(config: TrackerConfig, known_types: frozenset[str] | None) -> list[str]:
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    if not config.routes:
        problems.append("routes: none given, so no ask would go anywhere")
    for index, route in enumerate(config.routes):
        where = f"routes[{index}] ({route.tracker.value} {route.project})"
        if getattr(config, route.tracker.value) is None:
            problems.append(f"{where}: there is no '{route.tracker.value}:' section")
        if route.tracker is TrackerKind.GITHUB and not _REPO.match(route.project):
            problems.append(f"{where}: a GitHub project is 'owner/repo'")
        if route.tracker is TrackerKind.JIRA and not _JIRA_PROJECT.match(route.project):
            problems.append(f"{where}: a Jira project is its key, like DBA")
        if known_types is not None and route.type not in known_types | {ANY}:
            problems.append(f"{where}: unknown request type '{route.type}'")
        match = (route.workspace, route.type)
        if match in seen:
            problems.append(f"{where}: same workspace and type as routes[{seen[match]}]")
        seen.setdefault(match, index)
    return problems
