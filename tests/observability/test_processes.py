"""`intake-bot serve` and `intake-bot worker` as deployed: JSON log lines on stderr, and
/metrics (the worker with --metrics-port)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver
from tests.observability.conftest import scrape, value

INTAKE_BOT = str(Path(sys.executable).parent / "intake-bot")
TOKEN = "xoxb-test-token"
SECRET = "process-signing-secret"


@pytest.fixture
def env(tmp_path: Path, fake_slack: FakeSlack) -> dict[str, str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INTAKE_", "DATABASE_"))
    }
    clean.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'intake.db'}",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_API_URL=fake_slack.api_url,
        INTAKE_TIMEZONE="UTC",
    )
    return clean


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_line(stream: IO[str], pattern: str, seen: list[str]) -> re.Match[str]:
    for line in stream:
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(seen)}")


def _json_lines(lines: list[str]) -> list[dict[str, object]]:
    parsed = [json.loads(line) for line in lines if line.strip()]
    assert all(
        {"timestamp", "level", "logger", "message", "request_id"} <= p.keys() for p in parsed
    )
    return parsed


def test_the_worker_serves_metrics_and_logs_json(env: dict[str, str]) -> None:
    process = subprocess.Popen(
        [INTAKE_BOT, "worker", "--metrics-host", "127.0.0.1", "--metrics-port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        found = _wait_for_line(
            process.stderr, r"metrics on http://127\.0\.0\.1:(\d+)/metrics", seen
        )
        base = f"http://127.0.0.1:{found.group(1)}"
        samples = scrape(f"{base}/metrics")
        assert value(samples, "intake_database_up") == 1
        # Its loops go round: the scheduler's first tick at start, the sender every second.
        deadline = time.monotonic() + 20
        while not (
            (value(samples, "intake_followthrough_ticks_total") or 0) >= 1
            and (value(samples, "intake_outbox_sender_rounds_total") or 0) >= 2
        ):
            assert time.monotonic() < deadline, "the worker's loops did not go round"
            time.sleep(0.05)
            samples = scrape(f"{base}/metrics")
        assert value(samples, "intake_asks", status="submitted") == 0
        assert value(samples, "intake_outbox_depth", outbox="slack") == 0
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as health:
            assert health.status == 200
    finally:
        process.terminate()
        _, rest = process.communicate(timeout=20)
    assert process.returncode == 0, "".join(seen) + rest
    logged = _json_lines(seen + rest.splitlines())
    assert any("follow-through scheduler started" in str(p["message"]) for p in logged)
    assert TOKEN not in "".join(seen) + rest


def test_serve_logs_json_with_request_ids_and_serves_metrics(
    env: dict[str, str], fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0ALICE", "alice", tz="Europe/Berlin")
    port = _free_port()
    process = subprocess.Popen(
        [INTAKE_BOT, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "SLACK_SIGNING_SECRET": SECRET, "INTAKE_RUN_SCHEDULER": "false"},
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        _wait_for_line(process.stderr, r"listening on http://127\.0\.0\.1:\d+", seen)
        driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", SECRET, fake_slack)
        assert driver.slash_command("U0ALICE", "we need a postgres db for billing").status == 200
        fake_slack.wait_for("chat.postMessage", count=2, timeout=10)
        deadline = time.monotonic() + 5
        while True:  # the fake records a call a moment before the bot has its answer
            samples = scrape(f"http://127.0.0.1:{port}/metrics")
            posted = value(
                samples, "intake_slack_api_calls_total", method="chat.postMessage", status="ok"
            )
            if (posted or 0) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert posted is not None and posted >= 2
        assert value(samples, "intake_ack_seconds_count", kind="command") == 1
        assert value(samples, "intake_asks", status="draft") == 1
        assert value(samples, "intake_followthrough_ticks_total") is None, "no scheduler here"
        assert value(samples, "intake_outbox_sender_rounds_total") is not None
    finally:
        process.terminate()
        _, rest = process.communicate(timeout=20)
    logged = _json_lines(seen + rest.splitlines())
    requests = [p for p in logged if str(p["message"]).startswith("slack request kind=command")]
    assert len(requests) == 1 and requests[0]["request_id"]
    text = "".join(seen) + rest
    assert TOKEN not in text and SECRET not in text
    assert "postgres db for billing" not in text


def test_the_log_format_can_be_chosen(env: dict[str, str]) -> None:
    result = subprocess.run(
        [INTAKE_BOT, "--log-format", "json", "db", "upgrade"],
        env={**env, "LOG_LEVEL": "DEBUG"},  # alembic's "Running upgrade" lines
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Database is at revision" in result.stdout
    logged = _json_lines(result.stderr.splitlines())
    assert any(p["logger"] == "alembic.runtime.migration" for p in logged), result.stderr
