"""Jira (Cloud or Data Center) through the ``jira`` client: an ask is an issue, each milestone
a sub-task.

Idempotency: the issue carries the ask's key as a label (``intake-T123-42``), each sub-task
its own (``intake-T123-42.m1``). ``ensure_issue`` searches ``labels in (...)`` in the project
with JQL and creates only what is missing. A sub-task is created with its parent in one call,
so there is no unlinked window. Limit: Jira Cloud's JQL search (``/search/jql``) is eventually
consistent, so an issue created a second or two before a retry may not be found yet; the
queue's retry delay is much longer than that.

The client speaks REST API v2, whose ``description`` is wiki markup (``intake.tracker_render``);
on Cloud it searches with ``/rest/api/2/search/jql`` (the old ``/search`` is gone there), on
Data Center with ``/rest/api/2/search``. Its own retries are off (``max_retries=0``): a 429
becomes ``TrackerRateLimited`` with the ``Retry-After`` seconds, so nothing sleeps here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from intake.tracker import (
    EnsuredIssue,
    ItemState,
    TrackerIssue,
    TrackerKind,
    TrackerRateLimited,
    TrackerRef,
    TrackerRejected,
    TrackerState,
    TrackerUnavailable,
    split_key,
    sub_item_key,
)
from intake.tracker_render import wiki_body, wiki_sub_body
from trackers.config import JiraSettings

T = TypeVar("T")

_FIELDS = "summary,labels,status,assignee,parent"
_DEFAULT_RETRY_S = 30.0  # a 429 without Retry-After


def _retry_after(response: requests.Response | None) -> float:
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value else _DEFAULT_RETRY_S
    except ValueError:
        return _DEFAULT_RETRY_S


class JiraTracker:
    """The ``Tracker`` port on a Jira site."""

    kind = TrackerKind.JIRA

    def __init__(self, settings: JiraSettings) -> None:
        self._settings = settings
        self._client: JIRA | None = None
        self._making = threading.Lock()

    def __repr__(self) -> str:
        return f"JiraTracker({self._settings.url})"

    def _jira(self) -> JIRA:
        """The client, made on first use: it asks the server whether it is Cloud."""
        with self._making:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> JIRA:
        """Cloud: e-mail and API token (basic auth); Data Center: a personal access token."""
        token = self._settings.token.get_secret_value()
        auth: dict[str, Any] = (
            {"basic_auth": (self._settings.email, token)}
            if self._settings.email
            else {"token_auth": token}
        )
        return JIRA(
            server=self._settings.url,
            options={"check_update": False, "rest_api_version": "2"},  # no call to PyPI
            max_retries=0,
            timeout=self._settings.timeout_s,
            **auth,
        )

    def _call(self, what: str, call: Callable[[JIRA], T]) -> T:
        try:
            return call(self._jira())
        except JIRAError as error:
            status = error.status_code or 0
            if status == 429:
                raise TrackerRateLimited(_retry_after(error.response), f"({what})") from None
            if status >= 500 or status == 0:
                raise TrackerUnavailable(f"Jira answered {status} to {what}") from None
            reason = str(error.text or "")[:300]
            raise TrackerRejected(f"Jira answered {status} to {what}: {reason}") from None
        except requests.RequestException as error:
            raise TrackerUnavailable(f"Jira unreachable ({what}): {type(error).__name__}") from None

    @property
    def _cloud(self) -> bool:
        return bool(self._jira()._is_cloud)

    # -- creating ---------------------------------------------------------------------------

    def ensure_issue(self, project: str, issue: TrackerIssue, issue_key: str) -> EnsuredIssue:
        keys = [issue_key] + [sub_item_key(issue_key, s.suffix) for s in issue.sub_items]
        found = self._find(project, keys)
        users: dict[str, dict[str, str] | None] = {}
        parent = found.get(issue_key)
        created = parent is None
        if parent is None:
            fields = {
                "project": {"key": project},
                "issuetype": {"name": self._settings.issue_type},
                "summary": issue.title[:255],
                "description": wiki_body(issue),
                "labels": [*issue.labels, issue_key],
            }
            priority = self._settings.priorities.get(issue.priority or "")
            if priority:
                fields["priority"] = {"name": priority}
            _due(fields, issue.deadline)
            _assign(fields, self._user(project, issue.assignee_email, users))
            parent = self._create(fields)
        subs: dict[str, TrackerRef] = {}
        for sub in issue.sub_items:
            key = sub_item_key(issue_key, sub.suffix)
            item = found.get(key)
            if item is None:
                fields = {
                    "project": {"key": project},
                    "parent": {"key": parent["key"]},
                    "issuetype": {"name": self._settings.sub_task_type},
                    "summary": sub.title[:255],
                    "description": wiki_sub_body(issue, sub),
                    "labels": ["intake", "milestone", key],
                }
                _due(fields, sub.due)
                _assign(fields, self._user(project, sub.assignee_email, users))
                item = self._create(fields)
            subs[sub.suffix] = self._ref(project, item)
        return EnsuredIssue(self._ref(project, parent), subs, created=created)

    def _find(self, project: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        """Our issues among ``keys``, by key label; the oldest wins if a key is on two."""
        labels = ", ".join(f'"{k}"' for k in keys)
        jql = f'project = "{project}" AND labels in ({labels}) ORDER BY created ASC'
        found: dict[str, dict[str, Any]] = {}
        for item in self._search(jql):
            for label in item.get("fields", {}).get("labels", []):
                if label in keys:
                    found.setdefault(label, item)
        return found

    def _search(self, jql: str) -> list[dict[str, Any]]:
        def search(jira: JIRA) -> list[dict[str, Any]]:
            found = jira.search_issues(jql, fields=_FIELDS, maxResults=100)
            return [dict(item.raw) for item in found]

        return self._call("search issues", search)

    def _create(self, fields: dict[str, Any]) -> dict[str, Any]:
        issue = self._call("create issue", lambda j: j.create_issue(fields=fields, prefetch=False))
        return dict(issue.raw)

    def _user(
        self, project: str, email: str | None, seen: dict[str, dict[str, str] | None]
    ) -> dict[str, str] | None:
        """How Jira names the assignable user with ``email``: ``{"accountId": ...}`` on Cloud,
        ``{"name": ...}`` on Data Center; None when there is not exactly one."""
        if not email:
            return None
        email = email.strip().lower()
        if email not in seen:
            seen[email] = self._match(project, email)
        return seen[email]

    def _match(self, project: str, email: str) -> dict[str, str] | None:
        cloud = self._cloud

        def search(jira: JIRA) -> Any:
            if cloud:
                return jira.search_assignable_users_for_issues(
                    query=email, project=project, maxResults=2
                )
            return jira.search_assignable_users_for_issues(
                username=email, project=project, maxResults=2
            )

        users = self._call("find assignee", search)
        raws = [dict(u.raw) for u in users]
        if len(raws) != 1 or raws[0].get("emailAddress", email).lower() != email:
            return None
        if cloud:
            return {"accountId": str(raws[0]["accountId"])}
        return {"name": str(raws[0]["name"])}

    # -- reading and closing ----------------------------------------------------------------

    def fetch(self, ref: TrackerRef) -> TrackerState:
        issue = self._call("get issue", lambda j: dict(j.issue(ref.key, fields=_FIELDS).raw))
        subs = self._search(f'parent = "{ref.key}" ORDER BY created ASC')
        return TrackerState(
            issue=self._state(ref.project, issue),
            sub_items=tuple(self._state(ref.project, s) for s in subs),
        )

    def set_closed(self, ref: TrackerRef, closed: bool) -> None:
        """Run the first transition into a done status (or, to reopen, out of one)."""
        transitions = self._call("list transitions", lambda j: j.transitions(ref.key))
        chosen = next(
            (
                str(t["id"])
                for t in transitions
                if (t.get("to", {}).get("statusCategory", {}).get("key") == "done") == closed
            ),
            None,
        )
        if chosen is None:
            wanted = "close" if closed else "reopen"
            raise TrackerRejected(f"{ref.key} has no transition to {wanted} it")
        self._call("transition", lambda j: j.transition_issue(ref.key, chosen))

    def _ref(self, project: str, item: dict[str, Any]) -> TrackerRef:
        key = str(item["key"])
        return TrackerRef(
            kind=TrackerKind.JIRA,
            project=project,
            key=key,
            id=str(item["id"]),
            url=f"{self._settings.url}/browse/{key}",
        )

    def _state(self, project: str, item: dict[str, Any]) -> ItemState:
        fields = item.get("fields", {})
        assignee = fields.get("assignee") or {}
        category = (fields.get("status") or {}).get("statusCategory", {}).get("key")
        ours = [
            split_key(label) for label in fields.get("labels", []) if label.startswith("intake-")
        ]
        return ItemState(
            ref=self._ref(project, item),
            closed=category == "done",
            assignee=assignee.get("accountId") or assignee.get("name"),
            assignee_email=assignee.get("emailAddress"),
            suffix=next((suffix for _, suffix in ours if suffix), None),
        )


def _due(fields: dict[str, Any], day: date | None) -> None:
    if day is not None:
        fields["duedate"] = day.isoformat()


def _assign(fields: dict[str, Any], user: dict[str, str] | None) -> None:
    if user is not None:
        fields["assignee"] = user
