"""The `intake-bot` console script, run as a person would, with stdin piped in."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy

import storage
from storage.db import head_revision
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver

INTAKE_BOT = str(Path(sys.executable).parent / "intake-bot")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INTAKE_", "DATABASE_"))
    }
    clean.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'intake.db'}", INTAKE_TIMEZONE="Europe/Berlin"
    )
    return clean


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INTAKE_BOT, *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=env.get("HOME", "/"),
    )


def chat(env: dict[str, str], user: str, *lines: str) -> subprocess.CompletedProcess[str]:
    """`intake-bot chat --user USER` with each line typed and Enter pressed; it ends well."""
    result = run(env, "chat", "--user", user, stdin="".join(line + "\n" for line in lines))
    assert result.returncode == 0, result.stderr
    return result


def test_chat_from_ask_to_submitted_ticket(env: dict[str, str]) -> None:
    result = chat(
        env,
        "alice",
        "we need a postgres db for billing asap",
        "2",  # environment: the second option (staging)
        "about 200 GB",
        "invoices can't be generated without it",
        "billing-api connects to it from staging; nightly backups restore in under 1 hour",
        "submit",
    )
    out = result.stdout
    assert "Request type: Database" in out and "Engine: PostgreSQL" in out
    assert "Question 1:" in out and "[2] staging" in out
    assert "Ready for review" in out or "ready for review" in out
    assert "Submitted as PLAT-1." in out
    assert "Traceback" not in out + result.stderr

    listed = run(env, "asks", "list")
    assert "PLAT-1" in listed.stdout and "submitted" in listed.stdout
    shown = run(env, "asks", "show", "plat-1")
    assert "PostgreSQL database for billing" in shown.stdout
    assert "alice: draft -> submitted" in shown.stdout

    exported = json.loads(run(env, "asks", "export", "--format", "json").stdout)
    ticket = exported[0]
    assert ticket["id"] == "PLAT-1" and ticket["status"] == "submitted"
    assert ticket["environment"] == ["staging"] and ticket["fields"]["engine"] == "PostgreSQL"
    assert (
        ticket["acceptance_criteria"]
        and ticket["milestones"]
        and ticket["history"][0]["to"] == "submitted"
    )
    for key in (
        "problem",
        "impact",
        "desired_outcome",
        "out_of_scope",
        "deadline",
        "services",
        "priority",
        "size",
    ):
        assert key in ticket
    rows = list(csv.DictReader(io.StringIO(run(env, "asks", "export", "--format", "csv").stdout)))
    assert rows[0]["id"] == "PLAT-1" and rows[0]["environment"] == "staging"


def test_chat_keeps_not_sure_as_a_note_and_exports_it(env: dict[str, str]) -> None:
    result = chat(
        env,
        "alice",
        "we need a postgres db for billing asap",
        "staging",
        "no idea tbh",  # storage: noted, not asked again
        "invoices can't be generated without it",
        "billing-api connects to it from staging",
        "submit",
    )
    out = result.stdout
    assert "From the requester's answers:" in out and "Storage: not sure — “no idea tbh”" in out
    assert out.count("how much storage") == 1, "not asked again"
    ticket = json.loads(run(env, "asks", "export", "--format", "json").stdout)[0]
    assert ticket["answer_notes"] == {"storage_gb": "not sure — “no idea tbh”"}
    assert "storage_gb" not in ticket["fields"]


def test_chat_stopped_halfway_resumes_where_it_left_off(env: dict[str, str]) -> None:
    first = run(env, "chat", "--user", "bob", stdin="we need a postgres db for billing\nstaging\n")
    assert "Saved. Run `intake-bot chat --user bob` again to continue" in first.stdout
    second = run(env, "chat", "--user", "bob", stdin="y\n300 GB\n")
    assert "You have an unfinished intake" in second.stdout
    assert "Question 2:" in second.stdout, "it repeats the open question"
    assert "Question 3:" in second.stdout, "and goes on after the answer"


HEAVY = ("slack_bolt", "slack_sdk", "sqlalchemy", "alembic", "openai", "pydantic", "apscheduler")
HELP_AND_MODULES = """
import json, sys
from bot.cli import main
try:
    main(sys.argv[1:], prog_name="intake-bot")
