"""Structured logs: one JSON object per line, a request ID shared by the lines of one
request (listener threads included), and neither secrets nor what people wrote at INFO."""

from __future__ import annotations

import contextvars
import io
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.observability.context import REQUEST_ID, ContextExecutor, request_scope
from bot.observability.logs import RedactingFilter, configure_logging, remove_logging
from bot.serving import WsgiApp, create_server, run_in_thread
from storage.db import make_engine
from tests.e2e.conftest import BOT_TOKEN, REQUESTER, SIGNING_SECRET
from tests.e2e.helpers import ASK, answer_database_questions, start_slash, text_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver
from tests.observability.conftest import JsonLogs, ObservedBot

KEYS = {"timestamp", "level", "logger", "message", "request_id"}
# What the requester writes in answer_database_questions, besides ASK.
ANSWERS = (
    "about 200 GB",
    "invoices can't be generated without it",
    "billing-api connects to it from production",
    "nightly backups restore in under 1 hour",
)


def test_a_whole_intake_logs_json_with_request_ids_and_no_secrets_or_message_text(
    json_logs: Callable[..., JsonLogs], bot: ObservedBot, driver: SlackDriver, slack: FakeSlack
) -> None:
    logs = json_logs("DEBUG")  # everything: the check below is on what reaches INFO
    c, _ = start_slash(driver, slack, REQUESTER, ASK)
    answer_database_questions(c)
    c.click_button("Submit")
    assert "Submitted as *PLAT-1*" in text_of(c.last)
    slack.wait_idle(quiet=0.3)

    lines = logs.lines()  # every line is one JSON object
    assert lines and all(line.record.keys() >= KEYS for line in lines)
    assert BOT_TOKEN not in logs.text and SIGNING_SECRET not in logs.text

    loud = [line for line in lines if line.level >= logging.INFO]
    for said in (ASK, *ANSWERS):
        leaks = [line.raw for line in loud if said.lower() in line.raw.lower()]
        assert leaks == [], f"{said!r} logged at INFO or above"
    # The check can see text: the Web API client's DEBUG lines carry the bot's messages.
    assert any("billing" in line.raw for line in lines if line.level == logging.DEBUG)

    # One "slack request" line per request, each with its own ID, ...
    requests = [line for line in lines if line.record["message"].startswith("slack request ")]
    ids = [line.record["request_id"] for line in requests]
    assert len(requests) >= 6 and all(ids) and len(set(ids)) == len(ids)
    # ... which the listener's lines share: the Web API calls made for the slash command
    # (in Bolt's listener thread, after the ack) carry the command's request ID.
    command = next(line for line in requests if "kind=command" in line.record["message"])
    same_request = [
        line for line in lines if line.record["request_id"] == command.record["request_id"]
    ]
    assert any("chat.postMessage" in line.record["message"] for line in same_request)


