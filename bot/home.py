"""Publishing a person's Home tab (views.publish) with what concerns them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk import WebClient

from bot.blocks.home import HomeData, home
from bot.leads import Leads
from bot.people import People
from intake.clock import local_today
from intake.review import waiting_since
from intake.service import IntakeService
from intake.ticket import MilestoneStatus, Status

DUE_SOON = timedelta(days=14)


@dataclass(eq=False)
class HomeTabs:
    service: IntakeService
    leads: Leads
    default_tz: str
    people: People | None = None  # whose time zone each tab is in (None: everyone's is the default)

    def publish(
        self, client: WebClient, team_id: str, user: str, focus: str | None = None, pages: int = 1
    ) -> None:
        now = self.service.clock.now()
        tz = self.people.timezone(client, team_id, user) if self.people else self.default_tz
        today = local_today(self.service.clock, tz)  # theirs: what is overdue where they are
        tickets = self.service.for_team(team_id).list()  # this workspace's asks only
        own = [t for t in tickets if t.requester == user]
        data = HomeData(mine=own, focus=focus, pages=pages, tz=tz)
        if self.leads.is_lead(client, user):
            waiting = [t for t in tickets if t.status in (Status.SUBMITTED, Status.NEEDS_INFO)]
            data.queue = sorted(waiting, key=lambda t: waiting_since(t) or now)
            data.counts = Counter(t.status.value for t in tickets)
        for ticket in tickets:
            if ticket.status not in (Status.ACCEPTED, Status.IN_PROGRESS):
                continue
            for milestone in ticket.milestones:
                mine = milestone.owner == user or (milestone.owner is None and ticket.owner == user)
                soon = milestone.due is not None and milestone.due <= today + DUE_SOON
                if mine and soon and milestone.status is not MilestoneStatus.DONE:
                    data.due.append((ticket, milestone))
        data.due.sort(key=lambda pair: pair[1].due or today)
        client.views_publish(user_id=user, view=home(data, now, today))
