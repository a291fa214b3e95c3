"""The signed Slack-request driver now lives in the project: bot/sandbox/requests.py (the
sandbox's page sends every interaction through it). This module keeps the tests' imports
working."""

from bot.sandbox.requests import ACK_TIMEOUT_SECONDS, DriverResponse, SlackDriver

__all__ = ["ACK_TIMEOUT_SECONDS", "DriverResponse", "SlackDriver"]