except SystemExit as stop:
    assert not stop.code, stop.code
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("args", [["--help"], ["sandbox", "--help"], ["asks", "--help"]])
def test_help_answers_without_loading_slack_the_database_or_the_model(
    env: dict[str, str], args: list[str]
) -> None:
    """`intake-bot --help` is instant: the help loads none of the bot's heavy dependencies (a
    command imports them when it runs)."""
    result = subprocess.run(
        [sys.executable, "-c", HELP_AND_MODULES, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=env.get("HOME", "/"),
    )
    assert result.returncode == 0, result.stderr
    *help_lines, modules = result.stdout.splitlines()
    assert help_lines[0].startswith("Usage: intake-bot")
    assert "Commands:" in help_lines or "Options:" in help_lines
    loaded = set(json.loads(modules))
    assert "click" in loaded, "the check sees what was imported"
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


def test_ctrl_d_names_the_command_the_chat_was_started_with(env: dict[str, str]) -> None:
    """`./dev chat` sets INTAKE_LAUNCHER: `intake-bot` is not on the PATH of someone who
    started that way, so Ctrl-D's hint says `./dev chat`."""
    login = {**env, "USER": "carol", "LOGNAME": "carol", "INTAKE_LAUNCHER": "./dev chat"}
    first = run(login, "chat", stdin="we need a postgres db for billing\n")
    assert "Saved. Run `./dev chat` again to continue where you left off." in first.stdout
    assert "intake-bot" not in first.stdout
    second = run(login, "chat", stdin="y\n")
    assert "You have an unfinished intake" in second.stdout


def test_serve_without_slack_tokens_says_what_to_set(env: dict[str, str]) -> None:
    result = run(env, "serve")
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "SLACK_SIGNING_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_names_the_variable(env: dict[str, str]) -> None:
    result = run({**env, "INTAKE_TIMEZONE": "Mars/Olympus"}, "asks", "list")
    assert result.returncode == 2
    assert "INTAKE_TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_reports_the_revision(env: dict[str, str]) -> None:
    result = run(env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert f"Database is at revision {head_revision()}." in result.stdout


def test_an_upgrade_that_would_drop_waiting_requests_is_refused_in_one_clear_line(
    env: dict[str, str],
) -> None:
    engine = storage.make_engine(env["DATABASE_URL"])
    storage.upgrade(engine, "0014")
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO slack_jobs (body, content_type, created_at, attempts) "
                "VALUES ('payload=1', 'application/x-www-form-urlencoded', CURRENT_TIMESTAMP, 0)"
            )
        )
    engine.dispose()
    for args in (("db", "upgrade"), ("asks", "list")):  # asks list migrates SQLite at start
        result = run(env, *args)
        assert result.returncode == 2, result.stdout
        assert "1 deferred Slack request(s)" in result.stderr
        assert "DELETE FROM slack_jobs" in result.stderr and "Traceback" not in result.stderr


