"""End-to-end harness: the real Bolt app, served by waitress on a free loopback port, signed
Slack-shaped requests from SlackDriver, and its WebClient talking to FakeSlack over HTTP; for the
tracker suites, fake GitHub and Jira servers and a bot whose tracker file points at them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import App

from bot.app import create_app
from bot.bootstrap import Container, build
from bot.oauth import OneWorkspace
from bot.pacing import Limits, Pacer
from bot.queue_kinds import queue_kinds
from bot.runner import Runner
from bot.serving import WsgiApp, close_when_idle, create_server, http_app, run_in_thread
from bot.settings import load_settings
from storage import slack_outbox
from storage.pace import MemoryPaceStore
from tests.dbfixtures import provide_database_url
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver

SIGNING_SECRET = "e2e-signing-secret"
BOT_TOKEN = "xoxb-test-token"
REVIEW_CHANNEL = "C0REVIEW"
REQUESTER = "U0ALICE"
OTHER = "U0BOB"
LEAD = "U0LEE"  # a lead by user ID
GROUP_LEAD = "U0KIM"  # a lead through the user group LEADS_GROUP
LEADS_GROUP = "S0LEADS"
OWNER = "U0OWEN"
# Monday 23 Nov 2026, 09:30 in Berlin.
START = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def unhurried_pacer() -> Pacer:
    """A pacer that never waits: these tests type faster than people do, and the pacing
    itself is tested on its own (tests/unit/test_pacing.py, tests/e2e/test_pacing.py and
    benchmarks/fanout.py)."""
    fast = Limits(per_minute=60_000, burst=10_000, reserve_per_minute=60_000, reserve_burst=10_000)
    return Pacer(MemoryPaceStore(), limits={}, default_limits=fast)


class MovableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


class BotServer:
    """One running replica of the bot; ``restart()`` starts a fresh process-equivalent (new
    app, new container) on the same database, as after a crash or a deploy.

    ``migrate``: bring the database to the newest schema first (a subclass may turn it off for a
    database copied from one already migrated, which saves the migration run)."""

    migrate = True
    leads = f"{LEAD},{LEADS_GROUP}"  # intake_leads

    def __init__(
        self, database_url: str, fake: FakeSlack, clock: MovableClock, **settings: Any
    ) -> None:
        self.settings = settings  # extra configuration, e.g. intake_webhook_url
        self.database_url = database_url
        self.fake = fake
        self.clock = clock
        self.container: Container | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._unwatch: Callable[[], None] | None = None
        self.runner: Runner | None = None
        self.events_url = ""

    def start(self) -> BotServer:
        settings = load_settings(
            database_url=self.database_url,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.fake.api_url,
            intake_review_channel=REVIEW_CHANNEL,
            intake_leads=self.leads,
            intake_timezone="UTC",
            _env_file=None,
            **self.settings,
        )
        self.container = build(settings, clock=self.clock, migrate=self.migrate)
        app = create_app(self.container, pacer=unhurried_pacer())
        # The queue's runner with the handlers configured (webhook, trackers), as `serve`
        # runs it (bot.background); commits that queue events wake it. Queued Slack messages
        # are left to the tests, which send them when the story says (``send_due``).
        kinds = queue_kinds(self.container, OneWorkspace(app.client))
        kinds.pop(slack_outbox.KIND, None)
        if kinds:
            self.runner = Runner(
                self.container.db_engine,
                self.container.clock,
                kinds,
                poll_s=0.2,
                in_flight=self.container.in_flight,
            )
            self.runner.start()
            self.container.notify_queue = self.runner.notify
        # The fake's wait_idle() waits for this bot's work in flight, not for a quiet gap.
        self._unwatch = self.fake.watch(self.container.in_flight.wait_idle)
        self._server = create_server(self.wsgi(app, self.container), "127.0.0.1", 0)
        port = self._server.effective_port
        self.events_url = f"http://127.0.0.1:{port}/slack/events"
        # run_in_thread: a close() from stop() while the loop waits is an ordinary end.
        self._thread = run_in_thread(self._server, "e2e-bot")
        return self

    @property
    def base_url(self) -> str:
        return self.events_url.removesuffix("/slack/events")

    def wsgi(self, app: App, container: Container) -> WsgiApp:
        """What the server serves: the app as `serve` wraps it (a subclass may add to it)."""
        return http_app(app, container)

    def stop(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._server is not None:
            if self.container is not None:  # let the listeners running finish first
                self.container.in_flight.wait_idle(5)
            close_when_idle(self._server)
            self._server = None
        if self.container is not None:
            if self.runner is not None:
                self.runner.stop(time.monotonic() + 5)
                self.runner = None
            self.container.db_engine.dispose()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def slack(fake_slack: FakeSlack) -> FakeSlack:
    fake_slack.add_user(REQUESTER, "alice", tz="Europe/Berlin")
    fake_slack.add_user(OTHER, "bob", tz="America/New_York")
    fake_slack.add_user(LEAD, "lee", tz="Europe/London")
    fake_slack.add_user(GROUP_LEAD, "kim", tz="Asia/Tokyo")
    fake_slack.add_user(OWNER, "owen", tz="Pacific/Auckland")
    fake_slack.add_usergroup(LEADS_GROUP, [GROUP_LEAD], handle="platform-leads")
    fake_slack.add_channel(REVIEW_CHANNEL, "platform-review")
    fake_slack.add_channel("C0REQUESTS", "platform-requests")
    return fake_slack


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated SQLite database of the test's own (a copy of the session's template)."""
    return provide_database_url(request, "sqlite", tmp_path)


