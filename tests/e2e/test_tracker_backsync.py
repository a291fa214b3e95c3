"""What people do in GitHub and Jira comes back to Slack: signed webhooks to the bot's HTTP
port, the periodic reconcile for what they missed, and the failures leads must see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.observability.metrics import Metrics
from bot.tracker_back import queue_reconcile
from intake.service import BOT
from intake.ticket import MilestoneStatus, Status
from storage.db import transaction
from storage.models import QueueItemRow
from tests.e2e.conftest import LEAD, REPO, REVIEW_CHANNEL, BotServer, MovableClock
from tests.e2e.helpers import Conversation, buttons, eventually, text_of
from tests.e2e.tracker_harness import approve_on, deliver, links, thread_texts
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
def linked(
    database_url: str, tracked_bot: Callable[..., BotServer], slack: FakeSlack, github: FakeGitHub
) -> tuple[BotServer, Conversation]:
    """A bot with GitHub configured and one approved ask, its issue created and linked."""
    bot = tracked_bot(database_url, github=github)
    conversation, _card = approve_on(bot, slack)
    eventually(
        lambda: any("Tracked in GitHub" in t for t in thread_texts(conversation)), "the GitHub link"
    )
    return bot, conversation


def note_under_card(slack: FakeSlack, card: dict[str, Any], words: str) -> dict[str, Any]:
    """The first message in the review card's thread that says ``words`` (waited for)."""
    note: dict[str, Any] = eventually(
        lambda: next(
            (m for m in slack.thread(REVIEW_CHANNEL, card["ts"]) if words in m.get("text", "")),
            None,
        ),
        "the note under the card",
    )
    return note


def sub_issues(github: FakeGitHub) -> list[int]:
    return sorted(i["number"] for i in github.issues(REPO) if i["id"] in github.parents)


def test_closing_the_sub_issues_then_the_issue_in_github_finishes_the_ask_in_slack(
    linked: tuple[BotServer, Conversation], github: FakeGitHub
) -> None:
    bot, conversation = linked
    assert bot.container is not None
    plan = [m.title for m in bot.container.intake.get(1).ticket.milestones]
    for position, number in enumerate(sub_issues(github), start=1):
        headers, body = github.close(REPO, number, by="owen")
        assert deliver(bot.base_url, "/trackers/github", headers, body) == 200
        note = f"Closed in GitHub by owen: milestone {position} “{plan[position - 1]}” is done"
        eventually(lambda n=note: n in thread_texts(conversation), note)
    ticket = bot.container.intake.get(1).ticket
    assert all(m.status is MilestoneStatus.DONE for m in ticket.milestones)
    assert ticket.status is Status.IN_PROGRESS, "the requester confirms, as in Slack"
    question = eventually(
        lambda: next((m for m in conversation.bot_messages if len(buttons(m)) >= 2 and
                      "done" in text_of(m).lower()), None),
        "the requester asked to confirm",
    )  # fmt: skip
    assert buttons(question), "the confirmation has its buttons"
    # The issue itself closed: the ask is done, once, however often GitHub delivers it.
    headers, body = github.close(REPO, 1, by="owen")
    for _ in range(2):
        assert deliver(bot.base_url, "/trackers/github", headers, body) == 200
    eventually(lambda: bot.container.intake.get(1).ticket.status is Status.DONE, "done")  # type: ignore[union-attr]
    eventually(
        lambda: "Closed in GitHub by owen: PLAT-1 is done" in thread_texts(conversation),
        "the close said",
    )
    assert bot.container.in_flight.wait_idle(10)
    assert thread_texts(conversation).count("Closed in GitHub by owen: PLAT-1 is done") == 1
    with transaction(bot.container.db_engine) as session:
        kinds = [r.kind for r in session.scalars(select(QueueItemRow))]
    assert kinds.count("tracker.change") == len(plan) + 1, "the redelivery queued nothing"


