"""The GitHub adapter, through githubkit, against the fake GitHub REST API on loopback."""

from __future__ import annotations

import time

import pytest
from githubkit import GitHub

from intake.tracker import (
    TrackerKind,
    TrackerRateLimited,
    TrackerRejected,
    TrackerUnavailable,
    issue_key,
)
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_rest import Answer
from tests.trackers.conftest import REPO, an_ask, github_settings
from trackers.github import GitHubTracker

KEY = issue_key("T0ACME", 42)
CREATE = r"/repos/acme/platform/issues"
SUBS = r"/repos/acme/platform/issues/\d+/sub_issues"


def test_an_ask_becomes_an_issue_with_a_sub_issue_per_milestone(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    ensured = github.ensure_issue(REPO, an_ask(), KEY)

    assert ensured.created
    assert ensured.ref.kind is TrackerKind.GITHUB and ensured.ref.label == "acme/platform#1"
    issue = fake_github.repos[REPO].issues[1]
    assert issue["title"] == "Postgres database for billing"
    assert {label["name"] for label in issue["labels"]} == {
        "intake", "type:database", "priority:P2", "size:M", KEY,
    }  # fmt: skip
    assert "- [ ] Backups run nightly" in issue["body"]
    assert [a["login"] for a in issue["assignees"]] == ["owen"]
    children = [i for i in fake_github.issues(REPO) if fake_github.parents.get(i["id"])]
    assert [c["title"] for c in children] == ["PLAT-12 · Step 1", "PLAT-12 · Step 2"]
    assert all(fake_github.parents[c["id"]] == issue["id"] for c in children)
    assert ensured.sub_items["m2"].url.endswith("/acme/platform/issues/3")
    assert issue["sub_issues_summary"]["total"] == 2


def test_ensuring_twice_leaves_one_issue(github: GitHubTracker, fake_github: FakeGitHub) -> None:
    first = github.ensure_issue(REPO, an_ask(), KEY)
    again = github.ensure_issue(REPO, an_ask(), KEY)

    assert again == type(first)(first.ref, first.sub_items, created=False)
    assert len(fake_github.issues(REPO)) == 3
    assert len(fake_github.calls_to("POST", CREATE)) == 3
    assert len(fake_github.calls_to("POST", SUBS)) == 2


def test_a_worker_that_died_before_recording_the_ref_does_not_cause_a_duplicate(
    fake_github: FakeGitHub,
) -> None:
    """The first worker creates everything and dies: the ref is lost with it. A new worker
    (a new client, nothing in memory) runs the same job and gets the same issue back."""
    GitHubTracker(github_settings(fake_github)).ensure_issue(REPO, an_ask(), KEY)

    retried = GitHubTracker(github_settings(fake_github)).ensure_issue(REPO, an_ask(), KEY)

    assert not retried.created and retried.ref.key == "1"
    assert len(fake_github.issues(REPO)) == 3


def test_a_sub_issue_created_but_not_linked_is_found_and_linked_on_retry(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    fake_github.fail_next("POST", SUBS, Answer(502, {"message": "Server Error"}))
    with pytest.raises(TrackerUnavailable):
        github.ensure_issue(REPO, an_ask(), KEY)
    assert len(fake_github.issues(REPO)) == 2  # the parent and step 1, not linked

    ensured = github.ensure_issue(REPO, an_ask(), KEY)

    assert len(fake_github.issues(REPO)) == 3
    assert set(ensured.sub_items) == {"m1", "m2"}
    assert len(fake_github.parents) == 2


def test_a_milestone_added_later_becomes_one_more_sub_issue(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    github.ensure_issue(REPO, an_ask(milestones=1), KEY)
    ensured = github.ensure_issue(REPO, an_ask(milestones=2), KEY)

    assert set(ensured.sub_items) == {"m1", "m2"}
    assert len(fake_github.issues(REPO)) == 3


def test_the_key_label_is_made_once_with_a_description(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    github.ensure_issue(REPO, an_ask(), KEY)

    label = fake_github.repos[REPO].labels[KEY]
    assert label["description"] == "Platform Intake: ask PLAT-12"
    assert len(fake_github.calls_to("POST", r"/repos/acme/platform/labels")) == 1


def test_a_token_that_cannot_label_is_refused_before_any_issue_is_made(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    """Without its key label an issue cannot be found again, so a retry would duplicate it."""
    fake_github.repos[REPO].push = False

    with pytest.raises(TrackerRejected, match="403 to create label") as raised:
        github.ensure_issue(REPO, an_ask(), KEY)

    assert not raised.value.retry and fake_github.issues(REPO) == []


def test_an_issue_created_without_its_label_stops_the_job_instead_of_duplicating(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    github.ensure_issue(REPO, an_ask(milestones=0), issue_key("T0ACME", 1))  # labels work
    fake_github.repos[REPO].drops_labels = True

    with pytest.raises(TrackerRejected, match="without its label") as raised:
        github.ensure_issue(REPO, an_ask(), KEY)

    assert not raised.value.retry and len(fake_github.issues(REPO)) == 2


def test_two_asks_get_two_issues(github: GitHubTracker, fake_github: FakeGitHub) -> None:
    one = github.ensure_issue(REPO, an_ask(milestones=0), KEY)
    two = github.ensure_issue(REPO, an_ask(milestones=0), issue_key("T0ACME", 43))

    assert one.ref.key != two.ref.key


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("owen@acme.test", ["owen"]),  # a public e-mail GitHub's user search finds
        ("PRIYA@acme.test", ["priya"]),  # private on GitHub: the configured map knows her
        ("mallory@acme.test", []),  # found, but may not be assigned in this repository
        ("nobody@acme.test", []),  # unknown: unassigned, not an error
    ],
)
def test_the_owner_is_matched_by_e_mail_or_left_unassigned(
    github: GitHubTracker, fake_github: FakeGitHub, email: str, expected: list[str]
) -> None:
    github.ensure_issue(REPO, an_ask(owner=email, milestones=0), KEY)

    [issue] = fake_github.issues(REPO)
    assert [a["login"] for a in issue["assignees"]] == expected


def test_a_secondary_rate_limit_is_a_typed_error_with_retry_after_and_creates_nothing(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    fake_github.rate_limit_next(secondary=True, retry_after=42)
    started = time.monotonic()

    with pytest.raises(TrackerRateLimited) as raised:
        github.ensure_issue(REPO, an_ask(), KEY)

    assert raised.value.retry_after_s == 42 and raised.value.retry
    assert time.monotonic() - started < 5  # the adapter does not wait it out itself
    assert fake_github.issues(REPO) == []
    github.ensure_issue(REPO, an_ask(), KEY)  # later, the queue's retry goes through
    assert len(fake_github.issues(REPO)) == 3


def test_a_primary_rate_limit_waits_until_the_reset_time(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    fake_github.rate_limit_next(secondary=False, retry_after=600)

    with pytest.raises(TrackerRateLimited) as raised:
        github.ensure_issue(REPO, an_ask(), KEY)

    assert 590 <= raised.value.retry_after_s <= 600


def test_a_secondary_limit_without_headers_waits_a_minute(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    fake_github.rate_limit_next(secondary=True)

    with pytest.raises(TrackerRateLimited) as raised:
        github.ensure_issue(REPO, an_ask(), KEY)

    assert raised.value.retry_after_s == 60


def test_a_bad_token_is_rejected_not_retried(fake_github: FakeGitHub) -> None:
    settings = github_settings(fake_github, token="ghp-revoked")

    with pytest.raises(TrackerRejected, match="401") as raised:
        GitHubTracker(settings).ensure_issue(REPO, an_ask(), KEY)

    assert not raised.value.retry
    assert "ghp-revoked" not in repr(settings) and "ghp-revoked" not in str(raised.value)


def test_an_unreachable_github_is_unavailable(fake_github: FakeGitHub) -> None:
    url = fake_github.url
    fake_github.stop()

    with pytest.raises(TrackerUnavailable):
        GitHubTracker(github_settings(fake_github, api_url=url)).ensure_issue(REPO, an_ask(), KEY)


def test_fetch_reads_the_issue_and_its_sub_issues_for_the_reconcile(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    ensured = github.ensure_issue(REPO, an_ask(), KEY)
    fake_github.close(REPO, int(ensured.sub_items["m1"].key))
    fake_github.assign(REPO, int(ensured.sub_items["m2"].key), "priya")

    state = github.fetch(ensured.ref)

    assert not state.issue.closed and state.issue.assignee == "owen"
    by_suffix = {s.suffix: s for s in state.sub_items}
    assert by_suffix["m1"].closed and not by_suffix["m2"].closed
    assert by_suffix["m2"].assignee == "priya"


def test_set_closed_closes_and_reopens(github: GitHubTracker, fake_github: FakeGitHub) -> None:
    ensured = github.ensure_issue(REPO, an_ask(milestones=1), KEY)

    github.set_closed(ensured.sub_items["m1"], closed=True)
    assert fake_github.repos[REPO].issues[2]["state"] == "closed"
    github.set_closed(ensured.sub_items["m1"], closed=False)
    assert fake_github.repos[REPO].issues[2]["state_reason"] == "reopened"


def test_the_fake_answers_in_the_shapes_of_githubs_api_description(
    github: GitHubTracker, fake_github: FakeGitHub
) -> None:
    """githubkit's models are generated from GitHub's OpenAPI description: the fake's
    answers must validate against them, or the fake has drifted from the real API."""
    github.ensure_issue(REPO, an_ask(), KEY)
    client = GitHub(fake_github.token, base_url=fake_github.url, auto_retry=False)

    issue = client.rest.issues.get("acme", "platform", 1).parsed_data
    subs = client.rest.issues.list_sub_issues("acme", "platform", 1).parsed_data
    listed = client.rest.issues.list_for_repo("acme", "platform", labels=KEY).parsed_data
    users = client.rest.search.users(q="owen@acme.test in:email").parsed_data

    assert issue.number == 1 and [s.number for s in subs] == [2, 3]
    assert len(listed) == 3 and users.items[0].login == "owen"
