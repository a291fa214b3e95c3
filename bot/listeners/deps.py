"""What listeners need, handed to each ``register(app, deps)``."""

from __future__ import annotations

from dataclasses import dataclass

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
