"""The sandbox's GitHub: a local GitHub API (bot.sandbox.github_api) that the sandboxed bot files
its accepted asks into, and what the sandbox's GitHub page shows and does with it.

    github = LocalGitHub(clock=now).start()
    path = github.config_file(workdir)       # the bot's INTAKE_TRACKERS_FILE: every ask to
                                             # platform/asks on this GitHub
    github.webhook_url = "http://127.0.0.1:…/trackers/github"
    github.state()                           # the repository's issues and their sub-issues
    github.set_state(1, closed=True, by="owen")   # a person closes #1 on the page

Closing or reopening an issue sends the bot what GitHub would: an ``issues`` webhook delivery
(``X-GitHub-Event``, ``X-GitHub-Delivery``, ``X-Hub-Signature-256`` with the sandbox's webhook
secret, GitHub's payload) to ``webhook_url``; each delivery and the bot's answer is kept, as
GitHub's "Recent Deliveries" does. The token and the secret are random per run and are written
only to files in the sandbox's temporary directory, which the config file names.
"""

from __future__ import annotations

import re
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import yaml

from bot.sandbox import cast
from bot.sandbox.github_api import FakeGitHub

REPO = "platform/asks"
DELIVERIES_KEPT = 50
DELIVERY_TIMEOUT_S = 15.0
_PERMALINK = re.compile(r"/archives/(?P<channel>[A-Z0-9]+)/p(?P<ts>\d{7,})$")


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery to the bot and its answer (``status`` 0: the bot was unreachable)."""

    id: str
    at: str
    action: str
    number: int
    title: str
    status: int
    answer: str


class LocalGitHub:
    """One local GitHub with the repository ``platform/asks``; the sandbox's people are its
    users (login = their Slack handle, public e-mail = their Slack one), Lee and Owen can be
    assigned."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.api = FakeGitHub(
            token=f"ghp-sandbox-{secrets.token_hex(12)}",
            webhook_secret=secrets.token_hex(16),
        )
        self.clock = clock or (lambda: datetime.now(UTC))
        self.webhook_url = ""
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()  # one delivery at a time, in order
        self._started = False

    @property
    def url(self) -> str:
        return self.api.url

    def start(self) -> LocalGitHub:
        self.api.start()
        self._started = True
        for person in cast.PEOPLE:
            self.api.add_user(person.name, f"{person.name}@example.com")
        self.api.add_repo(REPO, collaborators=(cast.LEAD.name, cast.OWNER.name))
        return self

    def stop(self) -> None:
        if self._started:
            self._started = False
            self.api.stop()

    def set_page(self, page_url: str) -> None:
        """Issues' ``html_url`` point at the sandbox's GitHub page served at ``page_url``."""
        self.api.html_base = f"{page_url}/github#"

    def config_file(self, directory: Path) -> Path:
        """Write the bot's tracker configuration (INTAKE_TRACKERS_FILE) into ``directory``:
        every ask of every request type goes to ``platform/asks`` on this GitHub."""
        token = directory / "github-token"
        secret = directory / "github-webhook-secret"
        for path, value in ((token, self.api.token), (secret, self.api.webhook_secret)):
            path.write_text(value + "\n", encoding="utf-8")
            path.chmod(0o600)
        config = {
            "github": {
                "api_url": self.api.url,
                "token_file": str(token),
                "webhook_secret_file": str(secret),
                "timeout_s": 10.0,
            },
            "routes": [{"tracker": "github", "project": REPO}],
        }
        path = directory / "trackers.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    # -- what the page shows ---------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The repository's issues, newest first, each with its sub-issues, and the latest
        webhook deliveries (newest first)."""
        with self.api.lock:
            repo = self.api.repos[REPO]
            issues = sorted(repo.issues.values(), key=lambda i: i["number"], reverse=True)
            tops = [i for i in issues if i["id"] not in self.api.parents]
            shown = [
                {
                    **_issue(issue),
                    "sub_issues": [
                        _issue(child)
                        for child in sorted(
                            self.api.children(repo, issue["id"]), key=lambda c: c["number"]
                        )
                    ],
                    "summary": dict(issue.get("sub_issues_summary") or {}),
                }
                for issue in tops
            ]
        return {
            "repo": REPO,
            "people": [{"id": p.id, "login": p.name, "name": p.real_name} for p in cast.PEOPLE],
            "webhook_url": self.webhook_url,
            "issues": shown,
            "deliveries": [asdict(d) for d in reversed(self.deliveries[-DELIVERIES_KEPT:])],
        }

    # -- what a person does on it ----------------------------------------------------------

    def set_state(self, number: int, *, closed: bool, by: str) -> Delivery:
        """Close (as completed) or reopen issue ``number`` as GitHub user ``by``, and deliver
        the ``issues`` webhook to the bot. Closing a closed issue changes nothing and sends
        nothing, as on GitHub."""
        with self._lock:
            with self.api.lock:
                issue = self.api.repos[REPO].issues.get(number)
                if issue is None:
                    raise LookupError(f"no issue #{number} in {REPO}")
                if (issue["state"] == "closed") == closed:
                    raise ValueError(f"#{number} is already {issue['state']}")
                change = self.api.close if closed else self.api.reopen
                headers, body = change(REPO, number, by=by)
                title = str(issue["title"])
            return self._deliver("closed" if closed else "reopened", number, title, headers, body)

    def _deliver(
        self, action: str, number: int, title: str, headers: dict[str, str], body: bytes
    ) -> Delivery:
        status, answer = 0, "no webhook URL: the bot is not running"
        if self.webhook_url:
            request = urllib.request.Request(
                self.webhook_url, data=body, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_S) as response:
                    status, answer = response.status, response.read(300).decode(errors="replace")
            except urllib.error.HTTPError as error:
                status, answer = error.code, error.read(300).decode(errors="replace")
            except OSError as error:
                answer = f"unreachable: {error}"
        delivery = Delivery(
            id=headers["X-GitHub-Delivery"],
            at=self.clock().isoformat(),
            action=action,
            number=number,
            title=title,
            status=status,
            answer=answer.strip()[:300],
        )
        self.deliveries.append(delivery)
        del self.deliveries[:-DELIVERIES_KEPT]
        return delivery


def _issue(issue: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": issue["number"],
        "title": issue["title"],
        "state": issue["state"],
        "state_reason": issue.get("state_reason"),
        "html_url": issue["html_url"],
        "labels": [label["name"] for label in issue.get("labels") or []],
        "assignees": [a["login"] for a in issue.get("assignees") or []],
        "slack": slack_link(issue.get("body") or ""),
    }


def slack_link(body: str) -> dict[str, str] | None:
    """The Slack thread an issue's body links to, and where the sandbox's page shows it
    (``/?as=…&channel=…&thread=…``: a DM's thread as the person whose DM it is)."""
    found = re.search(r"\]\((https://[^)\s]+\.slack\.com/archives/[^)\s]+)\)", body)
    if found is None:
        return None
    url = found.group(1)
    parts = urlsplit(url)
    where = _PERMALINK.search(parts.path)
    if where is None:
        return {"url": url, "page": "/"}
    ts = f"{where['ts'][:-6]}.{where['ts'][-6:]}"
    thread = parse_qs(parts.query).get("thread_ts", [ts])[0]
    query = {"channel": where["channel"], "thread": thread}
    owner = next((p for p in cast.PEOPLE if f"D{p.id}" == where["channel"]), None)
    if owner is not None:
        query = {"as": owner.id, **query}
    return {"url": url, "page": "/?" + urlencode(query)}
