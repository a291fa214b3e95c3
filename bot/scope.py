"""One request's scope, built once by a Bolt middleware: the workspace it comes from, the person
who sent it and their roles, and the use cases as that workspace may run them.

Listeners read everything from ``scope_of(context)``; none of them is handed the app-wide
services, so a listener cannot forget to scope: ``scope.service``, ``scope.review`` and
``scope.milestones`` see only the request's workspace's asks (``intake.scoping``: an ask ID
from another workspace is "not found"), whatever ID a button or form carries. The other tools
(replier, announcer, Home tabs...) take the workspace or the ask they act on explicitly.
Requests from no workspace never get here: ``bot.request_shape`` refuses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypedDict

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.announcer import Announcer
from bot.commands import Later
from bot.followthrough import FollowThrough
from bot.home import HomeTabs
from bot.leads import Leads
from bot.people import People
from bot.replier import Replier
from intake.milestone_service import MilestoneService
from intake.review import ReviewService
from intake.service import IntakeService
from intake.templates.model import TemplateSet

SCOPE_KEY = "scope"


@dataclass(frozen=True)
class Deps:
    """The app-wide services, as ``bot.app`` builds them: only the scope middleware sees them."""

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
    later: Later


class Actor(TypedDict):
    actor: str
    is_lead: bool


@dataclass(frozen=True)
class Scope:
    """What one request may touch: its workspace's asks, as its actor."""

    team_id: str
    user: str
    service: IntakeService
    review: ReviewService
    milestones: MilestoneService
    replier: Replier
    announcer: Announcer
    people: People
    homes: HomeTabs
    templates: TemplateSet
    followthrough: FollowThrough
    later: Later  # runs a listener's command after its ack (bot.commands)
    # The role check, asked only when a listener needs it (a user group costs a Slack call).
    lead_check: Callable[[], bool] = field(repr=False, default=lambda: False)

    @cached_property
    def is_lead(self) -> bool:
        """Whether the actor is a platform lead (INTAKE_LEADS, ``bot.leads``)."""
        return self.lead_check()

    @property
    def actor(self) -> Actor:
        """Who acts and whether they lead: the two arguments every permission-checked use case
        takes (``scope.review.start(ask_id=7, **scope.actor)``)."""
        return Actor(actor=self.user, is_lead=self.is_lead)


def scope_for(deps: Deps, team_id: str, user: str, client: WebClient) -> Scope:
    """The scope of a request from ``user`` in ``team_id``."""
    return Scope(
        team_id=team_id,
        user=user,
        service=deps.service.for_team(team_id),
        review=deps.review.for_team(team_id),
        milestones=deps.milestones.for_team(team_id),
        replier=deps.replier,
        announcer=deps.announcer,
        people=deps.people,
        homes=deps.homes,
        templates=deps.templates,
        followthrough=deps.followthrough,
        later=deps.later,
        lead_check=lambda: deps.leads.is_lead(client, user),
    )


def install(app: App, deps: Deps) -> None:
    """Build every request's scope once, before its listener runs (a worker builds the scope
    of a deferred command with ``scope_for``)."""

    def scoped(context: BoltContext, next: Callable[[], None]) -> None:
        # "" when Slack says none: nothing matches it (request_shape refuses such requests).
        context[SCOPE_KEY] = scope_for(
            deps, context.team_id or "", context.user_id or "", context.client
        )
        next()

    app.use(scoped)


def scope_of(context: BoltContext) -> Scope:
    """The request's scope, as the middleware built it."""
    scope = context.get(SCOPE_KEY)
    if not isinstance(scope, Scope):
        raise LookupError("no scope: bot.scope.install was not run for this app")
    return scope
