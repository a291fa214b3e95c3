"""The trackers the team already works in: GitHub Issues and Jira, behind ``intake.tracker``'s
port. ``build_trackers`` makes one adapter per configured tracker; ``webhook_changes`` checks
and reads a delivery from either; ``unverifiable`` says why none can be checked."""

from __future__ import annotations

from collections.abc import Mapping

from intake.tracker import Tracker, TrackerChange, TrackerKind, WebhookRejected
from trackers.config import TrackerConfig
from trackers.github import GitHubTracker
from trackers.github_webhook import github_changes
from trackers.jira import JiraTracker
from trackers.jira_webhook import jira_changes


def build_trackers(config: TrackerConfig) -> dict[TrackerKind, Tracker]:
    """An adapter for each tracker that has a section in ``config`` (no network yet)."""
    built: dict[TrackerKind, Tracker] = {}
    if config.github is not None:
        built[TrackerKind.GITHUB] = GitHubTracker(config.github)
    if config.jira is not None:
        built[TrackerKind.JIRA] = JiraTracker(config.jira)
    return built


def unverifiable(config: TrackerConfig, kind: TrackerKind) -> str | None:
    """Why every delivery to the webhook of ``kind`` is refused (the tracker is not
    configured, or has no webhook secret), or None when a delivery can be checked."""
    settings = config.github if kind is TrackerKind.GITHUB else config.jira
    if settings is None:
        return f"{kind.value} is not configured"
    secret = settings.webhook_secret
    if secret is None or not secret.get_secret_value():
        return "no webhook_secret is configured"
    return None


def webhook_changes(
    config: TrackerConfig, kind: TrackerKind, headers: Mapping[str, str], body: bytes
) -> list[TrackerChange]:
    """The changes in a delivery to the webhook endpoint of ``kind``, signature checked with
    that tracker's secret. Raises ``WebhookRejected`` (answer 401) when it is not the
    tracker's, including when that tracker is not configured."""
    if kind is TrackerKind.GITHUB:
        if config.github is None:
            raise WebhookRejected("GitHub is not configured")
        return github_changes(config.github.webhook_secret, headers, body)
    if config.jira is None:
        raise WebhookRejected("Jira is not configured")
    return jira_changes(config.jira.webhook_secret, headers, body)