@pytest.fixture
def bot_class() -> type[BotServer]:
    """The harness ``bot`` and ``make_bot`` start (a suite may override it with a subclass)."""
    return BotServer


@pytest.fixture
def bot(
    sqlite_url: str, slack: FakeSlack, clock: MovableClock, bot_class: type[BotServer]
) -> Iterator[BotServer]:
    server = bot_class(sqlite_url, slack, clock).start()
    yield server
    server.stop()


@pytest.fixture
def driver(bot: BotServer, slack: FakeSlack) -> SlackDriver:
    return SlackDriver(bot.events_url, SIGNING_SECRET, slack)


@pytest.fixture
def make_bot(
    slack: FakeSlack, clock: MovableClock, bot_class: type[BotServer]
) -> Iterator[Callable[..., BotServer]]:
    """Bots on a database of the test's choosing (e.g. PostgreSQL), with extra settings if
    given; stopped after the test."""
    started: list[BotServer] = []

    def make(database_url: str, **settings: Any) -> BotServer:
        server = bot_class(database_url, slack, clock, **settings).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def model_bot(
    make_bot: Callable[..., BotServer], fake_openai: FakeOpenAI, tmp_path: Path
) -> BotServer:
    """The bot with an OpenAI-compatible model configured (the fake answers what the test's
    ``fake_openai.responder`` says)."""
    return make_bot(
        f"sqlite:///{tmp_path / 'model.db'}",
        openai_base_url=fake_openai.base_url,
        intake_llm_model="fake-gpt",
        intake_llm_timeout=2,
    )


# -- fake trackers (the tests/e2e/test_tracker_*.py suites) -----------------------------------


REPO = "acme/platform"
GITHUB_ROUTE = [{"tracker": "github", "project": REPO}]
OWNER_EMAIL = "owen@example.com"  # the e2e workspace's owner, as FakeSlack gives e-mails


@pytest.fixture(name="github")
def github_fixture() -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    fake.add_user("owen", OWNER_EMAIL)
    fake.add_user("lee", "lee@example.com")
    fake.add_repo(REPO, collaborators=("owen", "lee"))
    yield fake
    fake.stop()


@pytest.fixture(name="jira")
def jira_fixture() -> Iterator[FakeJira]:
    fake = FakeJira().start()
    owen = fake.add_user("Owen", OWNER_EMAIL)
    fake.add_project("DBA", members=(owen,))
    yield fake
    fake.stop()


def tracker_file(
    where: Path,
    *,
    github: FakeGitHub | None = None,
    jira: FakeJira | None = None,
    routes: list[dict[str, str]],
) -> Path:
    """The YAML of INTAKE_TRACKERS_FILE, with each secret in a file of its own."""

    def secret(name: str, value: str) -> str:
        path = where / name
        path.write_text(value + "\n", encoding="utf-8")
        return str(path)

    config: dict[str, Any] = {"routes": routes}
    if github is not None:
        config["github"] = {
            "api_url": github.url,
            "token_file": secret("github-token", github.token),
            "webhook_secret_file": secret("github-hook", github.webhook_secret),
        }
    if jira is not None:
        config["jira"] = {
            "url": jira.url,
            "email": jira.email,
            "token_file": secret("jira-token", jira.token),
            "webhook_secret_file": secret("jira-hook", jira.webhook_secret),
        }
    path = where / "trackers.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(name="tracked_bot")
def tracked_bot_fixture(
    make_bot: Callable[..., BotServer], tmp_path: Path
) -> Callable[..., BotServer]:
    """Starts a bot on a database of the test's choosing whose INTAKE_TRACKERS_FILE points at
    the fake trackers given, with the routes given (everything to GitHub's REPO by default)."""

    def start(
        database_url: str,
        *,
        github: FakeGitHub | None = None,
        jira: FakeJira | None = None,
        routes: list[dict[str, str]] | None = None,
    ) -> BotServer:
        config = tracker_file(tmp_path, github=github, jira=jira, routes=routes or GITHUB_ROUTE)
        bot = make_bot(database_url, intake_trackers_file=str(config))
        assert bot.container is not None
        return bot

    return start