def test_serve_runs_the_bot_over_http(env: dict[str, str], fake_slack: FakeSlack) -> None:
    """The production entry point: `intake-bot serve` answers Slack and /healthz."""
    fake_slack.add_user("U0ALICE", "alice", tz="Europe/Berlin")
    serve_env = {
        **env,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "cli-secret",
        "SLACK_API_URL": fake_slack.api_url,
    }
    process = subprocess.Popen(
        [INTAKE_BOT, "serve", "--host", "127.0.0.1", "--port", "0"],
        env=serve_env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = None
        assert process.stderr is not None
        for line in process.stderr:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "serve did not say where it listens"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
            assert health.status == 200
        driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", "cli-secret", fake_slack)
        assert driver.slash_command("U0ALICE", "we need a postgres db for billing").status == 200
        fake_slack.wait_for("chat.postMessage", count=2, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_digest_preview_prints_the_digest_and_sends_nothing(env: dict[str, str]) -> None:
    chat(
        env,
        "alice",
        "we need a postgres db for billing asap",
        "2",
        "200 GB",
        "invoices stop",
        "billing-api connects",
        "submit",
    )
    result = run({**env, "INTAKE_DIGEST_CHANNEL": "C0DIGEST"}, "digest", "preview")
    assert result.returncode == 0, result.stderr
    assert "=== digest to C0DIGEST" in result.stdout
    assert "Review queue:* 1 waiting" in result.stdout and "PLAT-1" in result.stdout


def test_worker_runs_until_stopped(env: dict[str, str], fake_slack: FakeSlack) -> None:
    worker_env = {**env, "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": fake_slack.api_url}
    process = subprocess.Popen(
        [INTAKE_BOT, "worker"],
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "worker running" in process.stdout.readline()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "follow-through scheduler started" in stderr and "Traceback" not in stderr


def test_an_unreachable_database_is_one_clear_line(env: dict[str, str]) -> None:
    result = run(
        {**env, "DATABASE_URL": "postgresql://intake:secret@127.0.0.1:1/intake"}, "asks", "list"
    )
    assert result.returncode == 2
    assert "Cannot reach the database DATABASE_URL=" in result.stderr
    assert "secret" not in result.stderr and "Traceback" not in result.stderr


def test_a_token_slack_rejects_is_one_clear_line(
    env: dict[str, str], fake_slack: FakeSlack
) -> None:
    bad = {
        **env,
        "SLACK_BOT_TOKEN": "xoxb-revoked",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": fake_slack.api_url,
    }
    result = run(bad, "serve", "--port", "0")
    assert result.returncode == 2
    assert "Slack did not accept SLACK_BOT_TOKEN (invalid_auth)" in result.stderr
    assert "xoxb-revoked" not in result.stderr and "Traceback" not in result.stderr


def test_chat_takes_corrections_and_field_names_as_people_say_them(env: dict[str, str]) -> None:
    result = chat(
        env,
        "dana",
        "our checkout-web pipeline is slow, builds take 40 minutes",
        "deadline: 2027-03-18",  # a correction while a question is open
        "done",
        "edit pipeline link",  # not only `edit pipeline_url`
        "https://ci.example.com/checkout-web/runs/812",
        "it's for checkout-api, not checkout-web",
        "main builds in under 10 minutes; no flaky failures for 2 weeks",
    )
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert "Deadline changed: — → Thu 18 Mar 2027" in out
    assert "Which field?" not in out, "the pipeline link is known by its label"
    assert "Pipeline link: https://ci.example.com/checkout-web/runs/812" in out
    assert "Services changed: checkout-web → checkout-api" in out
    assert "Acceptance criteria changed: — → main builds in under 10 minutes" in out
    exported = json.loads(run(env, "asks", "export", "--format", "json").stdout)[0]
    assert exported["services"] == ["checkout-api"]
    assert exported["fields"]["pipeline_url"] == "https://ci.example.com/checkout-web/runs/812"
    assert exported["acceptance_criteria"] == [
        "main builds in under 10 minutes",
        "no flaky failures for 2 weeks",
    ]
    assert exported["deadline"] == "2027-03-18"


def test_chat_asks_which_type_when_two_are_close_and_resumes_that_question(
    env: dict[str, str],
) -> None:
    ask = "the k8s nodes cost too much, can we scale them down\n"
    first = run(env, "chat", "--user", "erin", stdin=ask)
    assert "Request type: Compute capacity or Cost?" in first.stdout
    assert "Question 1: Is this closer to Compute capacity (" in first.stdout
    assert "[1] Compute capacity  [2] Cost" in first.stdout
    second = run(env, "chat", "--user", "erin", stdin="y\n2\n")
    assert second.stdout.count("Question 1: Is this closer to") == 1, "asked again on resume"
    assert "Request type changed: Compute capacity → Cost" in second.stdout
    assert "Question 2:" in second.stdout
