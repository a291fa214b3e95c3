"""Who people are, as far as the bot needs: their time zone (users.info), cached."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class People:
    def __init__(self, default_tz: str, ttl_seconds: float = 6 * 3600) -> None:
        self.default_tz = default_tz
        self.ttl = ttl_seconds
        self._tz: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def timezone(self, client: WebClient, user_id: str) -> str:
        """The person's IANA time zone from their Slack profile; the configured default when
        Slack does not say or cannot be reached."""
        now = time.monotonic()
        with self._lock:
            cached = self._tz.get(user_id)
        if cached and now - cached[1] < self.ttl:
            return cached[0]
        try:
            tz = client.users_info(user=user_id)["user"].get("tz") or self.default_tz
        except SlackApiError as exc:
            log.info(
                "users.info for %s failed (%s); using %s",
                user_id,
                exc.response.get("error"),
                self.default_tz,
            )
            return self.default_tz
        with self._lock:
            self._tz[user_id] = (tz, now)
        return tz
