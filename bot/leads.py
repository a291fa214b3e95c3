"""Who the platform leads are: INTAKE_LEADS user IDs, plus the members of its user groups
(usergroups.users.list), cached for a few minutes so clicks stay fast."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class Leads:
    def __init__(self, ids: list[str], ttl_seconds: float = 300) -> None:
        self.users = frozenset(i for i in ids if i.startswith(("U", "W")))
        self.groups = tuple(i for i in ids if i.startswith("S"))
        self.ttl = ttl_seconds
        self._members: dict[str, tuple[frozenset[str], float]] = {}
        self._lock = threading.Lock()

    def is_lead(self, client: WebClient, user: str) -> bool:
        if user in self.users:
            return True
        return any(user in self._group(client, group) for group in self.groups)

    def all(self, client: WebClient) -> frozenset[str]:
        """Every lead, group members included (for refreshing their Home tabs)."""
        members = set(self.users)
        for group in self.groups:
            members |= self._group(client, group)
        return frozenset(members)

    def _group(self, client: WebClient, group: str) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            cached = self._members.get(group)
        if cached and now - cached[1] < self.ttl:
            return cached[0]
        try:
            users = frozenset(client.usergroups_users_list(usergroup=group)["users"])
        except SlackApiError as exc:
            log.warning("could not list user group %s: %s", group, exc.response.get("error"))
            return cached[0] if cached else frozenset()  # keep the last known members
        with self._lock:
            self._members[group] = (users, now)
        return users
