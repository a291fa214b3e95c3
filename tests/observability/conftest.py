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
from slack_bolt import App

from bot.bootstrap import Container
from bot.observability.logs import configure_logging, remove_logging
from bot.observability.metrics import Metrics
from bot.serving import WsgiApp, http_app
from tests.e2e.conftest import (
    BOT_TOKEN,
    LEAD,
    SIGNING_SECRET,
    BotServer,
    bot,
    clock,
    driver,
    make_bot,
    slack,
    sqlite_url,
)

__all__ = ["bot", "bot_class", "clock", "driver", "make_bot", "slack", "sqlite_url"]


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


class ObservedBot(BotServer):
    """One replica as `serve` wires it: WsgiApp with a Metrics on the container's database
    and clock, counting the app client's Web API calls."""

    leads = LEAD
    metrics: Metrics | None = None
    app: Any = None

    def start(self) -> ObservedBot:
        super().start()
        self.fake.clear()  # auth.test at start-up was before the metrics were attached
        return self

    def wsgi(self, app: App, container: Container) -> WsgiApp:
        self.app = app
        self.metrics = Metrics(container.db_engine, clock=self.clock)
        assert self.metrics.watch_slack(app.client)
        return http_app(app, container, self.metrics)

    def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return scrape(f"{self.base_url}/metrics")


@pytest.fixture
def bot_class() -> type[BotServer]:
    return ObservedBot


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
