"""Fake Slack fixtures (a pytest plugin, registered from tests/conftest.py).

- ``fake_slack``: a started FakeSlack; at teardown it is stopped and the test fails if the fake
  recorded any violation (Block Kit, trigger_id, response_url, rate limit, slow ack) unless the
  test called ``fake_slack.expect_violations()``.
- ``slack_driver_factory(events_url, signing_secret, **kw)``: a SlackDriver bound to fake_slack.
- ``serve_wsgi(app)``: context manager serving any WSGI app (e.g. Bolt's
  ``slack_bolt.adapter.wsgi.SlackRequestHandler(app)``) on 127.0.0.1 in a daemon thread;
  yields the base URL ("http://127.0.0.1:PORT").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_wsgi(app: Callable[..., Any]) -> Iterator[str]:
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="wsgi", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def format_violations(violations: list[tuple[str, str]]) -> str:
    return "\n".join(f"  {method}: {reason}" for method, reason in violations)


@contextmanager
def checked(fake: FakeSlack) -> Iterator[FakeSlack]:
    """``fake`` (started) for one test: stopped after it, and the test fails if the fake
    recorded a violation the test did not expect."""
    try:
        yield fake
    finally:
        fake.stop()
    if fake.violations and not fake._violations_expected:
        pytest.fail(
            f"fake Slack recorded {len(fake.violations)} violation(s) "
            f"(call fake_slack.expect_violations() if the test provokes them):\n"
            + format_violations(fake.violations),
            pytrace=False,
        )


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with checked(FakeSlack().start()) as fake:
        yield fake


@pytest.fixture
def slack_driver_factory(fake_slack: FakeSlack) -> Callable[..., SlackDriver]:
    def make(events_url: str, signing_secret: str, **kwargs: Any) -> SlackDriver:
        return SlackDriver(events_url, signing_secret, fake_slack, **kwargs)

    return make