def test_the_request_id_reaches_the_listener_thread_after_the_ack(
    json_logs: Callable[..., JsonLogs], fake_slack: FakeSlack, tmp_path: Path
) -> None:
    logs = json_logs("INFO")
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url),
        token_verification_enabled=False,
        process_before_response=False,
    )
    listener_log = logging.getLogger("tests.listener")

    @app.command("/intake")
    def command(ack: Ack) -> None:
        ack()
        time.sleep(0.1)  # long after Slack got its answer
        listener_log.info("listener done")

    engine = make_engine(f"sqlite:///{tmp_path / 'intake.db'}")
    server = create_server(WsgiApp(app, engine), "127.0.0.1", 0)
    run_in_thread(server, "test-bolt")
    try:
        url = f"http://127.0.0.1:{server.effective_port}/slack/events"
        signer = SlackDriver(url, SIGNING_SECRET, fake_slack)
        answered = []
        for n in range(2):
            body = urlencode({"command": "/intake", "text": f"ask {n}", "user_id": REQUESTER,
                              "team_id": "T0001", "channel_id": "C0REQUESTS"}).encode()  # fmt: skip
            request = urllib.request.Request(
                url,
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", **signer.sign(body)},
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200
                answered.append(response.headers["X-Request-Id"])
        for request_id in answered:
            done = logs.wait_for(
                lambda line, rid=request_id: (
                    line.record["message"] == "listener done"  # type: ignore[misc]
                    and line.record["request_id"] == rid
                )
            )
            assert done.record["logger"] == "tests.listener"
        assert len(set(answered)) == 2
    finally:
        server.close()
        engine.dispose()


def test_context_executor_copies_the_submitters_context() -> None:
    from concurrent.futures import ThreadPoolExecutor

    executor = ContextExecutor(ThreadPoolExecutor(max_workers=1))
    try:
        with request_scope("first"):
            first = executor.submit(REQUEST_ID.get)
        with request_scope("second"):
            second = executor.submit(REQUEST_ID.get)
        outside = executor.submit(REQUEST_ID.get)
        assert (first.result(), second.result(), outside.result()) == ("first", "second", None)
    finally:
        executor.shutdown()


def _logged(fmt: str, emit: Callable[[logging.Logger], None], secrets: tuple[str, ...] = ()) -> str:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("INFO", fmt, secrets=secrets, stream=stream)
    try:
        emit(logging.getLogger("tests.redaction"))
    finally:
        remove_logging(handler)
        root.setLevel(level)
    return stream.getvalue()


def test_secrets_are_redacted_from_message_arguments_extras_and_tracebacks() -> None:
    signing_secret = "8f14e45fceea167a5a36dedd4bea2543"

    def emit(log: logging.Logger) -> None:
        log.info("token %s and key %s", "xoxb-1234-5678-abcdef", "sk-proj-abcdefghijkl")
        log.info("app token xapp-1-A0001-123-abc, user token xoxp-99-88-77")
        log.info("headers: Authorization: Bearer abc.def.ghi")
        log.info("signing secret is %s", signing_secret)
        log.info("db at postgresql://intake:hunter2-pw@db:5432/intake")
        log.info("sent", extra={"detail": "client_secret=s3cr3t-value"})
        try:
            raise RuntimeError(f"Slack refused xoxb-0000-1111-leaked ({signing_secret})")
        except RuntimeError:
            log.exception("call failed")

    for fmt in ("json", "text"):
        out = _logged(fmt, emit, secrets=(signing_secret,))
        for secret in (
            "xoxb-1234-5678-abcdef",
            "sk-proj-abcdefghijkl",
            "xapp-1-A0001-123-abc",
            "xoxp-99-88-77",
            "abc.def.ghi",
            signing_secret,
            "hunter2-pw",
            "s3cr3t-value",
            "xoxb-0000-1111-leaked",
        ):
            assert secret not in out, f"{secret} in the {fmt} log"
        assert "call failed" in out and "RuntimeError: Slack refused" in out
        assert "[slack-token]" in out and "[secret]" in out


def test_json_lines_carry_the_fields_and_extras() -> None:
    def emit(log: logging.Logger) -> None:
        with request_scope("req-1"):
            log.warning("outbox %s failed", "nudge:T1:U1:2026-W48", extra={"attempt": 3})
        log.info("no request")

    first, second = (json.loads(line) for line in _logged("json", emit).splitlines())
    assert first["level"] == "WARNING" and first["logger"] == "tests.redaction"
    assert first["message"] == "outbox nudge:T1:U1:2026-W48 failed"
    assert first["request_id"] == "req-1" and first["attempt"] == 3
    assert first["timestamp"].endswith("+00:00")
    assert second["request_id"] is None


def test_text_lines_for_the_terminal() -> None:
    def emit(log: logging.Logger) -> None:
        with request_scope("0123456789abcdef"):
            log.warning("with a request")
        log.warning("without one")

    with_request, without = _logged("text", emit).splitlines()
    assert with_request.endswith("WARNING tests.redaction [01234567]: with a request")
    assert without.endswith("WARNING tests.redaction: without one")


def test_configure_logging_replaces_only_its_own_handler() -> None:
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    first = configure_logging("INFO", "json", stream=io.StringIO())
    second = configure_logging("WARNING", "text", stream=io.StringIO())
    try:
        assert first not in root.handlers and second in root.handlers
        assert [h for h in root.handlers if h is not second] == before
        assert root.level == logging.WARNING
    finally:
        remove_logging(second)
        root.setLevel(level)
    with pytest.raises(ValueError, match="log format"):
        configure_logging("INFO", "xml")


def test_the_filter_survives_a_broken_format_string() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items", ("many",), None)
    assert RedactingFilter().filter(record)
    assert "%d items" in record.getMessage()


def test_socket_mode_requests_get_their_own_request_ids(fake_slack: FakeSlack) -> None:
    from slack_bolt import BoltRequest

    from bot.observability.context import bind_bolt

    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url),
        token_verification_enabled=False,
        request_verification_enabled=False,
        process_before_response=False,
    )
    seen: list[str | None] = []
    done = threading.Event()

    @app.command("/intake")
    def command(ack: Ack) -> None:
        ack()
        seen.append(REQUEST_ID.get())
        if len(seen) == 2:
            done.set()

    bind_bolt(app)
    bind_bolt(app)  # idempotent: one middleware, one wrapper
    for n in range(2):
        body = {"command": "/intake", "text": f"ask {n}", "user_id": REQUESTER,
                "team_id": "T0001", "channel_id": "C0REQUESTS"}  # fmt: skip
        request = BoltRequest(body=body, mode="socket_mode")
        # As in Socket Mode's own threads: the ID set there must not leak into this test's.
        response = contextvars.copy_context().run(app.dispatch, request)
        assert response.status == 200
    assert done.wait(5)
    assert all(seen) and len(set(seen)) == 2


def test_a_request_that_fails_its_signature_is_logged_without_its_body(
    json_logs: Callable[..., JsonLogs], bot: ObservedBot, slack: FakeSlack
) -> None:
    logs = json_logs("INFO")
    forger = SlackDriver(bot.events_url, "not-the-signing-secret", slack)
    assert forger.slash_command(REQUESTER, "my secret project falcon").status == 401
    refused = logs.wait_for(lambda line: "Invalid request signature" in line.record["message"])
    assert refused.record["message"].endswith("body not logged)")
    assert "falcon" not in logs.text and forger.verification_token not in logs.text
    logs.wait_for(lambda line: "kind=command status=401" in line.record["message"])