def test_a_delivery_without_the_right_signature_is_refused_and_changes_nothing(
    linked: tuple[BotServer, Conversation], github: FakeGitHub
) -> None:
    bot, conversation = linked
    assert bot.container is not None
    headers, body = github.close(REPO, 1, by="mallory")
    forged = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
    unsigned = {k: v for k, v in headers.items() if k != "X-Hub-Signature-256"}
    assert deliver(bot.base_url, "/trackers/github", forged, body) == 401
    assert deliver(bot.base_url, "/trackers/github", unsigned, body) == 401
    assert deliver(bot.base_url, "/trackers/jira", headers, body) == 401, "not Jira's"
    ping = {**headers, "X-GitHub-Event": "ping"}
    assert deliver(bot.base_url, "/trackers/github", ping, body) == 200, "not acted on: ignored"
    assert bot.container.in_flight.wait_idle(5)
    assert bot.container.intake.get(1).ticket.status is Status.ACCEPTED
    with transaction(bot.container.db_engine) as session:
        kinds = [r.kind for r in session.scalars(select(QueueItemRow))]
    assert "tracker.change" not in kinds
    assert not any("Closed in GitHub" in t for t in thread_texts(conversation))


def test_the_reconcile_applies_a_close_the_webhook_never_delivered(
    linked: tuple[BotServer, Conversation], github: FakeGitHub, clock: MovableClock
) -> None:
    bot, conversation = linked
    assert bot.container is not None and bot.runner is not None
    github.close(REPO, sub_issues(github)[0], by="owen")  # deliveries lost
    github.close(REPO, 1, by="owen")
    engine = bot.container.db_engine
    assert queue_reconcile(engine, clock.now(), "replica-a") == 1
    assert queue_reconcile(engine, clock.now(), "replica-b") == 0, "one replica per hour"
    bot.runner.notify()
    eventually(lambda: bot.container.intake.get(1).ticket.status is Status.DONE, "done")  # type: ignore[union-attr]
    assert bot.container.in_flight.wait_idle(10)
    ticket = bot.container.intake.get(1).ticket
    assert ticket.milestones[0].status is MilestoneStatus.DONE
    texts = thread_texts(conversation)
    assert "Closed in GitHub: PLAT-1 is done" in texts
    assert any(t.startswith("Closed in GitHub: milestone 1 ") for t in texts)


def test_a_rate_limited_create_waits_for_retry_after_then_succeeds(
    sqlite_url: str,
    tracked_bot: Callable[..., BotServer],
    slack: FakeSlack,
    github: FakeGitHub,
    clock: MovableClock,
) -> None:
    bot = tracked_bot(sqlite_url, github=github)
    assert bot.container is not None and bot.runner is not None
    github.rate_limit_next(1, secondary=True, retry_after=90)
    conversation, _card = approve_on(bot, slack)
    assert bot.container.in_flight.wait_idle(10)
    with transaction(bot.container.db_engine) as session:
        pending = session.scalars(
            select(QueueItemRow).where(QueueItemRow.kind == "tracker", QueueItemRow.attempts > 0,
                                       QueueItemRow.done_at.is_(None))
        ).all()  # fmt: skip
        assert len(pending) == 1, "the ask's ensure, waiting; its next event waits behind it"
        item = pending[0]
        assert item.attempts == 1
        assert item.run_at == clock.now() + timedelta(seconds=90), "GitHub's Retry-After"
        assert "rate limited" in (item.last_error or "")
    assert github.issues(REPO) == []
    clock.advance(seconds=89)
    bot.runner.notify()
    assert bot.container.in_flight.wait_idle(10)
    assert github.issues(REPO) == [], "not before GitHub said"
    clock.advance(seconds=2)
    bot.runner.notify()
    eventually(
        lambda: any("Tracked in GitHub" in t for t in thread_texts(conversation)), "the GitHub link"
    )
    assert len([i for i in github.issues(REPO) if i["id"] not in github.parents]) == 1
    assert 'intake_tracker_failures_total{reason="rate_limited",tracker="github"}' in _metrics()


