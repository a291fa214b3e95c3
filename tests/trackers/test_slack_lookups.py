"""Back-sync and issue creation find people in Slack (users.info, users.lookupByEmail): a
lookup Slack refuses for want of a scope says so in the log; a person Slack does not have
does not."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.tracker_back import user_by_email
from bot.tracker_sync import profile_of


class Refusing(WebClient):
    """Every user lookup fails with Slack's ``error``."""

    def __init__(self, error: str) -> None:
        super().__init__(token="xoxb-test")
        self.error = error

    def _refuse(self) -> Any:
        answer = {"ok": False, "error": self.error}
        raise SlackApiError(f"Slack said {self.error}", answer)  # type: ignore[no-untyped-call]

    def users_info(self, **_kwargs: Any) -> Any:
        return self._refuse()

    def users_lookupByEmail(self, **_kwargs: Any) -> Any:
        return self._refuse()


def test_a_missing_scope_is_logged_with_what_to_do(caplog: pytest.LogCaptureFixture) -> None:
    client = Refusing("missing_scope")
    with caplog.at_level(logging.WARNING):
        assert profile_of(client, "U0OWEN") == (None, "U0OWEN")
        assert user_by_email(client, "owen@acme.test") is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all("missing_scope" in w and "users:read.email" in w for w in warnings)
    assert "reinstall the app" in warnings[0]


@pytest.mark.parametrize("error", ["user_not_found", "users_not_found"])
def test_a_person_slack_does_not_have_is_not_a_warning(
    error: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Refusing(error)
    with caplog.at_level(logging.WARNING):
        assert profile_of(client, "U0GONE") == (None, "U0GONE")
        assert user_by_email(client, "gone@acme.test") is None
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
