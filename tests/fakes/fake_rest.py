"""The plumbing of the fake GitHub and Jira servers now ships with the sandbox
(bot/sandbox/rest_server.py, which its local GitHub uses). This module keeps the tests' imports
working."""

from bot.sandbox.rest_server import Answer, Call, FakeRestServer, HttpError, Limit, first

__all__ = ["Answer", "Call", "FakeRestServer", "HttpError", "Limit", "first"]
