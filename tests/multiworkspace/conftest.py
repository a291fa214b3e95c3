"""Harness for the multi-workspace install: the real Bolt app built with OAuth settings
(SLACK_CLIENT_ID / SLACK_CLIENT_SECRET, no bot token), served through Bolt's own WSGI adapter,
and a fake Slack that also plays Slack's side of an OAuth install.

``MultiWorkspaceSlack`` is the shared FakeSlack plus, on top (nothing changed in the shared
fake): ``oauth.v2.access`` (which Slack serves without a token: the app authenticates with its
client ID and secret), ``auth.test`` answering for the workspace whose token it is given, and
views that belong to the workspace whose token opened them. Workspaces share the fake's users
and channels; their tokens tell them apart.

Two workspaces, T1 and T2, of one Enterprise Grid-like org: the same requester and the same
lead belong to both (user IDs ``W…`` are org-wide), so only the workspace of a request can
tell which asks it may see.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import create_app
from bot.bootstrap import Container, build
from bot.settings import load_settings
from tests.e2e.conftest import MovableClock, unhurried_pacer
from tests.e2e.conftest import clock as clock  # the e2e clock fixture, re-exported
from tests.fakes.fixtures import checked, serve_wsgi
from tests.fakes.slack_api import ApiCall, FakeSlack, SlackError

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "multi-client-secret"
SIGNING_SECRET = "multi-signing-secret"
APP_ID = "A0MULTI"
REVIEW_CHANNEL = "C0REVIEW"  # shared with both workspaces
DIGEST_CHANNEL = "C0DIGEST"

REQUESTER = "W0ALICE"  # in both workspaces
LEAD = "W0LEE"  # a lead in both workspaces
OWNER = "W0OWEN"
INSTALLER = "W0ADMIN"


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    token: str
    bot_user_id: str
    bot_id: str


T1 = Team("T1AAAAAAA", "Workspace One", "xoxb-team-one-token", "U1BOT", "B1BOT")
T2 = Team("T2BBBBBBB", "Workspace Two", "xoxb-team-two-token", "U2BOT", "B2BOT")


class MultiWorkspaceSlack(FakeSlack):
    """FakeSlack that also installs the app in workspaces (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(bot_token="xoxb-unused-default", app_id=APP_ID)
        self._codes: dict[str, Team] = {}
        self._teams: dict[str, Team] = {}  # token -> workspace
        self._caller = threading.local()

    def add_install(self, code: str, team: Team) -> None:
        """Slack's answer to ``oauth.v2.access`` with ``code`` (once): ``team``'s bot token."""
        with self._lock:
            self._codes[code] = team

    def token_team(self, token: str | None) -> Team | None:
        with self._lock:
            return self._teams.get(token or "")

    def tokens_of(self, method: str) -> list[str]:
        """The bearer token of each call to ``method``, in order."""
        return [bearer(call) for call in self.calls_to(method)]

    def _api(
        self, method: str, query: str, raw: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "oauth.v2.access":
            return self._oauth_v2_access(query, raw, headers)
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        self._caller.token = auth.removeprefix("Bearer ").strip() or None
        return super()._api(method, query, raw, headers)

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        team = self.token_team(getattr(self._caller, "token", None))
        if team is None:
            return super()._auth_test(args)
        return {
            "url": f"https://{team.id.lower()}.slack.com/",
            "team": team.name,
            "user": "intake-bot",
            "team_id": team.id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "is_enterprise_install": False,
        }

    def _build_view(self, view: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """A view belongs to the workspace whose token opened it (Bolt reads a submission's
        workspace from ``view.app_installed_team_id``)."""
        built = super()._build_view(view, **kwargs)
        team = self.token_team(getattr(self._caller, "token", None))
        if team is not None:
            built.update(team_id=team.id, app_installed_team_id=team.id, bot_id=team.bot_id)
        return built

    def _oauth_v2_access(
        self, query: str, raw: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        args = self._decode(query, raw, headers)
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        with self._cond:
            try:
                if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
                    raise SlackError("invalid_client_id")
                team = self._codes.pop(str(args.get("code")), None)
                if team is None:
                    raise SlackError("invalid_code")
                self._tokens.add(team.token)
                self._teams[team.token] = team
                body: dict[str, Any] = {
                    "ok": True,
                    "app_id": APP_ID,
                    "authed_user": {"id": INSTALLER},
                    "scope": ",".join(SCOPES_GRANTED),
                    "token_type": "bot",
                    "access_token": team.token,
                    "bot_user_id": team.bot_user_id,
                    "team": {"id": team.id, "name": team.name},
                    "enterprise": None,
                    "is_enterprise_install": False,
                }
                status = 200
            except SlackError as error:
                status, body = error.status, {"ok": False, "error": error.error}
            self.calls.append(
                ApiCall(
                    method="oauth.v2.access",
                    args=args,
                    headers=headers,
                    at=time.time(),
                    status=status,
                    response=body,
                )
            )
            self._cond.notify_all()
        return status, body, {}


def bearer(call: ApiCall) -> str:
    auth = next((v for k, v in call.headers.items() if k.lower() == "authorization"), "")
    return auth.removeprefix("Bearer ").strip()


SCOPES_GRANTED: list[str] = []  # set from bot.oauth.BOT_SCOPES by the fixture below


# -- the bot ------------------------------------------------------------------------------------


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class MultiBot:
    """The bot in multi-workspace mode, served on 127.0.0.1 by Bolt's WSGI adapter."""

    container: Container
    app: App
    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    def get(self, path: str, **query: str) -> HttpAnswer:
        """A browser's GET (cookies kept, redirects not followed)."""
        url = f"{self.base_url}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, method="GET")
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers, data = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, data = error.code, error.headers, error.read()
        for value in headers.get_all("Set-Cookie") or []:
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return HttpAnswer(status, dict(headers.items()), data.decode("utf-8", "replace"))

    def install(self, slack: MultiWorkspaceSlack, team: Team) -> HttpAnswer:
        """The whole install of the app in ``team``, as an admin's browser does it."""
        page = self.get("/slack/install")
        assert page.status == 200, page
        url = authorize_url(page.body)
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]
        code = f"code-{team.id}-{state[:8]}"
        slack.add_install(code, team)
        return self.get("/slack/oauth_redirect", code=code, state=state)


def authorize_url(page: str) -> str:
    """The "Add to Slack" link of Bolt's install page."""
    found = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page)
    assert found, page
    return found.group(1).replace("&amp;", "&")


@pytest.fixture
def multi_slack() -> Iterator[MultiWorkspaceSlack]:
    from bot.oauth import BOT_SCOPES

    SCOPES_GRANTED[:] = BOT_SCOPES
    fake = MultiWorkspaceSlack().start()
    for user, name in ((REQUESTER, "alice"), (LEAD, "lee"), (OWNER, "owen"), (INSTALLER, "ada")):
        fake.add_user(user, name, tz="Europe/Berlin")
    fake.add_channel(REVIEW_CHANNEL, "platform-review")
    fake.add_channel(DIGEST_CHANNEL, "platform-digest")
    with checked(fake):
        yield fake


@pytest.fixture
def multi_bot(
    database_url: str, multi_slack: MultiWorkspaceSlack, clock: MovableClock
) -> Iterator[MultiBot]:
    settings = load_settings(
        database_url=database_url,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=multi_slack.api_url,
        intake_review_channel=REVIEW_CHANNEL,
        intake_digest_channel=DIGEST_CHANNEL,
        intake_leads=LEAD,
        intake_timezone="UTC",
        _env_file=None,
    )
    container = build(settings, clock=clock, migrate=True)
    app = create_app(container, pacer=unhurried_pacer())
    unwatch = multi_slack.watch(container.in_flight.wait_idle)  # wait_idle waits for its work
    try:
        with serve_wsgi(SlackRequestHandler(app)) as base_url:
            yield MultiBot(container, app, base_url)
    finally:
        unwatch()
        container.db_engine.dispose()
