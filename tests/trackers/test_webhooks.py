"""Webhook deliveries from GitHub and Jira: signature checked on the raw body, then read as
the domain's changes (closed, reopened, assigned, unassigned; the issue or which sub-item)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import SecretStr

from bot.tracker_http import TrackerWebhooks
from intake.clock import SystemClock
from intake.tracker import ChangeKind, TrackerKind, WebhookRejected, issue_key
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira
from tests.trackers.conftest import REPO, an_ask
from trackers import unverifiable, webhook_changes
from trackers.config import parse_tracker_config
from trackers.github import GitHubTracker
from trackers.github_webhook import github_changes
from trackers.jira import JiraTracker
from trackers.jira_webhook import jira_changes
from trackers.signature import sign

KEY = issue_key("T0ACME", 42)


@pytest.fixture
def gh_secret(fake_github: FakeGitHub) -> SecretStr:
    return SecretStr(fake_github.webhook_secret)


@pytest.fixture
def jira_secret(fake_jira: FakeJira) -> SecretStr:
    return SecretStr(fake_jira.webhook_secret)


def test_github_close_of_the_issue_and_of_a_sub_issue(
    github: GitHubTracker, fake_github: FakeGitHub, gh_secret: SecretStr
) -> None:
    ensured = github.ensure_issue(REPO, an_ask(), KEY)

    [whole] = github_changes(gh_secret, *fake_github.close(REPO, 1, by="owen"))
    [step] = github_changes(gh_secret, *fake_github.close(REPO, int(ensured.sub_items["m2"].key)))

    assert (whole.kind, whole.issue_key, whole.suffix, whole.actor) == (
        ChangeKind.CLOSED, KEY, None, "owen",
    )  # fmt: skip
    assert whole.ref == ensured.ref
    assert (step.kind, step.suffix, step.ref) == (ChangeKind.CLOSED, "m2", ensured.sub_items["m2"])


def test_github_reopen_assign_and_unassign(
    github: GitHubTracker, fake_github: FakeGitHub, gh_secret: SecretStr
) -> None:
    github.ensure_issue(REPO, an_ask(milestones=1), KEY)
    fake_github.close(REPO, 2)

    [reopened] = github_changes(gh_secret, *fake_github.reopen(REPO, 2))
    [assigned] = github_changes(gh_secret, *fake_github.assign(REPO, 2, "priya"))
    [unassigned] = github_changes(gh_secret, *fake_github.unassign(REPO, 2))

    assert (reopened.kind, reopened.suffix) == (ChangeKind.REOPENED, "m1")
    assert (assigned.kind, assigned.assignee) == (ChangeKind.ASSIGNED, "priya")
    assert (unassigned.kind, unassigned.assignee) == (ChangeKind.UNASSIGNED, "priya")


def test_github_signature_bad_missing_or_unconfigured_is_rejected(
    github: GitHubTracker, fake_github: FakeGitHub, gh_secret: SecretStr
) -> None:
    github.ensure_issue(REPO, an_ask(milestones=0), KEY)
    headers, body = fake_github.close(REPO, 1)

    with pytest.raises(WebhookRejected, match="does not match"):
        github_changes(SecretStr("another-secret"), headers, body)
    with pytest.raises(WebhookRejected, match="does not match"):  # the body was changed
        github_changes(gh_secret, headers, body.replace(b'"closed"', b'"reopened"', 1))
    unsigned = {k: v for k, v in headers.items() if k != "X-Hub-Signature-256"}
    with pytest.raises(WebhookRejected, match="missing"):
        github_changes(gh_secret, unsigned, body)
    with pytest.raises(WebhookRejected, match="sha256"):
        github_changes(gh_secret, {**unsigned, "X-Hub-Signature-256": "sha1=abc"}, body)
    with pytest.raises(WebhookRejected, match="no webhook secret"):
        github_changes(None, headers, body)
    lower = {k.lower(): v for k, v in headers.items()}  # header names in any case
    assert github_changes(gh_secret, lower, body)[0].kind is ChangeKind.CLOSED


def test_github_deliveries_that_are_no_change_of_ours(
    github: GitHubTracker, fake_github: FakeGitHub, gh_secret: SecretStr
) -> None:
    def delivery(event: str, payload: dict[str, object]) -> list[object]:
        body = json.dumps(payload).encode()
        headers = {"X-GitHub-Event": event, "X-Hub-Signature-256": sign("gh-hook", body)}
        return list(github_changes(gh_secret, headers, body))

    github.ensure_issue(REPO, an_ask(milestones=0), KEY)
    _, closed = fake_github.close(REPO, 1)
    payload = json.loads(closed)

    assert delivery("ping", {"zen": "Keep it logically awesome."}) == []
    assert delivery("issues", {**payload, "action": "labeled"}) == []
    someone_elses = {**payload, "issue": {**payload["issue"], "body": "a bug report"}}
    assert delivery("issues", someone_elses) == []
    broken = {"X-GitHub-Event": "issues", "X-Hub-Signature-256": sign("gh-hook", b"{")}
    with pytest.raises(WebhookRejected, match="JSON"):
        github_changes(gh_secret, broken, b"{")


def test_jira_close_and_reopen_of_the_issue_and_a_sub_task(
    jira: JiraTracker, fake_jira: FakeJira, jira_secret: SecretStr
) -> None:
    ensured = jira.ensure_issue("DBA", an_ask(), KEY)

    [closed] = jira_changes(jira_secret, *fake_jira.close("DBA-1"))
    [step] = jira_changes(jira_secret, *fake_jira.close("DBA-3"))
    [reopened] = jira_changes(jira_secret, *fake_jira.reopen("DBA-3"))

    assert (closed.kind, closed.issue_key, closed.suffix) == (ChangeKind.CLOSED, KEY, None)
    assert closed.ref == ensured.ref and closed.ref.kind is TrackerKind.JIRA
    assert (step.kind, step.suffix, step.ref) == (ChangeKind.CLOSED, "m2", ensured.sub_items["m2"])
    assert (reopened.kind, reopened.suffix) == (ChangeKind.REOPENED, "m2")


def test_jira_moving_between_open_statuses_is_no_change(
    jira: JiraTracker, fake_jira: FakeJira, jira_secret: SecretStr
) -> None:
    jira.ensure_issue("DBA", an_ask(milestones=0), KEY)

    assert jira_changes(jira_secret, *fake_jira.start_work("DBA-1")) == []
    [closed] = jira_changes(jira_secret, *fake_jira.close("DBA-1"))  # In Progress -> Done
    assert closed.kind is ChangeKind.CLOSED


def test_jira_reassign_and_unassign(
    jira: JiraTracker, fake_jira: FakeJira, jira_secret: SecretStr
) -> None:
    jira.ensure_issue("DBA", an_ask(milestones=1), KEY)
    priya = fake_jira.emails["priya@acme.test"]
    owen = fake_jira.emails["owen@acme.test"]

    [hidden] = jira_changes(jira_secret, *fake_jira.assign("DBA-2", priya))
    [shown] = jira_changes(jira_secret, *fake_jira.assign("DBA-2", owen))
    [nobody] = jira_changes(jira_secret, *fake_jira.assign("DBA-2", None))

    assert (hidden.kind, hidden.assignee, hidden.assignee_email) == (
        ChangeKind.ASSIGNED, priya, None,
    )  # fmt: skip
    assert (shown.assignee, shown.assignee_email, shown.suffix) == (owen, "owen@acme.test", "m1")
    assert nobody.kind is ChangeKind.UNASSIGNED


def test_jira_signature_bad_or_missing_is_rejected(
    jira: JiraTracker, fake_jira: FakeJira, jira_secret: SecretStr
) -> None:
    jira.ensure_issue("DBA", an_ask(milestones=0), KEY)
    headers, body = fake_jira.close("DBA-1")

    with pytest.raises(WebhookRejected, match="does not match"):
        jira_changes(SecretStr("guess"), headers, body)
    with pytest.raises(WebhookRejected, match="missing"):
        jira_changes(jira_secret, {"Content-Type": "application/json"}, body)
    issue_created = json.loads(body) | {"webhookEvent": "jira:issue_created"}
    raw = json.dumps(issue_created).encode()
    assert jira_changes(jira_secret, {"X-Hub-Signature": sign("jh", raw)}, raw) == []


def test_deliveries_are_checked_with_the_secret_of_their_tracker(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    env = {"GH_HOOK": fake_github.webhook_secret, "TOKEN": "t", "JIRA_HOOK": "another"}
    config = parse_tracker_config(
        {
            "github": {"token_env": "TOKEN", "webhook_secret_env": "GH_HOOK"},
            "jira": {"url": "https://acme.atlassian.net", "token_env": "TOKEN",
                     "webhook_secret_env": "JIRA_HOOK"},
            "routes": [{"tracker": "github", "project": REPO}],
        },
        env,
    )  # fmt: skip
    github.ensure_issue(REPO, an_ask(milestones=0), KEY)
    headers, body = fake_github.close(REPO, 1)

    [change] = webhook_changes(config, TrackerKind.GITHUB, headers, body)
    assert change.kind is ChangeKind.CLOSED
    with pytest.raises(WebhookRejected):  # GitHub's delivery at the Jira endpoint
        forwarded = {"X-Hub-Signature": headers["X-Hub-Signature-256"]}
        webhook_changes(config, TrackerKind.JIRA, forwarded, body)
    without_jira = config.model_copy(update={"jira": None})
    with pytest.raises(WebhookRejected, match="Jira is not configured"):
        webhook_changes(without_jira, TrackerKind.JIRA, headers, body)


def test_a_refusal_that_is_ours_to_fix_is_a_warning_a_bad_signature_is_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {"TOKEN": "t", "GH_HOOK": "s3cret"}
    github = {"token_env": "TOKEN", "webhook_secret_env": "GH_HOOK"}
    route = [{"tracker": "github", "project": REPO}]
    signed = parse_tracker_config({"github": github, "routes": route}, env)
    unsigned = parse_tracker_config({"github": {"token_env": "TOKEN"}, "routes": route}, env)
    assert unverifiable(signed, TrackerKind.GITHUB) is None
    assert unverifiable(unsigned, TrackerKind.GITHUB) == "no webhook_secret is configured"
    assert unverifiable(signed, TrackerKind.JIRA) == "jira is not configured"
    levels = []
    for config, kind in [
        (signed, TrackerKind.GITHUB),  # a bad signature: the sender's
        (unsigned, TrackerKind.GITHUB),
        (signed, TrackerKind.JIRA),
    ]:
        caplog.clear()
        hooks = TrackerWebhooks(None, config, SystemClock(), lambda: None)  # type: ignore[arg-type]
        body = b"{}"
        environ = {
            "PATH_INFO": f"/trackers/{kind.value}",
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "HTTP_X_HUB_SIGNATURE_256": "sha256=00",
            "HTTP_X_HUB_SIGNATURE": "sha256=00",
        }
        with caplog.at_level(logging.INFO, logger="bot.tracker_http"):
            assert hooks.handle(environ, lambda *_: None) == [b"signature check failed"]
        levels += [r.levelname for r in caplog.records if r.name == "bot.tracker_http"]
    assert levels == ["INFO", "WARNING", "WARNING"]
