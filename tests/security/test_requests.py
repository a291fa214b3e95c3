"""Requests that are not Slack's, or not in Slack's shape, are refused cleanly: the right
status, nothing written, no Web API call, and no stack trace in the log.

Bodies are limited to 1 MiB (``bot.serving.MAX_BODY``): a larger one is answered 413 before
anything reads it, whether it says its length up front or streams it in chunks. A signed body
just under the limit is acknowledged within Slack's three seconds and then handled inside
Slack's own limits (what the bot posts is cut to size; FakeSlack fails the test on anything
Slack would reject). Broken bodies (JSON that does not parse, is not an object, nests too
deep, is not UTF-8, comes with the wrong content type) get a 4xx and change nothing.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
from urllib.parse import urlsplit

import pytest

from bot.serving import MAX_BODY
from intake.stored_text import MAX_TEXT
from tests.e2e.conftest import REQUESTER, BotServer
from tests.e2e.helpers import ASK
from tests.fakes.slack_api import FakeSlack
from tests.security.checks import FORM, REFUSED, CapturingDriver, Effects
from tests.security.test_signatures import dm_event, slash_command

JSON = "application/json"


def stack_traces(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log lines at ERROR and above, or with an exception attached (leaving out an earlier
    test's bot failing to reach its FakeSlack, stopped since)."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if (r.levelno >= logging.ERROR or r.exc_info) and not _fake_gone(r)
    ]


def _fake_gone(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    return "Connection refused" in record.getMessage() or isinstance(
        error, urllib.error.URLError | ConnectionError
    )


def post(url: str, body: bytes, headers: dict[str, str], *, chunked: bool = False) -> int:
    """POST with http.client (urllib cannot stream chunks); the status, or 413 when the
    server closed the connection after refusing the body mid-upload."""
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        if chunked:
            connection.putrequest("POST", where.path)
            for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
                connection.putheader(name, value)
            connection.endheaders()
            for start in range(0, len(body), 64 * 1024):
                piece = body[start : start + 64 * 1024]
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            connection.send(b"0\r\n\r\n")
        else:
            connection.request("POST", where.path, body=body, headers=headers)
        return connection.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        return 413
    finally:
        connection.close()


# -- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_1_mib_is_refused_with_413_and_changes_nothing(
    capturing: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
    caplog: pytest.LogCaptureFixture,
    chunked: bool,
) -> None:
    body = urllib.parse.urlencode(
        {"command": "/intake", "user_id": REQUESTER, "team_id": "T0001", "text": "x" * MAX_BODY}
    ).encode()
    assert len(body) > MAX_BODY
    before = Effects.now(bot, slack)

    status = post(
        capturing.events_url, body, {"Content-Type": FORM, **capturing.sign(body)}, chunked=chunked
    )

    assert status == 413
    before.assert_none()
    assert stack_traces(caplog) == []


def test_a_signed_body_just_under_the_limit_is_handled_within_slacks_limits(
    capturing: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A DM whose text fills the body to 1 MiB less a little: acknowledged in time (the
    driver records a slow ack as a violation), kept to Slack's own 40,000 characters with a
    note saying so, and shown cut."""
    channel, ts = slack.dm_channel(REQUESTER), slack.next_ts()
    event = {"type": "message", "channel_type": "im", "user": REQUESTER, "text": "",
             "channel": channel, "ts": ts, "team": "T0001"}  # fmt: skip
    empty = len(json.dumps(capturing.envelope(event)).encode())
    event["text"] = ASK + " " + "needs more context " * ((MAX_BODY - empty - 2048) // 19)
    slack.add_message(channel, REQUESTER, event["text"], ts=ts)
    body = json.dumps(capturing.envelope(event)).encode()
    assert MAX_BODY - 4096 < len(body) <= MAX_BODY
    slack.wait_idle(quiet=0.3)

    response = capturing.send_raw(body, JSON)

    assert response.status == 200
    assert response.elapsed_seconds < 3
    assert bot.container is not None
    started = time.monotonic()
    slack.wait_idle(timeout=60)  # the bot's work on it is done
    slack.wait_for("chat.postMessage", timeout=1)
    print(f"handled in {time.monotonic() - started:.1f}s")
    assert stack_traces(caplog) == []
    asks = bot.container.intake.list()
    assert len(asks) == 1
    kept = asks[0].problem
    assert len(kept) <= MAX_TEXT and kept.startswith(event["text"][:30_000])
    assert kept.endswith("characters were sent, the first ones are kept]"), kept[-200:]
    with bot.container.intake.uow_factory() as uow:
        [(_, _, said)] = uow.transcript(asks[0].id or 0)
    assert said == kept, "the transcript keeps what the ask keeps"


# -- shape -----------------------------------------------------------------------------------

BROKEN = {
    "payload is not JSON": (FORM, b"payload=%7Bbroken"),
    "payload is a JSON list": (FORM, b"payload=%5B%5D"),
    "payload is a JSON string": (FORM, b"payload=%22block_actions%22"),
    "payload is null": (FORM, b"payload=null"),
    "payload without a type": (FORM, b"payload=%7B%7D"),
    "event body is not JSON": (JSON, b'{"type": "event_callback", "event": '),
    "event body is a JSON list": (JSON, b"[]"),
    "event body nests 100,000 deep": (JSON, b"[" * 100_000 + b"]" * 100_000),
    "payload nests 100,000 deep": (FORM, b"payload=" + b"%5B" * 100_000),
    "not UTF-8": (FORM, b"payload=\xff\xfe\xfd"),
    "empty body": (FORM, b""),
}


def _payload(payload: dict[str, object]) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


WHO = {"user": {"id": REQUESTER, "team_id": "T0001"}, "team": {"id": "T0001"}}
# Signed, well-formed JSON, but not shaped like anything Slack sends (bot.request_shape): once
# these answered 500 with a stack trace, or stored an ask with an empty workspace.
NOT_SLACK_SHAPED = {
    "an event that is a string": (
        JSON,
        json.dumps({"type": "event_callback", "team_id": "T0001", "event": "hello"}).encode(),
    ),
    "an event from no workspace": (
        JSON,
        json.dumps(
            {
                "type": "event_callback",
                "event": {
                    "type": "message",
                    "channel_type": "im",
                    "user": REQUESTER,
                    "text": ASK,
                    "channel": "DU0ALICE",
                    "ts": "1700000000.000100",
                },
            }
        ).encode(),
    ),
    "a click with no action": (FORM, _payload({"type": "block_actions", **WHO, "actions": []})),
    "a form whose view has no type": (
        FORM,
        _payload({"type": "view_submission", **WHO, "view": {"id": "V1", "callback_id": "x"}}),
    ),
    "a click from nobody": (
        FORM,
        _payload({"type": "block_actions", "team": {"id": "T0001"}, "actions": [{}]}),
    ),
    "a slash command from no workspace": (
        FORM,
        urllib.parse.urlencode(
            {"command": "/intake", "text": ASK, "user_id": REQUESTER, "team_id": ""}
        ).encode(),
    ),
}
BROKEN.update(NOT_SLACK_SHAPED)


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_body_is_refused_cleanly(
    capturing: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
    caplog: pytest.LogCaptureFixture,
    case: str,
) -> None:
    """With a valid signature or without: a 4xx, no effect, no stack trace."""
    content_type, body = BROKEN[case]
    verdicts = {}
    for signed in (True, False):
        before = Effects.now(bot, slack, quiet=0.1)
        response = capturing.send_raw(body, content_type, sign=signed)
        assert "Traceback" not in response.body
        verdicts["signed" if signed else "unsigned"] = before.verdict(response, range(400, 500))

    assert verdicts == {"signed": REFUSED, "unsigned": REFUSED}
    assert stack_traces(caplog) == []


WRONG_TYPES = {
    "text/plain": "text/plain",
    "JSON": JSON,
    "no content type": "",
    "multipart": "multipart/form-data; boundary=x",
}


@pytest.mark.parametrize("content_type", WRONG_TYPES)
def test_an_unsigned_body_with_any_content_type_is_refused(
    capturing: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
    caplog: pytest.LogCaptureFixture,
    content_type: str,
) -> None:
    body = slash_command(capturing, slack)
    before = Effects.now(bot, slack)
    response = capturing.send_raw(body, WRONG_TYPES[content_type], sign=False)
    assert response.status in (400, 401)
    before.assert_none()
    assert stack_traces(caplog) == []


@pytest.mark.parametrize("content_type", WRONG_TYPES)
def test_a_signed_body_with_the_wrong_content_type_is_read_by_its_shape_or_refused(
    capturing: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
    caplog: pytest.LogCaptureFixture,
    content_type: str,
) -> None:
    """The signature covers the body, not the Content-Type header: a body Slack signed may be
    read by its shape (as Bolt does: a body starting with "{" is JSON, anything else a form)
    or refused with a 4xx, but never fail with a 5xx, and never count twice."""
    body = slash_command(capturing, slack)
    response = capturing.send_raw(body, WRONG_TYPES[content_type])
    assert response.status < 500, (response.status, response.body)
    slack.wait_idle(quiet=0.5, timeout=10)
    assert stack_traces(caplog) == []
    assert bot.container is not None and len(bot.container.intake.list()) <= 1


def test_an_event_sent_as_a_form_is_read_by_its_shape(
    capturing: CapturingDriver,
    slack: FakeSlack,
    bot: BotServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = dm_event(capturing, slack)
    assert capturing.send_raw(body, FORM, sign=False).status == 401
    response = capturing.send_raw(body, FORM)
    assert response.status < 500, (response.status, response.body)
    slack.wait_idle(quiet=0.5, timeout=10)
    assert stack_traces(caplog) == []
    assert bot.container is not None and len(bot.container.intake.list()) <= 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_only_post_reaches_the_slack_endpoint(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer, method: str
) -> None:
    before = Effects.now(bot, slack)
    where = urlsplit(capturing.events_url)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        connection.request(method, where.path)
        assert connection.getresponse().status == 405
    finally:
        connection.close()
    before.assert_none()
