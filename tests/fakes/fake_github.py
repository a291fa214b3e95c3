"""The fake GitHub now ships with the sandbox (bot/sandbox/github_api.py: the local GitHub the
sandboxed bot files its asks into). This module keeps the tests' imports working."""

from bot.sandbox.github_api import STAMP, FakeGitHub, Repo, User

__all__ = ["STAMP", "FakeGitHub", "Repo", "User"]
