"""Home tabs published together after a change (``HomeTabs.publish_many``): each person's tab,
with what every tab shows alike (the workspace's open asks, a lead's queue and counts) read
once for all of them, not once a tab."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Engine

from bot.home import HomeTabs
from bot.leads import Leads
from intake.clock import FixedClock
from intake.service import IntakeService
from intake.ticket import Ticket

REQUESTER, OWNER, LEAD, OTHER_LEAD = "U0ALICE", "U0OWEN", "U0LEE", "U0LIN"


class Asks:
    """One workspace's asks (none), counting what is read."""

    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        self.reads: list[str] = []

    def for_team(self, _team_id: str) -> Asks:
        return self

    def list(self, **filters: Any) -> list[Ticket]:
        statuses = filters.get("statuses")
        self.reads.append(",".join(s.value for s in statuses) if statuses else "own")
        return []


class Client:
    def __init__(self) -> None:
        self.published: list[str] = []

    def views_publish(self, *, user_id: str, view: dict[str, Any]) -> None:
        self.published.append(user_id)


def test_tabs_published_together_read_the_shared_asks_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asks, client = Asks(), Client()
    homes = HomeTabs(
        cast(IntakeService, asks), Leads([LEAD, OTHER_LEAD]), "UTC", cast(Engine, None)
    )
    counted: list[str | None] = []

    def counts(_team_id: str, requester: str | None = None) -> dict[str, int]:
        counted.append(requester)
        return {}

    monkeypatch.setattr(homes, "_counts", counts)
    homes.publish_many(cast(Any, client), "T1", [LEAD, OTHER_LEAD, OWNER, REQUESTER])
    assert client.published == [LEAD, OTHER_LEAD, OWNER, REQUESTER]
    assert asks.reads.count("own") == 4, "each person's own asks"
    assert asks.reads.count("accepted,in_progress") == 1
    assert asks.reads.count("submitted,needs_info") == 1
    assert counted == [None], "the counts by status, for both leads"
