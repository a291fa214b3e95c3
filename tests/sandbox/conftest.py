"""The sandbox under test: one running sandbox (the real bot, the emulated Slack, the page) on a
clock that starts on Thursday 19 Nov 2026, 10:00 in Berlin; and, for the browser tests, headless
Chromium from the system's packages driven by Playwright (no browser downloads)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.runtime import Sandbox
from bot.sandbox.server import PageServer
from intake.tracker import EnsuredIssue, TrackerIssue
from tests.strict import unavailable
from tests.trackers.conftest import an_ask
from trackers.config import load_tracker_config
from trackers.github import GitHubTracker

ROOT = Path(__file__).resolve().parents[2]
KEY = "intake-T0SANDBOX-{}"  # the idempotency key of ask number n filed into the sandbox's GitHub
THREAD = "https://testteam.slack.com/archives/DU0ALICE/p1795597200000100"
SHOTS = ROOT / "test-output" / "sandbox"
START = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)  # Thursday, 10:00 in Berlin
CHROMIUM = os.environ.get("INTAKE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def no_browser(reason: str) -> None:
    """Skip, or fail where the browser tests are required (``tests.strict``: .ci/run installs
    Chromium and sets INTAKE_TEST_STRICT=1)."""
    unavailable(reason)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(start_at=START).start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(scope="module")
def page_url(sandbox: Sandbox) -> Iterator[str]:
    server = PageServer(sandbox, 0).start()
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        no_browser(
            f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium; or set "
            "INTAKE_CHROMIUM to its path): the sandbox's browser tests need it"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        no_browser("the playwright Python package is not installed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        # launch() gives every run a fresh, temporary profile; executable_path: the system's
        # Chromium, never a downloaded one.
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def page(browser: Any, page_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(page_url)
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def ask(slack_url: str = THREAD) -> TrackerIssue:
    """An ask of Alice's, owned by Owen (by the e-mail Slack has for him)."""
    return replace(an_ask(owner="owen@example.com"), slack_url=slack_url)


def filed(sandbox: Sandbox, ask_id: int, slack_url: str = THREAD) -> EnsuredIssue:
    """The ask filed as the bot files it: the real GitHub adapter, with the configuration the
    sandbox gives the bot (INTAKE_TRACKERS_FILE)."""
    path = sandbox.settings_overrides()["intake_trackers_file"]
    config = load_tracker_config({"INTAKE_TRACKERS_FILE": path})
    assert config is not None and config.github is not None
    route = config.route("T0SANDBOX", "database")
    assert route is not None
    return GitHubTracker(config.github).ensure_issue(
        route.project, ask(slack_url), KEY.format(ask_id)
    )


def node() -> str | None:
    return shutil.which("node") or shutil.which("nodejs")
