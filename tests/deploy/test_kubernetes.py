"""deploy/ without a cluster: every YAML parses, and the Kubernetes manifests pass
kubernetes-validate's strict schemas for a pinned Kubernetes version and set only settings the
bot reads."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from bot.settings import Settings
from storage import db
from tests.deploy.deploy_files import (
    DEPLOY,
    IMAGE,
    K8S,
    KUBERNETES_VERSION,
    SECRET_EXAMPLE,
    cli_has,
    k8s_files,
    k8s_resources,
    load,
    load_all,
    pod_templates,
    resource,
    settings_env_names,
    settings_from_env,
)

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
