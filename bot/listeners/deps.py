"""What listeners need, handed to each ``register(app, deps)``."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import BoltContext

from bot.announcer import Announcer
from bot.followthrough import FollowThrough
from bot.home import HomeTabs
from bot.leads import Leads
from bot.people import People
from bot.replier import Replier
from intake.milestone_service import MilestoneService
from intake.review import ReviewService
from intake.service import IntakeService
from intake.templates.model import TemplateSet


@dataclass(frozen=True)
class Deps:
    service: IntakeService
    review: ReviewService
    replier: Replier
    announcer: Announcer
    people: People
    leads: Leads
    homes: HomeTabs
    templates: TemplateSet
    milestones: MilestoneService
    followthrough: FollowThrough
    # Multi-workspace install: each request may touch only its own workspace's asks.
    per_team: bool = False

    # The use cases as a request runs them. With one workspace (token mode) these are the
    # services themselves, as they always were; in the multi-workspace install they see only
    # the asks of the request's workspace, so an ask ID from another one is "not found".

    def service_in(self, context: BoltContext) -> IntakeService:
        return self.service.for_team(team_of(context))

    def review_in(self, context: BoltContext) -> ReviewService:
        return self.review.for_team(team_of(context))

    def milestones_in(self, context: BoltContext) -> MilestoneService:
        return self.milestones.for_team(team_of(context))


def team_of(context: BoltContext) -> str:
    """The workspace a request comes from ("" when Slack says none: nothing matches it)."""
    return context.team_id or ""
