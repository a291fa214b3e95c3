"""Exactly once when a worker dies at the worst moment: a real `intake-bot worker` process
has GitHub create the issue (and a sub-issue), and is killed with SIGKILL before it records
what GitHub answered. The next runner, once the lease ran out, finds both by their keys:
one issue, one sub-issue per milestone, one link in the requester's thread (issue 19)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bot.bootstrap import build
from bot.oauth import OneWorkspace
from bot.queue_kinds import queue_kinds
from bot.runner import Runner
from bot.settings import load_settings
from intake.conversation import Thread
from storage.queue import LEASE
from tests.e2e.conftest import BOT_TOKEN, LEAD, OWNER, REPO, REQUESTER, MovableClock, tracker_file
from tests.e2e.helpers import eventually
from tests.e2e.processes import INTAKE_BOT, clean_env
from tests.e2e.tracker_harness import approve_plan, links
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_rest import Answer, Call
from tests.fakes.slack_api import FakeSlack

PLAN = ("Provision staging", "Provision prod", "Nightly backups")
THREAD = Thread("D0ALICE", "1796634000.000100")


class HoldAfterCreates:
    """GitHub answers the first ``creates`` issue creations, then holds every later call
    until ``release()``: the worker waits there, the issues exist, nothing is recorded."""

    def __init__(self, fake: FakeGitHub, creates: int) -> None:
        self.creates = creates
        self.created = 0
        self.reached = threading.Event()
        self.released = threading.Event()
        answer = fake._answer

        def held(call: Call, headers: dict[str, str]) -> Answer:
            if self.created >= self.creates and not self.released.is_set():
                self.reached.set()
                self.released.wait(60)
                return Answer(502, {"message": "the caller is gone"})
            given = answer(call, headers)
            if call.method == "POST" and call.path.endswith("/issues") and given.status == 201:
                self.created += 1
            return given

        fake._answer = held  # type: ignore[method-assign]

    def release(self) -> None:
        self.released.set()


def test_a_worker_killed_after_github_created_the_issue_leaves_no_duplicate(
    database_url: str,
    fake_slack: FakeSlack,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    for person in (REQUESTER, LEAD, OWNER):
        fake_slack.add_user(person, person.lower()[2:], tz="UTC")
    config = tracker_file(tmp_path, github=github, routes=[{"tracker": "github", "project": REPO}])
    slack_settings: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_api_url": fake_slack.api_url,
        "intake_trackers_file": str(config),
    }
    settings = load_settings(database_url=database_url, _env_file=None, **slack_settings)
    container = build(settings, migrate=True)
    approve_plan(container, PLAN)
    container.db_engine.dispose()  # the approval queued the tracker's item; nobody ran it

    hold = HoldAfterCreates(github, creates=2)  # the issue and the first sub-issue
    env = clean_env(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake_slack.api_url,
        INTAKE_TRACKERS_FILE=str(config),
    )
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([INTAKE_BOT, "worker"], env=env, stdout=log, stderr=log)
    try:
        assert hold.reached.wait(60), (tmp_path / "worker.log").read_text()[-3000:]
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
        hold.release()
        log.close()
    created = github.issues(REPO)
    assert len(created) == 2, "GitHub has the issue and a sub-issue"
    found = links(database_url)
    assert found is not None and found.issue.issue_key == "intake-T0001-1"
    assert found.issue.ref is None, "the key was stored, the answer was not"

    # Another runner takes the item once its lease ran out: handed out in doubt.
    later = MovableClock(datetime.now(UTC) + LEASE + timedelta(seconds=5))
    container = build(settings, clock=later, migrate=False)
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    kinds = queue_kinds(container, OneWorkspace(client))
    runner = Runner(container.db_engine, later, kinds, poll_s=0.1, in_flight=container.in_flight)
    runner.start()
    try:
        eventually(lambda: posted_links(fake_slack), "the link posted", timeout=30)
        assert container.in_flight.wait_idle(10)
    finally:
        runner.stop(time.monotonic() + 5)
        container.db_engine.dispose()
    done = links(database_url)
    assert done is not None and done.issue.ref is not None
    assert all(sub.ref is not None for sub in done.subs)
    issues = github.issues(REPO)
    parents = [i for i in issues if i["id"] not in github.parents]
    assert len(parents) == 1, [i["title"] for i in issues]
    assert sorted(i["title"] for i in issues if i["id"] in github.parents) == sorted(
        f"PLAT-1 · {title}" for title in PLAN
    )
    assert len(issues) == 1 + len(PLAN), "no duplicate of the issue or of a sub-issue"
    assert done.issue.ref.key == str(parents[0]["number"])
    assert len(posted_links(fake_slack)) == 1


def posted_links(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in slack.messages(THREAD.channel) if "Tracked in GitHub" in m.get("text", "")]
