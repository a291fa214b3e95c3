"""The trackers the team already works in: GitHub Issues and Jira, behind ``intake.tracker``'s
port. ``build_trackers`` makes one adapter per configured tracker."""

from __future__ import annotations

from intake.tracker import Tracker, TrackerKind
from trackers.config import TrackerConfig
from trackers.github import GitHubTracker
from trackers.jira import JiraTracker


def build_trackers(config: TrackerConfig) -> dict[TrackerKind, Tracker]:
    """An adapter for each tracker that has a section in ``config`` (no network yet)."""
    built: dict[TrackerKind, Tracker] = {}
    if config.github is not None:
        built[TrackerKind.GITHUB] = GitHubTracker(config.github)
    if config.jira is not None:
        built[TrackerKind.JIRA] = JiraTracker(config.jira)
    return built
