"""People's time zones (users.info), cached in the database so every replica and the weekly
jobs share one answer; refreshed once a week."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from storage import people
from storage.db import transaction

log = logging.getLogger(__name__)

TZ_FRESH = timedelta(days=7)  # how long a time zone from users.info is trusted


class People:
    def __init__(self, engine: Engine, default_tz: str) -> None:
        self.engine = engine
        self.default_tz = default_tz

    def timezone(self, client: WebClient | None, team_id: str, user: str) -> str:
        """The person's IANA time zone from their Slack profile; the configured default when
        Slack does not say or cannot be reached (that fallback is not remembered, so the next
        call asks Slack again). Without a client, only what is cached."""
        now = datetime.now(UTC)
        with transaction(self.engine) as session:
            person = people.get_person(session, team_id, user)
        fresh = (
            person and person.tz and person.tz_fetched_at and now - person.tz_fetched_at < TZ_FRESH
        )
        if person and person.tz and (fresh or client is None):
            return person.tz
        if client is None:
            return self.default_tz
        try:
            tz = client.users_info(user=user)["user"].get("tz")
        except SlackApiError as exc:
            log.info(
                "users.info for %s failed (%s); using %s",
                user,
                exc.response.get("error"),
                self.default_tz,
            )
            return person.tz if person and person.tz else self.default_tz
        if not tz:
            return self.default_tz
        with transaction(self.engine) as session:
            person = people.get_person(session, team_id, user) or people.Person(team_id, user)
            person.tz, person.tz_fetched_at = tz, now
            people.save_person(session, person, now)
        return str(tz)
