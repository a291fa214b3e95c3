"""The Kubernetes manifests leave `serve` and `worker` the time they take to stop
(bot.shutdown): the kill comes after any preStop wait plus INTAKE_SHUTDOWN_GRACE, with time
to spare for the last log line and the exit."""

from __future__ import annotations

from bot.settings import Settings
from tests.deploy.deploy_files import resource

SPARE_S = 2  # at least this between the end of the grace and the kill


def shutdown_grace() -> float:
    configured = resource("ConfigMap", "intake-bot-config")["data"].get("INTAKE_SHUTDOWN_GRACE")
    return float(configured or Settings.model_fields["intake_shutdown_grace"].default)


def test_the_pods_are_killed_only_after_the_shutdown_grace() -> None:
    grace = shutdown_grace()
    for name in ("intake-bot", "intake-worker"):
        pod = resource("Deployment", name)["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {})
        waited = pre_stop.get("seconds", 0)
        assert pod["terminationGracePeriodSeconds"] >= waited + grace + SPARE_S, name


def test_the_bot_pods_leave_the_service_before_they_stop_taking_requests() -> None:
    pod = resource("Deployment", "intake-bot")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["lifecycle"]["preStop"]["sleep"]["seconds"] >= 5
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"  # 503 while stopping
