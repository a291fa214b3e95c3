"""The Bolt app factory. No module-level App: each call builds one from a Container."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot import errors, listeners
from bot.announcer import Announcer
from bot.bootstrap import Container
from bot.home import HomeTabs
from bot.leads import Leads
from bot.listeners.deps import Deps
from bot.people import People
from bot.replier import Replier

log = logging.getLogger(__name__)

SLACK_API = "https://slack.com/api/"


def make_client(container: Container) -> WebClient:
    settings = container.settings
    assert settings.slack_bot_token is not None
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url or SLACK_API,
        timeout=10,
        # Connection errors and 429s (honouring Retry-After) are retried a bounded number of
        # times; slack_sdk retries neither 429s nor anything else by default.
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(container: Container, *, socket_mode: bool = False) -> App:
    settings = container.settings
    settings.require_slack(socket_mode=socket_mode)
    client = make_client(container)
    signing_secret = settings.slack_signing_secret
    app = App(
        client=client,
        signing_secret=signing_secret.get_secret_value() if signing_secret else None,
        # Socket Mode has no HTTP requests to sign; HTTP mode always verifies signatures.
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt"),
    )
    leads = Leads(settings.intake_leads)
    homes = HomeTabs(container.intake, leads, settings.intake_timezone)
    announcer = Announcer(
        container.review,
        container.templates,
        container.clock,
        settings.intake_review_channel,
        homes.publish,
    )
    deps = Deps(
        service=container.intake,
        review=container.review,
        replier=Replier(container.intake, announcer),
        announcer=announcer,
        people=People(settings.intake_timezone),
        leads=leads,
        homes=homes,
        templates=container.templates,
    )
    errors.register(app)
    listeners.register(app, deps)
    return app
