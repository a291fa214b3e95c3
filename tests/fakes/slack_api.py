"""The fake Slack Web API now lives in the project: bot/sandbox/slack_api.py (the same emulation
serves `intake-bot sandbox`). This module keeps the tests' imports working."""

from bot.sandbox.slack_api import (
    MODAL_STACK_MAX,
    RESPONSE_URL_MAX_POSTS,
    RESPONSE_URL_TTL_SECONDS,
    TRIGGER_TTL_SECONDS,
    ApiCall,
    FakeSlack,
    ResponsePost,
    SlackError,
)

__all__ = [
    "MODAL_STACK_MAX",
    "RESPONSE_URL_MAX_POSTS",
    "RESPONSE_URL_TTL_SECONDS",
    "TRIGGER_TTL_SECONDS",
    "ApiCall",
    "FakeSlack",
    "ResponsePost",
    "SlackError",
]
