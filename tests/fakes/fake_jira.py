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

Basic auth with the bot's e-mail and API token. A test can make it answer 429 with
Retry-After, and act as a person — ``close``, ``reopen``, ``assign`` — each returning the
signed ``jira:issue_updated`` delivery (``X-Hub-Signature: sha256=...``).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

from tests.fakes.fake_rest import Answer, Call, FakeRestServer, HttpError, first
from trackers.signature import sign

STAMP = "2026-12-07T09:00:00.000+0000"
_CATEGORIES = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
STATUSES = {
    "10000": ("To Do", "new"),
    "3": ("In Progress", "indeterminate"),
    "10001": ("Done", "done"),
}
TRANSITIONS = {"11": ("Reopen", "10000"), "21": ("Start", "3"), "31": ("Done", "10001")}
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
_CLAUSE = re.compile(r"^(\w+)\s*(=|in)\s*(.+)$", re.IGNORECASE)


class FakeJira(FakeRestServer):
    def __init__(
        self, email: str = "bot@acme.test", token: str = "jira-token", webhook_secret: str = "jh"
    ) -> None:
        super().__init__()
        self.email, self.token, self.webhook_secret = email, token, webhook_secret
        self.projects: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}  # accountId -> user
        self.emails: dict[str, str] = {}  # e-mail -> accountId, visible or not
        self.issues: dict[str, dict[str, Any]] = {}  # key -> issue
        self._ids = 10000
        api = r"/rest/api/2"
        self.route("GET", api + "/serverInfo", self._server_info)
        self.route("GET", api + "/field", lambda c, m: Answer(200, _FIELDS))
        self.route("POST", api + "/issue", self._create)
        self.route("GET", api + r"/issue/(?P<key>[^/]+)", self._get)
        self.route("GET", api + r"/issue/(?P<key>[^/]+)/transitions", self._transitions)
        self.route("POST", api + r"/issue/(?P<key>[^/]+)/transitions", self._transition)
        self.route("GET", api + "/search/jql", self._search)
        self.route("POST", api + "/search/jql", self._search)
        self.route(
            "GET",
            api + "/search",
            lambda c, m: Answer(
                410,
                {
                    "errorMessages": [
                        "The requested API has been removed. "
                        "Please migrate to the /rest/api/3/search/jql API."
                    ]
                },
            ),
        )
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
        account = f"5b10ac8d82e05b22cc7d4{len(self.users):03d}"
        self.users[account] = {
            "self": f"{self.url}/rest/api/2/user?accountId={account}",
            "accountId": account,
            "accountType": "atlassian",
            **({"emailAddress": email} if visible else {}),
            "displayName": name,
            "active": True,
            "timeZone": "Europe/Berlin",
        }
        self.emails[email.lower()] = account
        return account

    def authorized(self, headers: dict[str, str]) -> bool:
        given = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
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
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
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
        account = (fields.get("assignee") or {}).get("accountId")
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
        jql = first(call, "jql") if call.method == "GET" else (call.body or {}).get("jql", "")
        where, *order_by = re.split(r"\s+ORDER BY\s+", jql, maxsplit=1, flags=re.I)
        order = order_by[0] if order_by else ""
        tests = [self._clause(part) for part in re.split(r"\s+AND\s+", where, flags=re.I)]
        items = [i for i in self.issues.values() if all(test(i) for test in tests)]
        items.sort(key=lambda i: int(i["id"]), reverse="DESC" in order.upper())
        limit = int(first(call, "maxResults", "50"))
        return Answer(200, {"issues": items[:limit], "isLast": len(items) <= limit})

    def _clause(self, text: str) -> Any:
        found = _CLAUSE.match(text.strip())
        if not found:
            raise HttpError(400, {"errorMessages": [f"Error in the JQL Query: {text!r}"]})
        name, op, raw = found[1].lower(), found[2].lower(), found[3].strip()
        values = (
            {v.strip().strip('"') for v in raw.strip("()").split(",")}
            if op == "in"
            else {raw.strip('"')}
        )
        if name == "project":
            return lambda i: i["fields"]["project"]["key"] in values
        if name == "labels":
            return lambda i: bool(values & set(i["fields"]["labels"]))
        if name == "parent":
            return lambda i: (i["fields"].get("parent") or {}).get("key") in values
        raise HttpError(400, {"errorMessages": [f"Field '{name}' is not supported here"]})

    def _assignable(self, call: Call, found: re.Match[str]) -> Answer:
        project = self.projects.get(first(call, "project"))
        account = self.emails.get(first(call, "query").lower())
        if project is None or account is None or account not in project["members"]:
            return Answer(200, [])
        return Answer(200, [self.users[account]])

    # -- helpers ----------------------------------------------------------------------------

    def _status(self, status_id: str) -> dict[str, Any]:
        name, category = STATUSES[status_id]
        cat_id, cat_name, colour = _CATEGORIES[category]
        return {
            "self": f"{self.url}/rest/api/2/status/{status_id}",
            "id": status_id,
            "name": name,
            "statusCategory": {
                "id": cat_id,
                "key": category,
                "colorName": colour,
                "name": cat_name,
            },
        }

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
            "from": old.get("accountId"),
            "fromString": old.get("displayName"),
            "to": new.get("accountId"),
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


_FIELDS = [
    {
        "id": name,
        "key": name,
        "name": name.title(),
        "custom": False,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [name],
    }
    for name in ("summary", "labels", "status", "assignee", "parent", "description", "duedate")
]
