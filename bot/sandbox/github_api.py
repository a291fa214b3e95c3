"""A local GitHub REST API on 127.0.0.1: the parts the tracker adapter uses, with the shapes of
GitHub's REST reference (API version 2022-11-28 and later). The sandbox files its asks into it
(bot.sandbox.github_panel); the tracker tests use it as their fake GitHub.

* issues: list for a repository (``labels``, ``state``, ``sort``, ``direction``, ``per_page``,
  ``page`` with a ``Link`` header), create, get, update (state, state_reason, assignees);
* sub-issues: list, add (by the sub-issue's ``id``; 422 if it already has a parent);
* ``GET /repos/{o}/{r}/assignees/{login}`` (204 or 404) and ``GET /search/users``, which
  finds only public e-mails, as GitHub does;
* a bearer token (401 "Bad credentials" otherwise); labels named on an issue are created.

A test can make it answer with GitHub's rate-limit responses (``rate_limit_next``), and act as
a person in GitHub's web UI — ``close``, ``reopen``, ``assign``, ``unassign`` — each returning
the ``issues`` webhook delivery GitHub would send, signed with ``X-Hub-Signature-256``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.rest_server import Answer, Call, FakeRestServer, HttpError, first
from trackers.signature import sign

STAMP = "2026-12-07T09:00:00Z"
_USER_LINKS = (
    ("followers", ""),
    ("following", "{/other_user}"),
    ("gists", "{/gist_id}"),
    ("starred", "{/owner}{/repo}"),
    ("subscriptions", ""),
    ("organizations", ""),
    ("repos", ""),
    ("events", "{/privacy}"),
    ("received_events", ""),
)


@dataclass
class User:
    login: str
    id: int
    email: str | None = None  # the public e-mail; None: kept private
    hidden_email: str | None = None  # a private one, which search does not find


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    collaborators: set[str] = field(default_factory=set)
    push: bool = True  # the token may create labels and set them on new issues
    drops_labels: bool = False  # new issues lose their labels anyway (as GitHub sometimes does)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def _invalid(*errors: dict[str, Any]) -> HttpError:
    """GitHub's 422: "Validation Failed" with what failed."""
    return HttpError(422, {"message": "Validation Failed", "errors": list(errors)})


