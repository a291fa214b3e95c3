"""A fake Jira Cloud REST API (v2) on 127.0.0.1: the parts the tracker adapter uses, with the
shapes of Atlassian's REST v2 reference:

* ``GET /rest/api/2/serverInfo`` (``deploymentType: Cloud``) and ``GET /rest/api/2/field``;
* ``POST /rest/api/2/issue`` (issues and sub-tasks: project, issue type, parent, labels without
  spaces, priority, assignee by ``accountId``, due date; 400 with ``errors`` otherwise);
* ``GET /rest/api/2/issue/{key}``, transitions (list and do: To Do, In Progress, Done);
* ``GET /rest/api/2/search/jql`` (Cloud's search; the old ``/search`` answers 410 as on Cloud)
  with the JQL subset we send: ``project``, ``labels``, ``parent``, ``=``/``in``, ``AND``,
  ``ORDER BY``; other JQL is a 400, so a query we start sending is noticed;
* ``GET /rest/api/2/user/assignable/search`` by e-mail (``query``); a user who hides the
  e-mail is still found, as on Cloud, but has no ``emailAddress``.

Basic auth with the bot's e-mail and API token. ``data_center=True`` answers as Jira Data
Center does instead: a bearer personal access token, users by ``name``, ``/search``. A test
can make it answer 429 with Retry-After, and act as a person — ``close``, ``reopen``,
``assign`` — each returning the signed ``jira:issue_updated`` delivery (``X-Hub-Signature:
sha256=...``).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

from tests.fakes.fake_rest import Answer, Call, FakeRestServer, HttpError, first
from tests.fakes.jira_shapes import FIELDS, PRIORITIES, STAMP, STATUSES, TRANSITIONS, search
from tests.fakes.jira_shapes import status as status_shape
from trackers.signature import sign


class FakeJira(FakeRestServer):
    def __init__(
        self,
        email: str = "bot@acme.test",
        token: str = "jira-token",
        webhook_secret: str = "jh",
        *,
        data_center: bool = False,
    ) -> None:
        """``data_center``: speak as Jira Data Center (a personal access token as bearer,
        users by ``name``, search at ``/search``) instead of Cloud."""
        super().__init__()
        self.email, self.token, self.webhook_secret = email, token, webhook_secret
        self.data_center = data_center
        self._user_id = "name" if data_center else "accountId"
        self.projects: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}  # accountId -> user
        self.emails: dict[str, str] = {}  # e-mail -> accountId, visible or not
        self.issues: dict[str, dict[str, Any]] = {}  # key -> issue
        self._ids = 10000
        api = r"/rest/api/2"
        self.route("GET", api + "/serverInfo", self._server_info)
        self.route("GET", api + "/field", lambda c, m: Answer(200, FIELDS))
        self.route("POST", api + "/issue", self._create)
        self.route("GET", api + r"/issue/(?P<key>[^/]+)", self._get)
        self.route("GET", api + r"/issue/(?P<key>[^/]+)/transitions", self._transitions)
        self.route("POST", api + r"/issue/(?P<key>[^/]+)/transitions", self._transition)
        self.route("GET", api + "/search(?P<jql>/jql)?", self._search)
        self.route("POST", api + "/search(?P<jql>/jql)?", self._search)
        self.route("GET", api + "/user/assignable/search", self._assignable)

    # -- set-up -----------------------------------------------------------------------------

    def _next_id(self) -> str:
        self._ids += 1
        return str(self._ids)

    def add_project(self, key: str, members: tuple[str, ...] = ()) -> None:
        self.projects[key] = {
            "id": self._next_id(),
            "key": key,
            "name": key.title(),
            "members": set(members),
        }

    def add_user(self, name: str, email: str, *, visible: bool = True) -> str:
        """A user; their ID: an ``accountId`` (Cloud) or a user ``name`` (Data Center)."""
        if self.data_center:
            account = email.split("@")[0]
            ids = {"key": f"JIRAUSER{10000 + len(self.users)}", "name": account}
        else:
            account = f"5b10ac8d82e05b22cc7d4{len(self.users):03d}"
            ids = {"accountId": account, "accountType": "atlassian"}
        self.users[account] = {
            "self": f"{self.url}/rest/api/2/user?{self._user_id}={account}",
            **ids,
            **({"emailAddress": email} if visible else {}),
            "displayName": name,
            "active": True,
            "timeZone": "Europe/Berlin",
        }
        self.emails[email.lower()] = account
        return account

    def authorized(self, headers: dict[str, str]) -> bool:
        given = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if self.data_center:
            return given == f"Bearer {self.token}"
        expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return given == f"Basic {expected}"

    def unauthorized(self) -> Answer:
        return Answer(401, {"errorMessages": ["Client must be authenticated"], "errors": {}})

    def rate_limit_next(self, count: int = 1, retry_after: int = 30) -> None:
        body = {"errorMessages": ["Rate limit exceeded."], "errors": {}}
        self.limit_next(count, Answer(429, body, {"Retry-After": str(retry_after)}))

    # -- the REST API -----------------------------------------------------------------------

    def _server_info(self, call: Call, found: re.Match[str]) -> Answer:
        return Answer(
            200,
            {
                "baseUrl": self.url,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [9, 12, 0] if self.data_center else [1001, 0, 0],
                "deploymentType": "Server" if self.data_center else "Cloud",
                "buildNumber": 100280,
                "serverTitle": "Jira",
            },
        )

    def _issue(self, key: str) -> dict[str, Any]:
        issue = self.issues.get(key) or next(
            (i for i in self.issues.values() if i["id"] == key), None
        )
        if issue is None:
            raise HttpError(404, {"errorMessages": ["Issue does not exist"], "errors": {}})
        return issue

    def _create(self, call: Call, found: re.Match[str]) -> Answer:
        fields = dict((call.body or {}).get("fields") or {})
        errors: dict[str, str] = {}
        project = self.projects.get((fields.get("project") or {}).get("key", ""))
        if project is None:
            errors["project"] = "valid project is required"
        kind = (fields.get("issuetype") or {}).get("name")
        if kind not in ("Task", "Sub-task"):
            errors["issuetype"] = "valid issue type is required"
        parent = self.issues.get((fields.get("parent") or {}).get("key", ""))
        if kind == "Sub-task" and parent is None:
            errors["parent"] = "Given parent work item does not belong to appropriate hierarchy."
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if any(" " in label for label in fields.get("labels") or []):
            errors["labels"] = "The label '...' contains spaces which is invalid."
        if (fields.get("priority") or {"name": "Medium"})["name"] not in PRIORITIES:
            errors["priority"] = "Specify a valid priority"
        account = (fields.get("assignee") or {}).get(self._user_id)
        if account and (project is None or account not in project["members"]):
            errors["assignee"] = f"User '{account}' cannot be assigned issues."
        if errors:
            raise HttpError(400, {"errorMessages": [], "errors": errors})
        assert project is not None
        issue_id = self._next_id()
        taken = sum(
            1 for i in self.issues.values() if i["fields"]["project"]["key"] == project["key"]
        )
        key = f"{project['key']}-{taken + 1}"
        issue = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog",
            "id": issue_id,
            "self": f"{self.url}/rest/api/2/issue/{issue_id}",
            "key": key,
            "fields": {
                "summary": fields["summary"],
                "description": fields.get("description"),
                "labels": list(fields.get("labels") or []),
                "issuetype": {
                    "id": "10003" if kind == "Sub-task" else "10001",
                    "name": kind,
                    "subtask": kind == "Sub-task",
                },
                "project": {
                    "id": project["id"],
                    "key": project["key"],
                    "name": project["name"],
                    "self": f"{self.url}/rest/api/2/project/{project['id']}",
                },
                "status": self._status("10000"),
                "resolution": None,
                "assignee": self.users[account] if account else None,
                "priority": {"name": (fields.get("priority") or {"name": "Medium"})["name"]},
                "duedate": fields.get("duedate"),
                "created": STAMP,
                "updated": STAMP,
                "subtasks": [],
            },
        }
        if parent is not None:
            issue["fields"]["parent"] = {
                "id": parent["id"],
                "key": parent["key"],
                "self": parent["self"],
            }
            parent["fields"]["subtasks"].append({"id": issue_id, "key": key})
        self.issues[key] = issue
        return Answer(201, {"id": issue_id, "key": key, "self": issue["self"]})

    def _get(self, call: Call, found: re.Match[str]) -> Answer:
        return Answer(200, self._issue(found["key"]))

    def _transitions(self, call: Call, found: re.Match[str]) -> Answer:
        issue = self._issue(found["key"])
        now = issue["fields"]["status"]["id"]
        listed = [
            {
                "id": tid,
                "name": name,
                "to": self._status(to),
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isConditional": False,
            }
            for tid, (name, to) in TRANSITIONS.items()
            if to != now
        ]
        return Answer(200, {"expand": "transitions", "transitions": listed})

    def _transition(self, call: Call, found: re.Match[str]) -> Answer:
        issue = self._issue(found["key"])
        chosen = TRANSITIONS.get(str(((call.body or {}).get("transition") or {}).get("id")))
        if chosen is None or chosen[1] == issue["fields"]["status"]["id"]:
            raise HttpError(400, {"errorMessages": ["Transition is not valid"], "errors": {}})
        self._move(issue, chosen[1])
        return Answer(204)

    def _search(self, call: Call, found: re.Match[str]) -> Answer:
        """Cloud searches at ``/search/jql`` (``/search`` is gone there: 410); Data Center at
        ``/search``, with ``startAt`` and ``total``."""
        if bool(found["jql"]) == self.data_center:
            gone = "The requested API has been removed. Please migrate to /rest/api/3/search/jql."
            return Answer(404 if self.data_center else 410, {"errorMessages": [gone]})
        jql = first(call, "jql") if call.method == "GET" else (call.body or {}).get("jql", "")
        items = search(list(self.issues.values()), jql)
        limit = int(first(call, "maxResults", "50"))
        if self.data_center:
            page = {"startAt": 0, "maxResults": limit, "total": len(items)}
            return Answer(200, {**page, "issues": items[:limit]})
        return Answer(200, {"issues": items[:limit], "isLast": len(items) <= limit})

    def _assignable(self, call: Call, found: re.Match[str]) -> Answer:
        project = self.projects.get(first(call, "project"))
        given = first(call, "username" if self.data_center else "query")
        account = self.emails.get(given.lower())
        if project is None or account is None or account not in project["members"]:
            return Answer(200, [])
        return Answer(200, [self.users[account]])

    # -- helpers ----------------------------------------------------------------------------

    def _status(self, status_id: str) -> dict[str, Any]:
        return status_shape(self.url, status_id)

    def _move(self, issue: dict[str, Any], status_id: str) -> list[dict[str, Any]]:
        """Set the status (and the resolution, as Jira's default workflow does); the changelog."""
        fields = issue["fields"]
        old = fields["status"]
        fields["status"] = self._status(status_id)
        done = STATUSES[status_id][1] == "done"
        items = [
            {
                "field": "status",
                "fieldtype": "jira",
                "fieldId": "status",
                "from": old["id"],
                "fromString": old["name"],
                "to": status_id,
                "toString": fields["status"]["name"],
            }
        ]
        if done != (fields["resolution"] is not None):
            fields["resolution"] = {"id": "10000", "name": "Done"} if done else None
            items.insert(
                0,
                {
                    "field": "resolution",
                    "fieldtype": "jira",
                    "fieldId": "resolution",
                    "from": None if done else "10000",
                    "fromString": None if done else "Done",
                    "to": "10000" if done else None,
                    "toString": "Done" if done else None,
                },
            )
        return items

    # -- a person in Jira -------------------------------------------------------------------

    def close(self, key: str) -> tuple[dict[str, str], bytes]:
        return self._delivery(self.issues[key], self._move(self.issues[key], "10001"))

    def reopen(self, key: str) -> tuple[dict[str, str], bytes]:
        return self._delivery(self.issues[key], self._move(self.issues[key], "10000"))

    def start_work(self, key: str) -> tuple[dict[str, str], bytes]:
        return self._delivery(self.issues[key], self._move(self.issues[key], "3"))

    def assign(self, key: str, account: str | None) -> tuple[dict[str, str], bytes]:
        fields = self.issues[key]["fields"]
        old = fields["assignee"] or {}
        fields["assignee"] = self.users[account] if account else None
        new = fields["assignee"] or {}
        item = {
            "field": "assignee",
            "fieldtype": "jira",
            "fieldId": "assignee",
            "from": old.get(self._user_id),
            "fromString": old.get("displayName"),
            "to": new.get(self._user_id),
            "toString": new.get("displayName"),
        }
        return self._delivery(self.issues[key], [item], event="issue_assigned")

    def _delivery(
        self, issue: dict[str, Any], items: list[dict[str, Any]], event: str = "issue_generic"
    ) -> tuple[dict[str, str], bytes]:
        actor = next(iter(self.users.values()), {"displayName": "Jira admin"})
        payload = {
            "timestamp": 1796634000000,
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": event,
            "user": actor,
            "issue": issue,
            "changelog": {"id": self._next_id(), "items": items},
        }
        body = json.dumps(payload).encode()
        headers = {
            "X-Hub-Signature": sign(self.webhook_secret, body),
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
            "Content-Type": "application/json",
        }
        return headers, body
