"""Publishing a person's Home tab (views.publish) with what concerns them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.home import MAX_FOCUSED, HomeData, home
from bot.leads import Leads
from bot.people import People
from intake.clock import local_today
from intake.review import waiting_since
from intake.service import IntakeService
from intake.ticket import MilestoneStatus, Status, Ticket
from storage import ask_counts

DUE_SOON = timedelta(days=14)


@dataclass(eq=False)
class HomeTabs:
    """Each tab loads only what it shows, not every ask of the workspace: the person's newest
    asks (as many as the tab can show), the open asks (for their milestones due soon) and, for
    a lead, the review queue; counts (by status, and of the person's asks when they have more)
    are one ``GROUP BY`` on ``db_engine``. Tabs published together (``publish_many``) read the
    open asks, the queue and the counts once for all of them."""

    service: IntakeService
    leads: Leads
    default_tz: str
    db_engine: Engine
    people: People | None = None  # whose time zone each tab is in (None: everyone's is the default)

    def publish(
        self, client: WebClient, team_id: str, user: str, focus: str | None = None, pages: int = 1
    ) -> None:
        self.publish_many(client, team_id, [user], focus, pages)

    def publish_many(
        self,
        client: WebClient,
        team_id: str,
        users: Iterable[str],
        focus: str | None = None,
        pages: int = 1,
    ) -> None:
        """The tabs of ``users`` (one after the other), with what every tab reads alike loaded
        once for all of them: the workspace's open asks and, when one of them is a lead, the
        review queue and the counts by status."""
        asks = self.service.for_team(team_id)  # this workspace's asks only
        shared = _Shared(asks, lambda: self._counts(team_id))
        for user in users:
            self._publish(client, team_id, user, focus, pages, asks, shared)

    def _publish(
        self,
        client: WebClient,
        team_id: str,
        user: str,
        focus: str | None,
        pages: int,
        asks: IntakeService,
        shared: _Shared,
    ) -> None:
        now = self.service.clock.now()
        tz = self.people.timezone(client, team_id, user) if self.people else self.default_tz
        today = local_today(self.service.clock, tz)  # theirs: what is overdue where they are
        own = asks.list(requester=user, limit=MAX_FOCUSED)  # the most the tab shows
        data = HomeData(mine=own, focus=focus, pages=pages, tz=tz)
        if len(own) == MAX_FOCUSED:  # "Show more" says how many more there are
            data.mine_total = sum(self._counts(team_id, user).values())
        if self.leads.is_lead(client, user):
            data.queue = sorted(shared.waiting(), key=lambda t: waiting_since(t) or now)
            data.counts = Counter(shared.counts())
        for ticket in shared.open():
            for milestone in ticket.milestones:
                mine = milestone.owner == user or (milestone.owner is None and ticket.owner == user)
                soon = milestone.due is not None and milestone.due <= today + DUE_SOON
                if mine and soon and milestone.status is not MilestoneStatus.DONE:
                    data.due.append((ticket, milestone))
        data.due.sort(key=lambda pair: pair[1].due or today)
        client.views_publish(user_id=user, view=home(data, now, today))

    def _counts(self, team_id: str, requester: str | None = None) -> dict[str, int]:
        with self.db_engine.connect() as connection:
            return ask_counts.by_status(connection, team_id, requester)


class _Shared:
    """What several tabs of one workspace show alike, each read when a tab first needs it."""

    def __init__(self, asks: IntakeService, counts: Callable[[], dict[str, int]]) -> None:
        self._asks = asks
        self._read_counts = counts
        self._open: list[Ticket] | None = None
        self._waiting: list[Ticket] | None = None
        self._counts: dict[str, int] | None = None

    def open(self) -> list[Ticket]:
        """The accepted and in-progress asks (for everyone's milestones due soon)."""
        if self._open is None:
            self._open = self._asks.list(statuses=[Status.ACCEPTED, Status.IN_PROGRESS])
        return self._open

    def waiting(self) -> list[Ticket]:
        """The review queue (for the leads' tabs)."""
        if self._waiting is None:
            self._waiting = self._asks.list(statuses=[Status.SUBMITTED, Status.NEEDS_INFO])
        return self._waiting

    def counts(self) -> dict[str, int]:
        """The workspace's asks by status (for the leads' tabs)."""
        if self._counts is None:
            self._counts = self._read_counts()
        return self._counts
