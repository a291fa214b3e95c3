"""What the tracker tests share besides their fixtures (the fake GitHub and Jira servers and
the ``tracked_bot`` pointed at them live in tests/e2e/conftest.py): an ask taken through
approval in Slack, its tracker links, and webhook deliveries posted to the bot."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from bot.bootstrap import Container
from intake.conversation import Source, Thread
from intake.ticket import Milestone
from storage import tracker_links
from storage.db import make_engine
from storage.tracker_links import Links
from tests.e2e.conftest import LEAD, OWNER, REQUESTER, SIGNING_SECRET, BotServer
from tests.e2e.helpers import Conversation, approve, submit_ready_ask, text_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def approve_on(bot: BotServer, slack: FakeSlack) -> tuple[Conversation, dict[str, Any]]:
    """``approve_ask`` through the Slack endpoint of ``bot``."""
    return approve_ask(SlackDriver(bot.events_url, SIGNING_SECRET, slack), slack)


def approve_ask(driver: SlackDriver, slack: FakeSlack) -> tuple[Conversation, dict[str, Any]]:
    """A database ask submitted by the requester and approved by the lead with Owen as owner
    (the draft's milestone plan kept); its thread and review card."""
    conversation, card = submit_ready_ask(driver, slack, REQUESTER)
    approve(driver, slack, card)
    slack.wait_idle(timeout=10)
    return conversation, card


def approve_plan(container: Container, plan: Sequence[str]) -> None:
    """Ask 1, a database ask the requester starts in a DM and submits as it is, approved by
    the lead with Owen as owner and ``plan`` as its milestones, straight through the services."""
    started = container.intake.start(
        team_id="T0001", requester=REQUESTER, text="we need a postgres db for billing",
        source=Source.DM, tz="UTC", thread=Thread("D0ALICE", "1796634000.000100"),
    )  # fmt: skip
    assert started is not None and started.ticket.id == 1
    container.intake.submit(ask_id=1, user=REQUESTER, force=True)
    container.review.approve(
        ask_id=1, actor=LEAD, is_lead=True, owner=OWNER, priority=None, size=None,
        milestones=[Milestone(title) for title in plan],
    )  # fmt: skip


def links(database_url: str, ask_id: int = 1) -> Links | None:
    engine = make_engine(database_url)
    try:
        return tracker_links.read_links(engine, ask_id)
    finally:
        engine.dispose()


def deliver(base_url: str, path: str, headers: dict[str, str], body: bytes) -> int:
    """POST a webhook delivery to the bot; the HTTP status it answered."""
    request = urllib.request.Request(base_url + path, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def thread_texts(conversation: Conversation) -> list[str]:
    """What the bot said in the requester's thread, oldest first."""
    return [text_of(m) for m in conversation.bot_messages]