def test_a_refused_create_is_given_up_and_told_to_the_leads_under_the_card(
    sqlite_url: str, tracked_bot: Callable[..., BotServer], slack: FakeSlack, github: FakeGitHub
) -> None:
    routes = [{"tracker": "github", "project": "acme/no-such-repo"}]
    bot = tracked_bot(sqlite_url, github=github, routes=routes)
    assert bot.container is not None
    _conversation, card = approve_on(bot, slack)
    assert bot.container.in_flight.wait_idle(10)
    note = note_under_card(slack, card, "could not be created")
    assert "PLAT-1 could not be created in GitHub (acme/no-such-repo)" in note["text"]
    assert "404" in note["text"]
    with transaction(bot.container.db_engine) as session:
        items = session.scalars(select(QueueItemRow).where(QueueItemRow.kind == "tracker")).all()
        assert any(i.gave_up_at is not None for i in items), "given up, kept for reports"
    found = links(sqlite_url)
    assert found is not None and found.issue.ref is None and found.issue.refused
    assert 'intake_tracker_failures_total{reason="rejected",tracker="github"}' in _metrics()


def test_closing_a_sub_task_in_jira_marks_its_milestone_done(
    sqlite_url: str, tracked_bot: Callable[..., BotServer], slack: FakeSlack, jira: FakeJira
) -> None:
    bot = tracked_bot(sqlite_url, jira=jira, routes=[{"tracker": "jira", "project": "DBA"}])
    assert bot.container is not None
    conversation, _card = approve_on(bot, slack)
    eventually(
        lambda: any("Tracked in Jira" in t for t in thread_texts(conversation)), "the Jira link"
    )
    sub = next(key for key, i in jira.issues.items() if i["fields"].get("parent"))
    headers, body = jira.close(sub)
    assert deliver(bot.base_url, "/trackers/jira", headers, body) == 200
    eventually(
        lambda: bot.container.intake.get(1).ticket.milestones[0].status is MilestoneStatus.DONE,  # type: ignore[union-attr]
        "milestone 1 done",
    )
    eventually(
        lambda: any(t.startswith("Closed in Jira") for t in thread_texts(conversation)),
        "the Jira close said",
    )


def _metrics() -> str:
    return Metrics(None, process=False).exposition().decode()


def test_done_in_slack_closes_the_issue_and_github_reopens_and_reassigns_the_ask(
    linked: tuple[BotServer, Conversation], github: FakeGitHub
) -> None:
    bot, conversation = linked
    assert bot.container is not None
    bot.container.review.complete(ask_id=1, actor=LEAD, is_lead=True)
    eventually(lambda: github.repos[REPO].issues[1]["state"] == "closed", "issue closed")
    # A person reopens it in GitHub: the ask is reopened in Slack, and that does not loop
    # back into GitHub (the bot's own change is not sent back).
    headers, body = github.reopen(REPO, 1, by="owen")
    assert deliver(bot.base_url, "/trackers/github", headers, body) == 200
    eventually(lambda: "Reopened in GitHub by owen: PLAT-1 is back in progress"
               in thread_texts(conversation), "the reopen said")  # fmt: skip
    assert bot.container.intake.get(1).ticket.status is Status.IN_PROGRESS
    assert bot.container.in_flight.wait_idle(10)
    state_changes = github.calls_to("PATCH", r"/repos/acme/platform/issues/1")
    assert len(state_changes) == 1, "closed once from Slack; the reopen came from GitHub"
    # Assigned in GitHub to lee: the ask's owner in Slack is Lee, found by e-mail.
    headers, body = github.assign(REPO, 1, "lee")
    assert deliver(bot.base_url, "/trackers/github", headers, body) == 200
    eventually(lambda: bot.container.intake.get(1).ticket.owner == LEAD, "owner Lee")  # type: ignore[union-attr]
    eventually(lambda: f"Assigned in GitHub by lee: <@{LEAD}> owns PLAT-1 now"
               in thread_texts(conversation), "the assignment said")  # fmt: skip


