"""The bot under waitress as `serve` runs it, with its metrics: the real Bolt app, signed
requests from SlackDriver, the fake Slack Web API, and GET /metrics read over HTTP."""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.bootstrap import Container, build
from bot.observability.logs import configure_logging, remove_logging
from bot.observability.metrics import Metrics
from bot.serving import WsgiApp, close_when_idle, create_server, run_in_thread
from bot.settings import load_settings
from tests.e2e.conftest import (
    BOT_TOKEN,
    LEAD,
    OWNER,
    REQUESTER,
    REVIEW_CHANNEL,
    SIGNING_SECRET,
    START,
    MovableClock,
    unhurried_pacer,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET ``url`` (a /metrics endpoint): every sample as {(name, sorted labels): value}."""
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


class ObservedBot:
    """One replica as `serve` wires it: WsgiApp with a Metrics on the container's database
    and clock, counting the app client's Web API calls."""

    def __init__(self, database_url: str, fake: FakeSlack, clock: MovableClock, **settings: Any):
        self.database_url = database_url
        self.fake = fake
        self.clock = clock
        self.settings = settings
        self.container: Container | None = None
        self.metrics: Metrics | None = None
        self.app: Any = None
        self._server: Any = None
        self._unwatch: Callable[[], None] | None = None
        self.base_url = ""

    def start(self) -> ObservedBot:
        settings = load_settings(
            database_url=self.database_url,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.fake.api_url,
            intake_review_channel=REVIEW_CHANNEL,
            intake_leads=LEAD,
            intake_timezone="UTC",
            _env_file=None,
            **self.settings,
        )
        self.container = build(settings, clock=self.clock, migrate=True)
        self.app = create_app(self.container, pacer=unhurried_pacer())
        self._unwatch = self.fake.watch(self.container.in_flight.wait_idle)
        self.metrics = Metrics(self.container.db_engine, clock=self.clock)
        assert self.metrics.watch_slack(self.app.client)
        wsgi = WsgiApp(self.app, self.container.db_engine, self.metrics)
        self._server = create_server(wsgi, "127.0.0.1", 0)
        self.base_url = f"http://127.0.0.1:{self._server.effective_port}"
        run_in_thread(self._server, "observed-bot")
        return self

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return scrape(f"{self.base_url}/metrics")

    def stop(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._server is not None:
            close_when_idle(self._server)
            self._server = None
        if self.container is not None:
            self.container.db_engine.dispose()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def slack(fake_slack: FakeSlack) -> FakeSlack:
    fake_slack.add_user(REQUESTER, "alice", tz="Europe/Berlin")
    fake_slack.add_user(LEAD, "lee", tz="Europe/London")
    fake_slack.add_user(OWNER, "owen", tz="Pacific/Auckland")
    fake_slack.add_channel(REVIEW_CHANNEL, "platform-review")
    fake_slack.add_channel("C0REQUESTS", "platform-requests")
    return fake_slack


@pytest.fixture
def make_bot(slack: FakeSlack, clock: MovableClock) -> Iterator[Callable[..., ObservedBot]]:
    started: list[ObservedBot] = []

    def make(database_url: str, **settings: Any) -> ObservedBot:
        bot = ObservedBot(database_url, slack, clock, **settings).start()
        slack.clear()  # auth.test at start-up was before the metrics were attached
        started.append(bot)
        return bot

    yield make
    for bot in started:
        bot.stop()


@pytest.fixture
def bot(make_bot: Callable[..., ObservedBot], tmp_path: Any) -> ObservedBot:
    return make_bot(f"sqlite:///{tmp_path / 'intake.db'}")


@pytest.fixture
def driver(bot: ObservedBot, slack: FakeSlack) -> SlackDriver:
    return SlackDriver(bot.events_url, SIGNING_SECRET, slack)


@dataclass
class LogLine:
    raw: str
    record: dict[str, Any]

    @property
    def level(self) -> int:
        return logging.getLevelName(str(self.record["level"]))  # type: ignore[no-any-return]


class JsonLogs:
    """What configure_logging(..., "json") wrote, line by line."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[LogLine]:
        return [LogLine(raw, json.loads(raw)) for raw in self.text.splitlines() if raw.strip()]

    def wait_for(self, predicate: Callable[[LogLine], bool], timeout: float = 5.0) -> LogLine:
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines():
                if predicate(line):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError("no such log line:\n" + self.text)
            time.sleep(0.02)


@pytest.fixture
def json_logs() -> Iterator[Callable[..., JsonLogs]]:
    """``json_logs(level)``: JSON logging as `serve` sets it up, into a buffer; undone after
    the test."""
    root = logging.getLogger()
    saved = root.level, logging.getLogger("alembic").level
    handlers: list[logging.Handler] = []

    def start(
        level: str = "INFO", secrets: tuple[str, ...] = (BOT_TOKEN, SIGNING_SECRET)
    ) -> JsonLogs:
        stream = io.StringIO()
        handlers.append(configure_logging(level, "json", secrets=secrets, stream=stream))
        return JsonLogs(stream)

    yield start
    for handler in handlers:
        remove_logging(handler)
    root.setLevel(saved[0])
    logging.getLogger("alembic").setLevel(saved[1])
