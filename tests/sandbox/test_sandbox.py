"""The sandbox without a browser: its clock, its page's JSON API driven over HTTP the way the page
drives it (a whole newcomer's path), the page server's guards, the command, and the emulation's
documented rate limits. The page's mrkdwn renderer: test_mrkdwn.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import cast
from bot.sandbox.clock import SandboxClock, monday_nine, next_monday, stops
from bot.sandbox.runtime import Sandbox
from bot.sandbox.server import PageServer
from bot.sandbox.slack_api import FakeSlack
from bot.settings import load_settings
from tests.e2e.helpers import text_of as text
from tests.sandbox.conftest import ROOT

# One sandbox for the module: its tests run on one worker.
pytestmark = pytest.mark.xdist_group("sandbox")

BERLIN, NEW_YORK, TOKYO = "Europe/Berlin", "America/New_York", "Asia/Tokyo"

# -- the clock -----------------------------------------------------------------------------------


def test_next_monday_is_strictly_after_now_in_the_zone() -> None:
    thursday = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    assert next_monday(thursday, BERLIN) == date(2026, 11, 23)
    monday_early = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    assert next_monday(monday_early, BERLIN) == date(2026, 11, 23)
    monday_late = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    assert next_monday(monday_late, BERLIN) == date(2026, 11, 30)


def test_monday_nine_for_everyone_ends_at_the_last_zone_to_reach_it() -> None:
    thursday = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    target = monday_nine(thursday, BERLIN, [BERLIN, NEW_YORK, TOKYO])
    assert target == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in New York


def test_stops_are_each_zones_nine_oclock_on_the_way_then_the_target() -> None:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # Saturday
    target = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    found = stops(now, target, [BERLIN, TOKYO])
    assert found == [
        datetime(2026, 11, 22, 0, 0, tzinfo=UTC),  # Sunday 09:00 Tokyo
        datetime(2026, 11, 22, 8, 0, tzinfo=UTC),  # Sunday 09:00 Berlin
        datetime(2026, 11, 23, 0, 0, tzinfo=UTC),  # Monday 09:00 Tokyo
        datetime(2026, 11, 23, 8, 0, tzinfo=UTC),  # Monday 09:00 Berlin
        target,
    ]


def test_the_clock_only_moves_forward() -> None:
    clock = SandboxClock(datetime(2026, 11, 19, 9, 0, tzinfo=UTC))
    assert abs(clock.now() - datetime(2026, 11, 19, 9, 0, tzinfo=UTC)) < timedelta(seconds=5)
    clock.advance_to(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    clock.advance_to(datetime(2026, 11, 20, 8, 0, tzinfo=UTC))  # back: ignored
    assert clock.now() >= datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="time zone"):
        SandboxClock(datetime(2026, 11, 19, 9, 0))


# -- configuration -------------------------------------------------------------------------------


def test_the_environment_cannot_point_the_sandbox_at_real_slack_a_database_an_llm_or_a_tracker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-real")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-real")
    monkeypatch.setenv("SLACK_API_URL", "https://slack.com/api/")
    monkeypatch.setenv("DATABASE_URL", "postgresql://prod/intake")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    monkeypatch.setenv("INTAKE_WEBHOOK_URL", "https://hooks.example.com/x")
    monkeypatch.setenv("INTAKE_WEBHOOK_SECRET", "s")
    monkeypatch.setenv("INTAKE_TRACKERS_FILE", "/etc/intake/trackers.yaml")
    box = Sandbox()
    box.fake.start()
    try:
        overrides = box.settings_overrides()
        settings = load_settings(**overrides)
        api_url, workdir = box.fake.api_url, box.workdir
    finally:
        box.stop()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.slack_app_token is None
    assert settings.slack_api_url == api_url
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value().startswith("xoxb-sandbox-")
    assert not settings.llm_enabled
    assert settings.intake_webhook_url is None
    assert settings.intake_leads == [cast.LEAD.id]
    assert settings.intake_review_channel == cast.REVIEW.id
    assert settings.intake_digest_channel == cast.DIGEST.id
    assert overrides["intake_trackers_file"] == str(workdir / "trackers.yaml")  # its own GitHub


# -- the page's API over HTTP -------------------------------------------------------------------


class Page:
    """What the page does, over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=20) as r:
            return json.loads(r.read())

    def post(self, action: str, **body: Any) -> Any:
        request = urllib.request.Request(
            f"{self.url}/api/{action}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read())

    def state(self, user: str, channel: str | None = None, thread: str | None = None) -> Any:
        query = f"as={user}" + (f"&channel={channel}" if channel else "")
        return self.get(f"/api/state?{query}" + (f"&thread={thread}" if thread else ""))

    def wait(self, check: Any, what: str, timeout: float = 15.0) -> Any:
        """Poll, as the page does, until ``check()`` returns something."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return {"action_id": element["action_id"], "block_id": block["block_id"]}
    raise AssertionError(f"no button {label!r} in {text(message)[:300]}")


@pytest.fixture(scope="module")
def site(sandbox: Sandbox) -> Iterator[Page]:
    server = PageServer(sandbox, 0).start()
    try:
        yield Page(server.url)
    finally:
        server.close()


ALICE, LEE, OWEN = cast.REQUESTER.id, cast.LEAD.id, cast.OWNER.id


def test_the_page_and_its_files_are_served(site: Page) -> None:
    with urllib.request.urlopen(site.url + "/", timeout=10) as r:
        html = r.read().decode()
        assert "Platform Intake" in html and "/static/sandbox.js" in html
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    for name in ("sandbox.js", "sandbox.css", "mrkdwn.js"):
        with urllib.request.urlopen(f"{site.url}/static/{name}", timeout=10) as r:
            assert r.status == 200
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{site.url}/static/..%2fserver.py", timeout=10)
    assert missing.value.code == 404
    state = site.state(ALICE, channel="C0REQUESTS")
    assert [p["id"] for p in state["people"]] == [ALICE, LEE, OWEN]
    assert {p["tz"] for p in state["people"]} == {BERLIN, NEW_YORK, TOKYO}
    assert [c["name"] for c in state["channels"]] == [
        "platform-requests",
        "platform-review",
        "platform-digest",
        "Platform Intake",
    ]


def test_only_the_page_itself_can_drive_the_sandbox(site: Page) -> None:
    def attempt(headers: dict[str, str]) -> int:
        request = urllib.request.Request(
            f"{site.url}/api/jump", data=b'{"to": "hour"}', headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    assert attempt({"Content-Type": "text/plain"}) == 403  # a form post from another site
    assert attempt({"Content-Type": "application/json", "Origin": "https://evil.test"}) == 403
    assert attempt({"Content-Type": "application/json", "Host": "evil.test"}) == 403  # rebinding
    with pytest.raises(urllib.error.HTTPError) as bad:
        site.post("send", **{"as": "U0NOBODY", "channel": "C0REQUESTS", "text": "hi"})
    assert bad.value.code == 400


def test_a_newcomers_path_through_the_pages_api(site: Page, sandbox: Sandbox) -> None:
    """/intake, answers by button and by typing, submit; the lead approves in the modal; the
    clock jumps to Monday; the owner's nudge is clicked; digest and Home tabs."""
    dm = sandbox.fake.dm_channel(ALICE)
    assert site.post("send", **{"as": ALICE, "channel": "C0REQUESTS", "text": "/intake "
                     "we need a postgres db for billing asap"})["ok"]  # fmt: skip
    ephemeral = site.state(ALICE, channel="C0REQUESTS")["messages"][-1]
    assert ephemeral["is_ephemeral"] and "DM" in ephemeral["text"]
    assert site.state(LEE, channel="C0REQUESTS")["messages"] == []  # only Alice sees it
    root = site.wait(lambda: site.state(ALICE, channel=dm)["messages"], "the DM thread")[-1]

    def last_from_bot(containing: str) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            thread = site.state(ALICE, channel=dm, thread=root["ts"])["thread"]
            last = thread[-1]
            return last if last.get("bot_id") and containing in text(last) else None

        return site.wait(check, containing)  # type: ignore[no-any-return]

    question = last_from_bot("Question 1")
    assert site.post("act", **{"as": ALICE, "message_ts": question["ts"],
                     **button(question, "production")})["ok"]  # fmt: skip
    for number, answer in [
        (2, "about 200 GB"),
        (3, "invoices can't be generated without it, finance closes the month on it"),
        (4, "billing-api connects to it from production; nightly backups restore in under 1 h"),
    ]:
        last_from_bot(f"Question {number}")
        site.post("send", **{"as": ALICE, "channel": dm, "text": answer, "thread_ts": root["ts"]})
    draft = last_from_bot("Ready for review")
    site.post("act", **{"as": ALICE, "message_ts": draft["ts"], **button(draft, "Submit")})

    card = site.wait(lambda: site.state(LEE, channel="C0REVIEW")["messages"], "the review card")[-1]
    assert "PLAT-1" in text(card)
    site.post("act", **{"as": LEE, "message_ts": card["ts"], **button(card, "Approve")})
    modal = site.wait(lambda: site.state(LEE)["modal"], "the approve modal")
    refused = site.post("submit", **{"as": LEE, "view_id": modal["id"], "inputs": {}})
    assert refused["errors"] == {"owner": "Please complete this required field."}
    add = next(b for b in modal["blocks"] if b.get("block_id") == "milestone_add")
    site.post("act", **{"as": LEE, "view_id": modal["id"], "block_id": "milestone_add",
              "action_id": add["elements"][0]["action_id"],
              "inputs": {"owner": OWEN, "ms_due:m0": "2026-11-24"}})  # fmt: skip
    updated = site.wait(
        lambda: (m := site.state(LEE)["modal"]) and m["hash"] != modal["hash"] and m, "the update"
    )
    rows = [b["block_id"] for b in updated["blocks"] if b["block_id"].startswith("ms_title:")]
    assert len(rows) == 3  # the asap ask's plan is merged to its two working days, plus one
    due = next(b for b in updated["blocks"] if b["block_id"] == "ms_due:m0")
    assert due["element"]["initial_date"] == "2026-11-24"  # the typed state came back
    new = rows[-1].split(":")[1]
    inputs = {"owner": OWEN, "ms_due:m0": "2026-11-24", f"ms_title:{new}": "Billing signs off",
              f"ms_due:{new}": "2026-11-27"}  # fmt: skip
    assert site.post("submit", **{"as": LEE, "view_id": modal["id"], "inputs": inputs})["ok"]
    assert site.state(LEE)["modal"] is None
    site.wait(lambda: "accepted" in text(sandbox.fake.find_message(card["ts"]) or {}), "accepted")

    jump = site.post("jump", to="monday")["jump"]
    assert jump["end"] == "2026-11-23T14:00:00+00:00"  # Monday 09:00 in New York, the last
    assert jump["digests"] == 1 and jump["nudges"] >= 1 and jump["progress"] >= 1
    owen_dm = sandbox.fake.dm_channel(OWEN)
    nudges = [
        m
        for m in site.state(OWEN, channel=owen_dm)["messages"]
        if "Your milestones this week" in text(m)
    ]
    nudge = nudges[-1]
    assert "Billing signs off" in text(nudge)
    on_track = next(
        {"action_id": e["action_id"], "block_id": b["block_id"]}
        for b in nudge["blocks"]
        for e in b.get("elements") or []
        if e.get("type") == "button" and e["text"]["text"] == "On track"
    )
    site.post("act", **{"as": OWEN, "message_ts": nudge["ts"], **on_track})
    site.wait(lambda: "on track" in text(sandbox.fake.find_message(nudge["ts"]) or {}), "on track")
    digest = site.state(LEE, channel="C0DIGEST")["messages"]
    assert any("week 2026-W48" in text(m) and "PLAT-1" in text(m) for m in digest)
    progress = site.state(ALICE, channel=dm, thread=root["ts"])["thread"]
    assert any("Weekly update on PLAT-1" in text(m) for m in progress)

    for person, expected in [(ALICE, "PLAT-1"), (LEE, "Review queue"), (OWEN, "Billing")]:
        site.post("home", **{"as": person})
        home = site.wait(lambda p=person: site.state(p)["home"], "the Home tab")
        assert expected in text(home)

    log = site.get("/api/state?as=U0LEE&log_after=-1")["log"]
    methods = {c["method"] for c in log["calls"]}
    assert {"chat.postMessage", "chat.update", "views.open", "views.update"} <= methods
    assert {"views.publish", "users.info", "conversations.open"} <= methods
    assert log["violations"] == [] and sandbox.fake.violations == []
    detail = site.get(f"/api/calls/{log['calls'][0]['n']}")
    assert "args" in detail and "response" in detail


def test_typed_mentions_become_slack_mentions(sandbox: Sandbox) -> None:
    assert sandbox.encode("ask @lee and @Platform Intake in #platform-review, <b> & co") == (
        "ask <@U0LEE> and <@UBOT> in <#C0REVIEW|platform-review>, &lt;b&gt; &amp; co"
    )
    assert sandbox.encode("mail me@example.com about #nothing") == (
        "mail me@example.com about #nothing"
    )


# -- the emulation's documented limits ----------------------------------------------------------


def test_documented_rates_answer_429_with_retry_after() -> None:
    with FakeSlack() as fake:
        fake.use_documented_rates()
        fake.expect_violations()
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        for n in range(5):  # a short burst to one channel is fine
            client.chat_postMessage(channel="C1", text=f"burst {n}")
        with pytest.raises(SlackApiError) as limited:
            client.chat_postMessage(channel="C1", text="one too many")
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "1"
        client.chat_postMessage(channel="C2", text="another channel")  # per channel
        assert fake.calls[-2].retry_after == 1 and fake.calls[-1].ok
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="while rate limited")
        assert "called while rate limited" in fake.violations[-1][1]
        assert len(fake.violation_times) == len(fake.violations)


def test_the_emulations_ts_follow_its_clock() -> None:
    clock = SandboxClock(datetime(2026, 11, 19, 9, 0, tzinfo=UTC))
    fake = FakeSlack(clock=clock.timestamp)
    first, second = fake.next_ts(), fake.next_ts()
    assert abs(float(first) - clock.timestamp()) < 5
    assert float(second) > float(first)


# -- the command ----------------------------------------------------------------------------------


def test_the_command_starts_prints_the_url_and_stops_on_ctrl_c(tmp_path: Any) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox", "--port", "0", "--start", "2026-11-19T10:00+01:00"],
        cwd=tmp_path,  # no .env of the checkout
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        took = time.monotonic() - began
        assert line.startswith("Sandbox ready in "), line
        url = line.rsplit(" ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/api/state?as=U0ALICE", timeout=10) as r:
            state = json.loads(r.read())
        assert state["now"].startswith("2026-11-19T09:0")
        assert took < 60, f"the sandbox took {took:.1f} s to start"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "Stopping the sandbox" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
