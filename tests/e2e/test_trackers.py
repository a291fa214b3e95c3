"""Accepted asks land in GitHub and Jira, once, through the real Bolt app, the queue's runner
and the real tracker clients against fake GitHub and Jira servers on loopback (issue 19)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.tracker_sync import BATCH
from intake.milestones import MAX_MILESTONES
from intake.ticket import MilestoneStatus
from storage.db import make_engine, transaction
from storage.models import QueueItemRow
from tests.e2e.conftest import REPO, BotServer
from tests.e2e.helpers import eventually
from tests.e2e.tracker_harness import approve_on, approve_plan, links, thread_texts
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira
from tests.fakes.slack_api import FakeSlack


def test_an_approved_ask_becomes_one_github_issue_with_a_sub_issue_per_milestone(
    database_url: str, tracked_bot: Callable[..., BotServer], slack: FakeSlack, github: FakeGitHub
) -> None:
    bot = tracked_bot(database_url, github=github)
    conversation, _card = approve_on(bot, slack)
    assert bot.container is not None
    ticket = bot.container.intake.get(1).ticket
    assert ticket.milestones, "the draft's plan has milestones"
    linked = eventually(
        lambda: (found := links(database_url)) and found.issue.ref and found, "the issue"
    )
    issues = github.issues(REPO)
    parents = [i for i in issues if i["id"] not in github.parents]
    assert len(parents) == 1, [i["title"] for i in issues]
    parent = parents[0]
    subs = [i for i in issues if github.parents.get(i["id"]) == parent["id"]]
    assert [s["title"] for s in subs] == [f"PLAT-1 · {m.title}" for m in ticket.milestones]
    assert parent["title"] == ticket.title
    assert any(a["login"] == "owen" for a in parent["assignees"]), "the owner, by e-mail"
    url = parent["html_url"]
    eventually(lambda: any(url in t for t in thread_texts(conversation)), "the link")
    # Said once in the thread, and shown on the ask's summary there ("Submitted as ...").
    said = [t for t in thread_texts(conversation) if url in t]
    assert f"Tracked in GitHub: <{url}|{REPO}#1>" in said
    assert len(said) == 2 and any(t.startswith(":inbox_tray: Submitted as") for t in said)
    assert bot.container.intake.get(1).ticket.tracker is not None
    assert bot.container.intake.get(1).ticket.tracker.label == f"{REPO}#1"
    assert linked.issue.issue_key.startswith("intake-")
    assert all(s.ref is not None for s in linked.subs)
    # A later change of the ask (the owner starts a milestone) ensures again: nothing new.
    creates = len(github.calls_to("POST", r"/repos/acme/platform/issues"))
    bot.container.milestones.update_status(
        ask_id=1, index=0, status=MilestoneStatus.ON_TRACK, actor="U0OWEN", is_lead=False
    )
    assert bot.container.in_flight.wait_idle(10)
    eventually(lambda: _idle(database_url), "the queue to drain")
    assert len(github.calls_to("POST", r"/repos/acme/platform/issues")) == creates
    assert [t for t in thread_texts(conversation) if url in t] == said, "linked once"


def test_an_ask_routed_to_jira_becomes_an_issue_with_sub_tasks(
    database_url: str,
    tracked_bot: Callable[..., BotServer],
    slack: FakeSlack,
    github: FakeGitHub,
    jira: FakeJira,
) -> None:
    routes = [
        {"tracker": "github", "project": REPO},
        {"type": "database", "tracker": "jira", "project": "DBA"},
    ]
    bot = tracked_bot(database_url, github=github, jira=jira, routes=routes)
    conversation, _card = approve_on(bot, slack)
    assert bot.container is not None
    ticket = bot.container.intake.get(1).ticket
    eventually(lambda: (found := links(database_url)) and found.issue.ref, "the issue")
    parent = next(i for i in jira.issues.values() if not i["fields"].get("parent"))
    subs = [i for i in jira.issues.values() if i["fields"].get("parent")]
    assert len(jira.issues) == 1 + len(ticket.milestones) == 1 + len(subs)
    assert {s["fields"]["parent"]["key"] for s in subs} == {parent["key"]}
    assert github.issues(REPO) == [], "database asks go to Jira"
    url = f"{jira.url}/browse/{parent['key']}"
    eventually(lambda: any(url in t for t in thread_texts(conversation)), "the link")
    assert bot.container.intake.get(1).ticket.tracker.label == parent["key"]  # type: ignore[union-attr]


def _idle(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            rows = session.scalars(select(QueueItemRow)).all()
            return all(r.done_at is not None or r.gave_up_at is not None for r in rows)
    finally:
        engine.dispose()


def test_a_long_plan_is_created_a_few_sub_issues_per_attempt_inside_the_lease(
    sqlite_url: str, tracked_bot: Callable[..., BotServer], github: FakeGitHub
) -> None:
    bot = tracked_bot(sqlite_url, github=github)
    assert bot.container is not None
    plan = [f"Step {n}" for n in range(1, MAX_MILESTONES + 1)]
    container = bot.container
    approve_plan(container, plan)
    clock = bot.clock

    def recorded() -> Any:
        # Each next batch is due 5 s after the one before. The clock moves only while no
        # attempt runs: moving it under a slow attempt would end its 2-minute lease, and a
        # second runner thread would then do the same batch at the same time.
        if container.in_flight.count == 0:
            clock.advance(seconds=5)
        return (f := links(sqlite_url)) and f.subs and all(s.ref for s in f.subs) and f

    found = eventually(recorded, "every sub-issue recorded")
    assert [s.suffix for s in found.subs] == [f"m{n}" for n in range(1, len(plan) + 1)]
    subs = [i for i in github.issues(REPO) if i["id"] in github.parents]
    assert sorted(i["title"] for i in subs) == sorted(f"PLAT-1 · {t}" for t in plan)
    assert len(github.issues(REPO)) == 1 + len(plan)
    assert container.in_flight.wait_idle(10)
    with transaction(container.db_engine) as session:
        items = session.scalars(select(QueueItemRow).where(QueueItemRow.kind == "tracker")).all()
        attempts = sorted(i.attempts for i in items)
        assert all(i.done_at is not None for i in items)
    # The submit's and the approval's events: one of them created everything, in one attempt
    # per batch of sub-issues (whichever ran once the ask was accepted); the other had nothing
    # to do.
    assert attempts == [1, -(-len(plan) // BATCH)]