class FakeGitHub(FakeRestServer):
    """``html_base``: where an issue's ``html_url`` points (the sandbox's GitHub page)."""

    def __init__(
        self,
        token: str = "ghp-test-token",
        webhook_secret: str = "gh-hook",
        html_base: str = "https://github.example",
    ) -> None:
        super().__init__()
        self.token = token
        self.webhook_secret = webhook_secret
        self.html_base = html_base
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}
        self.parents: dict[int, int] = {}  # sub-issue id -> parent id
        self._ids = 1000
        self.bot = self.add_user("intake-bot")
        issue = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues"
        self.route("GET", issue, self._list)
        self.route("POST", issue, self._create)
        self.route("GET", issue + r"/(?P<number>\d+)", self._get)
        self.route("PATCH", issue + r"/(?P<number>\d+)", self._update)
        self.route("GET", issue + r"/(?P<number>\d+)/sub_issues", self._list_subs)
        self.route("POST", issue + r"/(?P<number>\d+)/sub_issues", self._add_sub)
        self.route(
            "GET",
            r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/assignees/(?P<login>[^/]+)",
            self._assignable,
        )
        self.route("GET", r"/search/users", self._search_users)
        self.route("POST", r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/labels", self._create_label)

    # -- set-up and inspection --------------------------------------------------------------

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def add_repo(self, full_name: str, collaborators: tuple[str, ...] = ()) -> Repo:
        owner, name = full_name.split("/")
        repo = Repo(owner, name, self._next_id(), set(collaborators))
        self.repos[full_name] = repo
        return repo

    def add_user(self, login: str, email: str | None = None, *, public: bool = True) -> User:
        user = User(login, self._next_id(), email if public else None, None if public else email)
        self.users[login] = user
        return user

    def issues(self, full_name: str) -> list[dict[str, Any]]:
        return list(self.repos[full_name].issues.values())

    def authorized(self, headers: dict[str, str]) -> bool:
        given = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        return given in (f"Bearer {self.token}", f"token {self.token}")

    def rate_limit_next(self, count: int = 1, *, secondary: bool, retry_after: int = 0) -> None:
        """GitHub's answers when a limit is hit: a secondary limit is a 403 with Retry-After
        (or none, then "wait a minute"); a primary one has x-ratelimit-remaining 0 and the
        reset time."""
        if secondary:
            headers = {"Retry-After": str(retry_after)} if retry_after else {}
            message = "You have exceeded a secondary rate limit. Please wait a few minutes."
        else:
            reset = int(time.time()) + retry_after
            headers = {
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(reset),
                "x-ratelimit-limit": "5000",
            }
            message = "API rate limit exceeded for user ID 1."
        body = {"message": message, "documentation_url": "https://docs.github.com/rest"}
        self.limit_next(count, Answer(403, body, headers))

    # -- the REST API -----------------------------------------------------------------------

    def _repo(self, found: re.Match[str]) -> Repo:
        repo = self.repos.get(f"{found['owner']}/{found['repo']}")
        if repo is None:
            raise HttpError(404, {"message": "Not Found"})
        return repo

    def _issue(self, found: re.Match[str]) -> tuple[Repo, dict[str, Any]]:
        repo = self._repo(found)
        issue = repo.issues.get(int(found["number"]))
        if issue is None:
            raise HttpError(404, {"message": "Not Found"})
        return repo, issue

    def _list(self, call: Call, found: re.Match[str]) -> Answer:
        repo = self._repo(found)
        state = first(call, "state", "open")
        wanted = [w for w in first(call, "labels").split(",") if w]
        items = [
            i
            for i in repo.issues.values()
            if state in ("all", i["state"])
            and all(w in {lab["name"] for lab in i["labels"]} for w in wanted)
        ]
        items.sort(key=lambda i: i["id"], reverse=first(call, "direction", "desc") == "desc")
        per_page, page = int(first(call, "per_page", "30")), int(first(call, "page", "1"))
        headers = {}
        if len(items) > page * per_page:
            query = "&".join(f"{k}={v[0]}" for k, v in call.query.items() if k != "page")
            headers["Link"] = f'<{self.url}{call.path}?{query}&page={page + 1}>; rel="next"'
        return Answer(200, items[(page - 1) * per_page : page * per_page], headers)

    def _create(self, call: Call, found: re.Match[str]) -> Answer:
        repo = self._repo(found)
        data = call.body or {}
        if not data.get("title"):
            raise _invalid({"resource": "Issue", "code": "missing_field", "field": "title"})
        self._check_assignees(repo, data.get("assignees") or [])
        number = max(repo.issues, default=0) + 1
        issue_id = self._next_id()
        base = f"{self.url}/repos/{repo.full_name}/issues/{number}"
        issue: dict[str, Any] = {
            "id": issue_id,
            "node_id": f"I_kwDO{issue_id}",
            "url": base,
            "repository_url": f"{self.url}/repos/{repo.full_name}",
            "labels_url": base + "/labels{/name}",
            "comments_url": base + "/comments",
            "events_url": base + "/events",
            "html_url": f"{self.html_base}/{repo.full_name}/issues/{number}",
            "number": number,
            "state": "open",
            "state_reason": None,
            "title": data["title"],
            "body": data.get("body"),
            "user": self._simple_user(self.bot),
            "labels": [
                self._label(repo, name)
                for name in data.get("labels") or []
                if repo.push and not repo.drops_labels
            ],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": 0,
            "closed_at": None,
            "created_at": STAMP,
            "updated_at": STAMP,
            "closed_by": None,
            "author_association": "MEMBER",
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
        }
        self._set_assignees(issue, data.get("assignees") or [])
        repo.issues[number] = issue
        return Answer(201, issue)

    def _create_label(self, call: Call, found: re.Match[str]) -> Answer:
        repo = self._repo(found)
        name = str((call.body or {}).get("name", ""))
        if not repo.push:
            raise HttpError(403, {"message": "Resource not accessible by personal access token"})
        if name in repo.labels:
            raise _invalid({"resource": "Label", "code": "already_exists", "field": "name"})
        label = self._label(repo, name)
        label["description"] = (call.body or {}).get("description")
        return Answer(201, label)

    def _get(self, call: Call, found: re.Match[str]) -> Answer:
        return Answer(200, self._issue(found)[1])

    def _update(self, call: Call, found: re.Match[str]) -> Answer:
        repo, issue = self._issue(found)
        data = call.body or {}
        if "state" in data:
            self._set_state(issue, data["state"], data.get("state_reason"))
        if "assignees" in data:
            self._check_assignees(repo, data["assignees"])
            self._set_assignees(issue, data["assignees"])
        for name in ("title", "body"):
            if name in data:
                issue[name] = data[name]
        return Answer(200, issue)

    def _list_subs(self, call: Call, found: re.Match[str]) -> Answer:
        repo, issue = self._issue(found)
        return Answer(200, self.children(repo, issue["id"]))

    def _add_sub(self, call: Call, found: re.Match[str]) -> Answer:
        repo, issue = self._issue(found)
        sub_id = int((call.body or {}).get("sub_issue_id", 0))
        child = next((i for i in repo.issues.values() if i["id"] == sub_id), None)
        if child is None:
            raise HttpError(404, {"message": "Not Found"})
        if sub_id in self.parents and not (call.body or {}).get("replace_parent"):
            raise _invalid({"message": "Issue may not contain duplicate sub-issues"})
        self.parents[sub_id] = issue["id"]
        self._summarize(repo, issue)
        return Answer(201, issue)

    def _assignable(self, call: Call, found: re.Match[str]) -> Answer:
        repo = self._repo(found)
        if found["login"] in repo.collaborators:
            return Answer(204)
        return Answer(404, {"message": "Not Found"})

    def _search_users(self, call: Call, found: re.Match[str]) -> Answer:
        terms = first(call, "q").split()
        email = next((t for t in terms if "@" in t), "") if "in:email" in terms else ""
        items = [
            {**self._simple_user(u), "score": 1.0}
            for u in self.users.values()
            if email and u.email and u.email.lower() == email.lower()
        ]
        return Answer(200, {"total_count": len(items), "incomplete_results": False, "items": items})

    # -- helpers ----------------------------------------------------------------------------

    def _simple_user(self, user: User) -> dict[str, Any]:
        return {
            "login": user.login,
            "id": user.id,
            "node_id": f"U_{user.id}",
            "avatar_url": f"https://avatars.example/u/{user.id}",
            "gravatar_id": "",
            "url": f"{self.url}/users/{user.login}",
            "html_url": f"https://github.example/{user.login}",
            **{
                f"{name}_url": f"{self.url}/users/{user.login}/{name}{suffix}"
                for name, suffix in _USER_LINKS
            },
            "type": "User",
            "site_admin": False,
            **({"email": user.email} if user.email else {}),
        }

    def _label(self, repo: Repo, name: str) -> dict[str, Any]:
        if name not in repo.labels:
            label_id = self._next_id()
            repo.labels[name] = {
                "id": label_id,
                "node_id": f"LA_{label_id}",
                "url": f"{self.url}/repos/{repo.full_name}/labels/{name}",
                "name": name,
                "color": "ededed",
                "default": False,
                "description": None,
            }
        return repo.labels[name]

    def _check_assignees(self, repo: Repo, logins: list[str]) -> None:
        for login in logins:
            if login not in repo.collaborators:
                raise _invalid(
                    {"resource": "Issue", "code": "invalid", "field": "assignees", "value": login}
                )

    def _set_assignees(self, issue: dict[str, Any], logins: list[str]) -> None:
        issue["assignees"] = [self._simple_user(self.users[login]) for login in logins]
        issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None

    def _set_state(self, issue: dict[str, Any], state: str, reason: str | None) -> None:
        issue["state"] = state
        issue["state_reason"] = reason or ("completed" if state == "closed" else "reopened")
        issue["closed_at"] = STAMP if state == "closed" else None
        for repo in self.repos.values():
            parent_id = self.parents.get(issue["id"])
            parent = next((i for i in repo.issues.values() if i["id"] == parent_id), None)
            if parent is not None:
                self._summarize(repo, parent)

    def children(self, repo: Repo, parent_id: int) -> list[dict[str, Any]]:
        return [i for i in repo.issues.values() if self.parents.get(i["id"]) == parent_id]

    def _summarize(self, repo: Repo, parent: dict[str, Any]) -> None:
        children = self.children(repo, parent["id"])
        done = sum(1 for c in children if c["state"] == "closed")
        percent = round(100 * done / len(children)) if children else 0
        summary = {"total": len(children), "completed": done, "percent_completed": percent}
        parent["sub_issues_summary"] = summary

    # -- a person in GitHub's web UI --------------------------------------------------------

    def close(self, full_name: str, number: int, by: str = "owen") -> tuple[dict[str, str], bytes]:
        issue = self.repos[full_name].issues[number]
        self._set_state(issue, "closed", "completed")
        return self._delivery("closed", full_name, issue, by)

    def reopen(self, full_name: str, number: int, by: str = "owen") -> tuple[dict[str, str], bytes]:
        issue = self.repos[full_name].issues[number]
        self._set_state(issue, "open", "reopened")
        return self._delivery("reopened", full_name, issue, by)

    def assign(self, full_name: str, number: int, login: str) -> tuple[dict[str, str], bytes]:
        issue = self.repos[full_name].issues[number]
        self._set_assignees(issue, [login])
        return self._delivery("assigned", full_name, issue, "lee", assignee=login)

    def unassign(self, full_name: str, number: int) -> tuple[dict[str, str], bytes]:
        issue = self.repos[full_name].issues[number]
        gone = issue["assignee"]["login"] if issue["assignee"] else "nobody"
        self._set_assignees(issue, [])
        return self._delivery("unassigned", full_name, issue, "lee", assignee=gone)

    def _delivery(
        self, action: str, full_name: str, issue: dict[str, Any], by: str, assignee: str = ""
    ) -> tuple[dict[str, str], bytes]:
        repo = self.repos[full_name]
        sender = self.users.get(by) or self.add_user(by)
        payload: dict[str, Any] = {
            "action": action,
            "issue": issue,
            "repository": {
                "id": repo.id,
                "name": repo.name,
                "full_name": repo.full_name,
                "owner": {"login": repo.owner},
                "private": True,
            },
            "sender": self._simple_user(sender),
        }
        if assignee:
            payload["assignee"] = self._simple_user(self.users.get(assignee) or User(assignee, 0))
        body = json.dumps(payload).encode()
        headers = {
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": sign(self.webhook_secret, body),
            "Content-Type": "application/json",
        }
        return headers, body