def test_a_milestone_done_in_slack_closes_its_sub_issue_and_undone_reopens_it(
    linked: tuple[BotServer, Conversation], github: FakeGitHub
) -> None:
    bot, _conversation = linked
    assert bot.container is not None
    first, second = sub_issues(github)[:2]
    owner = bot.container.intake.get(1).ticket.owner
    assert owner is not None
    update = bot.container.milestones.update_status  # what Owen's click in Slack runs
    update(ask_id=1, index=0, status=MilestoneStatus.DONE, actor=owner, is_lead=False)
    issues = github.repos[REPO].issues
    eventually(lambda: issues[first]["state"] == "closed", "sub-issue 1 closed")
    update(ask_id=1, index=1, status=MilestoneStatus.AT_RISK, actor=owner, is_lead=False,
           reason="quota")  # fmt: skip
    update(ask_id=1, index=0, status=MilestoneStatus.ON_TRACK, actor=owner, is_lead=False)
    eventually(lambda: issues[first]["state"] == "open", "sub-issue 1 reopened")
    assert bot.container.in_flight.wait_idle(10)
    assert issues[second]["state"] == "open", "at risk is still open work"
    closes = github.calls_to("PATCH", rf"/repos/acme/platform/issues/{first}")
    assert len(closes) == 2, "closed once, reopened once"
    # GitHub's own close comes back as the bot's change and is not sent to GitHub again.
    headers, body = github.close(REPO, second, by="owen")
    assert deliver(bot.base_url, "/trackers/github", headers, body) == 200
    eventually(lambda: bot.container.intake.get(1).ticket.milestones[1].status  # type: ignore[union-attr]
               is MilestoneStatus.DONE, "milestone 2 done")  # fmt: skip
    assert bot.container.in_flight.wait_idle(10)
    assert github.calls_to("PATCH", rf"/repos/acme/platform/issues/{second}") == []


def test_an_ask_the_bot_completes_closes_its_issue_too(
    linked: tuple[BotServer, Conversation], github: FakeGitHub
) -> None:
    """The bot's own changes (an ask completed when its requester never answered) are not
    the tracker's, and go to the tracker like a person's."""
    bot, _conversation = linked
    assert bot.container is not None
    bot.container.review.complete(ask_id=1, actor=BOT, is_lead=True)
    eventually(lambda: github.repos[REPO].issues[1]["state"] == "closed", "issue closed")


def test_a_milestone_the_requester_says_is_not_done_reopens_its_sub_issue(
    linked: tuple[BotServer, Conversation], github: FakeGitHub
) -> None:
    bot, _conversation = linked
    assert bot.container is not None
    ticket = bot.container.intake.get(1).ticket
    assert ticket.owner is not None
    for index in range(len(ticket.milestones)):
        bot.container.milestones.update_status(
            ask_id=1, index=index, status=MilestoneStatus.DONE, actor=ticket.owner, is_lead=False
        )
    first = sub_issues(github)[0]
    issues = github.repos[REPO].issues
    eventually(lambda: issues[first]["state"] == "closed", "sub-issue 1 closed")
    bot.container.milestones.not_done(1, ticket.requester, "backups never ran", milestone=0)
    eventually(lambda: issues[first]["state"] == "open", "sub-issue 1 reopened")


def test_a_sub_issue_that_cannot_be_closed_is_named_to_the_leads_not_its_parent(
    sqlite_url: str, tracked_bot: Callable[..., BotServer], slack: FakeSlack, github: FakeGitHub
) -> None:
    bot = tracked_bot(sqlite_url, github=github)
    assert bot.container is not None
    conversation, card = approve_on(bot, slack)
    eventually(
        lambda: any("Tracked in GitHub" in t for t in thread_texts(conversation)), "the GitHub link"
    )
    first = sub_issues(github)[0]
    del github.repos[REPO].issues[first]  # deleted in GitHub: closing it is refused (404)
    ticket = bot.container.intake.get(1).ticket
    assert ticket.owner is not None
    bot.container.milestones.update_status(
        ask_id=1, index=0, status=MilestoneStatus.DONE, actor=ticket.owner, is_lead=False
    )
    note = note_under_card(slack, card, "could not be closed")
    title = ticket.milestones[0].title
    assert note["text"].startswith(
        f":warning: Milestone 1 “{title}” of PLAT-1 could not be closed in GitHub (<"
    )
    assert f"|acme/platform#{first}>)" in note["text"]
    assert note["text"].endswith("Please close it there by hand.")
