"""The Jira adapter, through the ``jira`` client, against the fake Jira Cloud REST API."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from intake.tracker import (
    TrackerKind,
    TrackerRateLimited,
    TrackerRejected,
    TrackerUnavailable,
    issue_key,
)
from tests.fakes.fake_jira import FakeJira
from tests.fakes.fake_rest import Answer
from tests.trackers.conftest import an_ask, jira_settings
from trackers.config import JiraSettings
from trackers.jira import JiraTracker

KEY = issue_key("T0ACME", 42)
CREATE = r"/rest/api/2/issue"


def test_an_ask_becomes_an_issue_with_a_sub_task_per_milestone(
    jira: JiraTracker, fake_jira: FakeJira
) -> None:
    ensured = jira.ensure_issue("DBA", an_ask(), KEY)

    assert ensured.created and ensured.ref.kind is TrackerKind.JIRA
    assert ensured.ref.key == "DBA-1" and ensured.ref.url == f"{fake_jira.url}/browse/DBA-1"
    fields = fake_jira.issues["DBA-1"]["fields"]
    assert fields["summary"] == "Postgres database for billing"
    assert set(fields["labels"]) == {"intake", "type:database", "priority:P2", "size:M", KEY}
    assert fields["priority"] == {"name": "High"} and fields["duedate"] == "2026-12-20"
    assert "# Backups run nightly" in fields["description"]
    assert fields["assignee"]["displayName"] == "Owen Ito"
    assert [s["key"] for s in fields["subtasks"]] == ["DBA-2", "DBA-3"]
    sub = fake_jira.issues["DBA-2"]["fields"]
    assert sub["issuetype"]["subtask"] and sub["parent"]["key"] == "DBA-1"
    assert sub["summary"] == "Step 1" and sub["duedate"] == "2026-12-11"
    assert f"{KEY}.m1" in sub["labels"]
    assert ensured.sub_items["m2"].key == "DBA-3"


def test_ensuring_twice_leaves_one_issue(jira: JiraTracker, fake_jira: FakeJira) -> None:
    first = jira.ensure_issue("DBA", an_ask(), KEY)
    again = jira.ensure_issue("DBA", an_ask(), KEY)

    assert again.ref == first.ref and again.sub_items == first.sub_items and not again.created
    assert len(fake_jira.issues) == 3
    assert len(fake_jira.calls_to("POST", CREATE)) == 3


def test_a_worker_that_died_before_recording_the_ref_does_not_cause_a_duplicate(
    fake_jira: FakeJira,
) -> None:
    JiraTracker(jira_settings(fake_jira)).ensure_issue("DBA", an_ask(), KEY)

    retried = JiraTracker(jira_settings(fake_jira)).ensure_issue("DBA", an_ask(), KEY)

    assert not retried.created and retried.ref.key == "DBA-1"
    assert len(fake_jira.issues) == 3


def test_a_failure_half_way_is_completed_by_the_retry(
    jira: JiraTracker, fake_jira: FakeJira
) -> None:
    fake_jira.fail_next("POST", CREATE, Answer(503, {"errorMessages": ["busy"]}), count=1)
    with pytest.raises(TrackerUnavailable):
        jira.ensure_issue("DBA", an_ask(), KEY)
    assert fake_jira.issues == {}

    jira.ensure_issue("DBA", an_ask(milestones=1), KEY)
    ensured = jira.ensure_issue("DBA", an_ask(milestones=2), KEY)

    assert set(ensured.sub_items) == {"m1", "m2"} and len(fake_jira.issues) == 3


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("owen@acme.test", "Owen Ito"),
        ("Priya@Acme.test", "Priya Rao"),  # hides her e-mail: found by it all the same
        ("mallory@acme.test", None),  # not assignable in DBA
        ("nobody@acme.test", None),  # unknown: unassigned, not an error
    ],
)
def test_the_owner_is_matched_by_e_mail_or_left_unassigned(
    jira: JiraTracker, fake_jira: FakeJira, email: str, expected: str | None
) -> None:
    jira.ensure_issue("DBA", an_ask(owner=email, milestones=0), KEY)

    assignee = fake_jira.issues["DBA-1"]["fields"]["assignee"]
    assert (assignee or {}).get("displayName") == expected


def test_a_429_is_a_typed_error_with_retry_after(jira: JiraTracker, fake_jira: FakeJira) -> None:
    fake_jira.rate_limit_next(retry_after=17)
    started = time.monotonic()

    with pytest.raises(TrackerRateLimited) as raised:
        jira.ensure_issue("DBA", an_ask(), KEY)

    assert raised.value.retry_after_s == 17
    assert time.monotonic() - started < 5  # the client's own retries are off
    assert fake_jira.issues == {}


def test_a_429_half_way_creates_nothing_twice(jira: JiraTracker, fake_jira: FakeJira) -> None:
    limited = Answer(429, {"errorMessages": ["Rate limit exceeded."]}, {"Retry-After": "5"})
    jira.ensure_issue("DBA", an_ask(milestones=0), issue_key("T0ACME", 1))  # before the limit
    fake_jira.fail_next("POST", CREATE, limited, count=1)

    with pytest.raises(TrackerRateLimited) as raised:
        jira.ensure_issue("DBA", an_ask(), KEY)
    jira.ensure_issue("DBA", an_ask(), KEY)

    assert raised.value.retry_after_s == 5
    assert sorted(fake_jira.issues) == ["DBA-1", "DBA-2", "DBA-3", "DBA-4"]


def test_an_unreachable_jira_is_unavailable(fake_jira: FakeJira) -> None:
    settings = jira_settings(fake_jira)
    fake_jira.stop()

    with pytest.raises(TrackerUnavailable):
        JiraTracker(settings).ensure_issue("DBA", an_ask(), KEY)


def test_a_bad_token_is_rejected(fake_jira: FakeJira) -> None:
    settings = jira_settings(fake_jira).model_copy(update={"token": SecretStr("revoked")})

    with pytest.raises(TrackerRejected, match="401"):
        JiraTracker(settings).ensure_issue("DBA", an_ask(), KEY)


def test_an_unknown_project_is_rejected_with_jiras_reason(jira: JiraTracker) -> None:
    with pytest.raises(TrackerRejected, match="valid project is required"):
        jira.ensure_issue("OPS", an_ask(), KEY)


def test_fetch_reads_the_issue_and_its_sub_tasks(jira: JiraTracker, fake_jira: FakeJira) -> None:
    ensured = jira.ensure_issue("DBA", an_ask(), KEY)
    fake_jira.close(ensured.sub_items["m1"].key)

    state = jira.fetch(ensured.ref)

    assert not state.issue.closed and state.issue.assignee_email == "owen@acme.test"
    by_suffix = {s.suffix: s for s in state.sub_items}
    assert by_suffix["m1"].closed and not by_suffix["m2"].closed


def test_set_closed_runs_a_transition_into_and_out_of_done(
    jira: JiraTracker, fake_jira: FakeJira
) -> None:
    ensured = jira.ensure_issue("DBA", an_ask(milestones=1), KEY)

    jira.set_closed(ensured.sub_items["m1"], closed=True)
    assert fake_jira.issues["DBA-2"]["fields"]["status"]["name"] == "Done"
    jira.set_closed(ensured.sub_items["m1"], closed=False)
    assert fake_jira.issues["DBA-2"]["fields"]["status"]["statusCategory"]["key"] != "done"


def test_the_search_uses_clouds_jql_endpoint(jira: JiraTracker, fake_jira: FakeJira) -> None:
    jira.ensure_issue("DBA", an_ask(milestones=0), KEY)

    [search] = fake_jira.calls_to("GET", r"/rest/api/2/search/jql")
    assert search.query["jql"] == [f'project = "DBA" AND labels in ("{KEY}") ORDER BY created ASC']
    assert fake_jira.calls_to("GET", r"/rest/api/2/search") == []


def test_jira_data_center_with_a_personal_access_token() -> None:
    """Data Center differs from Cloud where the adapter must follow: a bearer token, users
    named by ``name``, and the JQL search at ``/search``."""
    fake = FakeJira(data_center=True).start()
    try:
        owen = fake.add_user("Owen Ito", "owen@acme.test")
        fake.add_project("DBA", members=(owen,))
        settings = JiraSettings(url=fake.url, token=SecretStr(fake.token))  # no e-mail: a PAT

        first = JiraTracker(settings).ensure_issue("DBA", an_ask(), KEY)
        again = JiraTracker(settings).ensure_issue("DBA", an_ask(), KEY)

        assert again.ref == first.ref and len(fake.issues) == 3
        assert fake.issues["DBA-1"]["fields"]["assignee"]["name"] == "owen"
        assert fake.calls_to("GET", r"/rest/api/2/search") and not fake.calls_to(
            "GET", r"/rest/api/2/search/jql"
        )
    finally:
        fake.stop()
