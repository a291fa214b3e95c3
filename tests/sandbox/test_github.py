"""The sandbox's GitHub, over HTTP: the bot is configured to file every ask into it, its page's
API lists the issues with their sub-issues and a way back to the Slack thread, and closing one
there sends the bot GitHub's signed ``issues`` webhook."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.sandbox import cast
from bot.sandbox.github_panel import REPO, slack_link
from bot.sandbox.runtime import Sandbox
from intake.tracker import ChangeKind
from tests.sandbox.conftest import KEY, THREAD, filed
from trackers.config import load_tracker_config
from trackers.github_webhook import github_changes

pytestmark = pytest.mark.xdist_group("sandbox")


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1 that keeps each request's headers (lower-cased) and raw
    body."""

    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/trackers/github"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


def call(page_url: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        page_url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def test_the_bot_is_told_to_file_every_ask_into_the_sandboxs_github(sandbox: Sandbox) -> None:
    path = sandbox.settings_overrides()["intake_trackers_file"]
    config = load_tracker_config({"INTAKE_TRACKERS_FILE": path})
    assert config is not None and config.github is not None
    assert config.github.api_url == sandbox.github.url
    for team, kind in (("T0SANDBOX", "database"), ("T0OTHER", "ci_cd"), ("T1", "other")):
        route = config.route(team, kind)
        assert route is not None and route.project == REPO
    assert config.github.token.get_secret_value() == sandbox.github.api.token
    assert config.github.webhook_secret is not None
    assert config.github.webhook_secret.get_secret_value() == sandbox.github.api.webhook_secret
    with open(path, encoding="utf-8") as file:
        assert sandbox.github.api.token not in file.read(), "secrets live in their own files"
    bot = sandbox.events_url.removesuffix("/slack/events")
    assert sandbox.github.webhook_url == f"{bot}/trackers/github"


def test_the_page_lists_the_issue_with_its_milestones_and_the_way_back_to_slack(
    sandbox: Sandbox, page_url: str
) -> None:
    ensured = filed(sandbox, 1)
    state = call(page_url, "GET", "/api/github")
    [issue] = [i for i in state["issues"] if i["number"] == int(ensured.ref.key)]
    assert issue["title"] == "Postgres database for billing" and issue["state"] == "open"
    assert issue["html_url"] == f"{page_url}/github#/{REPO}/issues/{ensured.ref.key}"
    assert issue["assignees"] == [cast.OWNER.name], "matched by the e-mail Slack has for Owen"
    assert [(s["title"], s["state"]) for s in issue["sub_issues"]] == [
        ("PLAT-12 · Step 1", "open"),
        ("PLAT-12 · Step 2", "open"),
    ]
    assert issue["summary"] == {"total": 2, "completed": 0, "percent_completed": 0}
    assert issue["slack"] == {
        "url": THREAD,
        "page": "/?as=U0ALICE&channel=DU0ALICE&thread=1795597200.000100",
    }
    assert all(s["slack"]["url"] == THREAD for s in issue["sub_issues"])
    page = urllib.request.urlopen(f"{page_url}/github", timeout=10).read().decode()
    assert "/static/github.js" in page


def test_closing_a_milestone_there_sends_githubs_signed_issues_webhook(
    sandbox: Sandbox, page_url: str, receiver: Receiver
) -> None:
    ensured = filed(sandbox, 2)
    step = int(ensured.sub_items["m1"].key)
    bot_url, sandbox.github.webhook_url = sandbox.github.webhook_url, receiver.url
    try:
        closed = call(
            page_url, "POST", "/api/github", {"as": "U0OWEN", "number": step, "state": "closed"}
        )
        again = call(
            page_url, "POST", "/api/github", {"as": "U0OWEN", "number": step, "state": "closed"}
        )
        reopened = call(
            page_url, "POST", "/api/github", {"as": "U0LEE", "number": step, "state": "open"}
        )
    finally:
        sandbox.github.webhook_url = bot_url
    assert closed["ok"] and closed["delivery"]["status"] == 202
    assert not again["ok"] and "already closed" in again["error"], "nothing to send twice"
    assert reopened["ok"]
    assert len(receiver.requests) == 2
    (path, headers, body), (_, _, reopen_body) = receiver.requests
    assert path == "/trackers/github"
    assert headers["x-github-event"] == "issues"
    assert headers["x-github-delivery"] == closed["delivery"]["id"]
    payload = json.loads(body)
    assert payload["action"] == "closed"
    assert payload["issue"]["number"] == step and payload["issue"]["state"] == "closed"
    assert payload["repository"]["full_name"] == REPO
    assert payload["sender"]["login"] == cast.OWNER.name
    assert json.loads(reopen_body)["action"] == "reopened"
    # The bot's own check, with the secret the sandbox gave it, accepts the delivery and reads
    # it as "milestone m1 of this ask was closed"; a delivery signed with another secret fails.
    config = load_tracker_config(
        {"INTAKE_TRACKERS_FILE": sandbox.settings_overrides()["intake_trackers_file"]}
    )
    assert config is not None and config.github is not None
    [change] = github_changes(config.github.webhook_secret, headers, body)
    assert (change.kind, change.issue_key, change.suffix) == (
        ChangeKind.CLOSED,
        KEY.format(2),
        "m1",
    )
    forged = {**headers, "x-hub-signature-256": "sha256=" + "0" * 64}
    with pytest.raises(Exception, match="signature does not match"):
        github_changes(config.github.webhook_secret, forged, body)
    state = call(page_url, "GET", "/api/github")
    assert [d["action"] for d in state["deliveries"][:2]] == ["reopened", "closed"]


def test_closing_there_reaches_the_bots_tracker_route(sandbox: Sandbox, page_url: str) -> None:
    ensured = filed(sandbox, 3)
    answer = call(
        page_url,
        "POST",
        "/api/github",
        {"as": "U0OWEN", "number": int(ensured.ref.key), "state": "closed"},
    )
    assert answer["ok"]
    assert answer["delivery"]["status"] != 0, answer["delivery"]["answer"]  # an HTTP answer


def test_the_page_refuses_an_unknown_issue_or_state(page_url: str) -> None:
    missing = call(
        page_url, "POST", "/api/github", {"as": "U0OWEN", "number": 999, "state": "closed"}
    )
    assert not missing["ok"] and "no issue #999" in missing["error"]
    wrong = call(page_url, "POST", "/api/github", {"as": "U0OWEN", "number": 1, "state": "merged"})
    assert not wrong["ok"]


def test_a_channel_thread_links_to_the_channel_as_whoever_is_looking() -> None:
    body = "> Asked by A in Slack: [PLAT-2 thread](https://x.slack.com/archives/C0REQUESTS/p1795597200000100?thread_ts=1795597100.000200&cid=C0REQUESTS)"
    found = slack_link(body)
    assert found is not None
    assert found["page"] == "/?channel=C0REQUESTS&thread=1795597100.000200"
    assert slack_link("no link here") is None
