"""Fake GitHub and Jira servers on 127.0.0.1, and the real adapters pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from pydantic import SecretStr

from intake.tracker import SubItem, TrackerIssue
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira
from trackers.config import GitHubSettings, JiraSettings
from trackers.github import GitHubTracker
from trackers.jira import JiraTracker

REPO = "acme/platform"
SLACK = "https://acme.slack.com/archives/C0PLATFORM/p1796634000000100"


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    fake.add_user("owen", "owen@acme.test")
    fake.add_user("priya", "priya@acme.test", public=False)
    fake.add_user("mallory", "mallory@acme.test")
    fake.add_repo(REPO, collaborators=("owen", "priya"))
    yield fake
    fake.stop()


def github_settings(fake: FakeGitHub, **extra: object) -> GitHubSettings:
    return GitHubSettings.model_validate(
        {"api_url": fake.url, "token": fake.token, "webhook_secret": fake.webhook_secret, **extra}
    )


@pytest.fixture
def github(fake_github: FakeGitHub) -> GitHubTracker:
    return GitHubTracker(github_settings(fake_github, assignees={"priya@acme.test": "priya"}))


@pytest.fixture
def fake_jira() -> Iterator[FakeJira]:
    fake = FakeJira().start()
    owen = fake.add_user("Owen Ito", "owen@acme.test")
    hidden = fake.add_user("Priya Rao", "priya@acme.test", visible=False)
    fake.add_user("Mallory", "mallory@acme.test")
    fake.add_project("DBA", members=(owen, hidden))
    yield fake
    fake.stop()


def jira_settings(fake: FakeJira) -> JiraSettings:
    return JiraSettings(
        url=fake.url,
        email=fake.email,
        token=SecretStr(fake.token),
        webhook_secret=SecretStr(fake.webhook_secret),
    )


@pytest.fixture
def jira(fake_jira: FakeJira) -> JiraTracker:
    return JiraTracker(jira_settings(fake_jira))


def an_ask(*, owner: str | None = "owen@acme.test", milestones: int = 2) -> TrackerIssue:
    return TrackerIssue(
        title="Postgres database for billing",
        ask_key="PLAT-12",
        requester="Alice Berg",
        slack_url=SLACK,
        problem="Billing has no database of its own; it shares the monolith's.",
        impact="Invoices are late when the monolith is busy.",
        acceptance_criteria=("A Postgres 16 database billing-db exists", "Backups run nightly"),
        deadline=date(2026, 12, 20),
        environment=("prod", "staging"),
        services=("billing",),
        category="database",
        priority="P2",
        size="M",
        assignee_email=owner,
        sub_items=tuple(
            SubItem(f"m{n}", f"Step {n}", due=date(2026, 12, 10 + n), done_criterion=f"step {n}")
            for n in range(1, milestones + 1)
        ),
    )
