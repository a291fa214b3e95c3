"""The Home tab as each kind of person sees it, within Slack's limits."""

from __future__ import annotations

import json
from typing import Any

from intake.conversation import Source, Thread
from tests.e2e.conftest import LEAD, OTHER, OWNER, REQUESTER, BotServer, MovableClock
from tests.e2e.helpers import approve, submit_ready_ask, text_of, wait_for_bot
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def open_home(driver: SlackDriver, slack: FakeSlack, user: str) -> dict[str, Any]:
    before = len(slack.calls)
    driver.app_home_opened(user)
    wait_for_bot(slack, before)
    view = slack.home(user)
    assert view is not None
    return view


def test_each_role_sees_what_concerns_them(
    driver: SlackDriver, slack: FakeSlack, clock: MovableClock
) -> None:
    _, first = submit_ready_ask(driver, slack, REQUESTER)
    clock.advance(hours=3)
    submit_ready_ask(driver, slack, OTHER)
    clock.advance(hours=1)

    lead_home = text_of(open_home(driver, slack, LEAD))
    assert "Review queue* — 2 waiting, oldest 4 hours" in lead_home
    assert lead_home.index("PLAT-1") < lead_home.index("PLAT-2"), "oldest first"
    assert ":inbox_tray: submitted 2" in lead_home

    approve(driver, slack, first)
    requester_home = text_of(slack.home(REQUESTER) or {})
    assert "Your asks" in requester_home and ":white_check_mark: accepted" in requester_home
    assert "next: " in requester_home, "the next milestone of accepted work"
    assert "Review queue" not in requester_home

    owner_home = text_of(open_home(driver, slack, OWNER))
    assert "Your milestones due soon" in owner_home and "PLAT-1" in owner_home
    assert "Review queue" not in owner_home


def test_many_asks_page_with_show_more_within_limits(
    driver: SlackDriver, slack: FakeSlack, bot: BotServer
) -> None:
    assert bot.container is not None
    service = bot.container.intake
    for n in range(70):
        outcome = service.start(
            team_id="T0001",
            requester=REQUESTER,
            text=f"we need a postgres db for service-{n} asap",
            source=Source.DM,
            tz="UTC",
            thread=Thread("DU0ALICE", f"1700000000.{n:06d}"),
        )
        assert outcome is not None
        service.submit(ask_id=outcome.ticket.id or 0, user=REQUESTER, force=True)
    home = open_home(driver, slack, LEAD)
    assert len(home["blocks"]) <= 100
    assert "Review queue* — 70 waiting" in text_of(home)
    before = len(slack.calls)
    driver.click(LEAD, home, "home_more:queue")
    wait_for_bot(slack, before)
    more = slack.home(LEAD) or {}
    assert len(more["blocks"]) <= 100
    assert text_of(more).count("from <@U0ALICE>") == 30, "a second page of the queue"
    own = open_home(driver, slack, REQUESTER)
    assert "Show more (55 more)" in json.dumps(own), "every one of her 70 asks is counted"
    assert slack.violations == []
