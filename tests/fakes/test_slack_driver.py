"""SlackDriver: signatures verify, and its payloads reach the listeners of a real Bolt app."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from tests.fakes.fixtures import serve_wsgi
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver

SECRET = "test-signing-secret"

MODAL = {
    "type": "modal",
    "callback_id": "intake_modal",
    "title": {"type": "plain_text", "text": "New request"},
    "submit": {"type": "plain_text", "text": "Submit"},
    "private_metadata": "C0REQUESTS",
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value", "max_length": 100},
        },
        {
            "type": "input",
            "block_id": "due",
            "label": {"type": "plain_text", "text": "Due"},
            "element": {"type": "datepicker", "action_id": "date"},
        },
        {
            "type": "input",
            "block_id": "kind",
            "label": {"type": "plain_text", "text": "Kind"},
            "element": {
                "type": "static_select",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": "Database"}, "value": "db"},
                    {"text": {"type": "plain_text", "text": "Queue"}, "value": "queue"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "owner",
            "optional": True,
            "label": {"type": "plain_text", "text": "Owner"},
            "element": {"type": "users_select", "action_id": "user"},
        },
    ],
}


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


HELP = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Use `/intake` to file a request."}},
    {"type": "actions", "elements": [{"type": "button", "action_id": "dismiss", "text": pt("OK")}]},
]
HOME = {
    "type": "home",
    "blocks": [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Your requests"},
            "accessory": {"type": "button", "action_id": "open_form", "text": pt("New")},
        }
    ],
}


def request_blocks(request_id: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Request {request_id}"}},
        {
            "type": "actions",
            "block_id": "decide",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve:" + request_id,
                    "value": request_id,
                    "text": {"type": "plain_text", "text": "Approve"},
                    "style": "primary",
                },
                {
                    "type": "button",
                    "action_id": "reject:" + request_id,
                    "value": request_id,
                    "text": {"type": "plain_text", "text": "Reject"},
                },
            ],
        },
    ]


@dataclass
class Harness:
    fake: FakeSlack
    driver: SlackDriver
    seen: queue.Queue[tuple[str, dict[str, Any]]]

    def next(self, kind: str, timeout: float = 2.0) -> dict[str, Any]:
        got, body = self.seen.get(timeout=timeout)
        assert got == kind, (got, body)
        return body


@pytest.fixture
def harness(
    fake_slack: FakeSlack, slack_driver_factory: Callable[..., SlackDriver]
) -> Iterator[Harness]:
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url),
    )
    seen: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()

    @app.command("/intake")
    def on_command(ack, body, client, context):  # type: ignore[no-untyped-def]
        ack()
        if body["text"] == "help":
            client.chat_postEphemeral(
                channel=body["channel_id"], user=body["user_id"], text="Help", blocks=HELP
            )
        else:
            client.views_open(trigger_id=body["trigger_id"], view=MODAL)
        seen.put(("command", body))

    @app.action("dismiss")
    def on_dismiss(ack, respond):  # type: ignore[no-untyped-def]
        ack()
        respond(delete_original=True)

    @app.event("app_home_opened")
    def on_home(event, client):  # type: ignore[no-untyped-def]
        client.views_publish(user_id=event["user"], view=HOME)

    @app.action("open_form")
    def on_open_form(ack, body, client):  # type: ignore[no-untyped-def]
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)
        seen.put(("home_action", body))

    @app.view_closed("intake_modal")
    def on_closed(ack, body):  # type: ignore[no-untyped-def]
        ack()
        seen.put(("view_closed", body))

    @app.event("message")
    def on_message(body, event, say, request):  # type: ignore[no-untyped-def]
        body["_retry_num"] = request.headers.get("x-slack-retry-num", [None])[0]
        say(text=f"echo: {event['text']}", thread_ts=event["ts"])
        seen.put(("message", body))

    @app.event("app_mention")
    def on_mention(body, say):  # type: ignore[no-untyped-def]
        say(text="Which request?", blocks=request_blocks("R1"))
        seen.put(("app_mention", body))

    @app.action({"action_id": "approve:R1"})
    def on_approve(ack, body, respond):  # type: ignore[no-untyped-def]
        ack()
        respond(text="Approved", replace_original=True)
        seen.put(("block_action", body))

    @app.view("intake_modal")
    def on_submit(ack, body, view):  # type: ignore[no-untyped-def]
        title = view["state"]["values"]["title"]["value"]["value"]
        if title == "bad":
            ack(response_action="errors", errors={"title": "Too vague"})
        elif title == "more":
            ack(response_action="update", view={**MODAL, "title": pt("Step 2")})
        else:
            ack()
        seen.put(("view_submission", body))

    @app.shortcut("file_request")
    def on_shortcut(ack, body):  # type: ignore[no-untyped-def]
        ack()
        seen.put(("message_shortcut", body))

    with serve_wsgi(SlackRequestHandler(app)) as base:
        driver = slack_driver_factory(base + "/slack/events", SECRET)
        yield Harness(fake_slack, driver, seen)


def test_signature_verifies_with_slack_sdk(fake_slack: FakeSlack) -> None:
    driver = SlackDriver("http://127.0.0.1:9/slack/events", SECRET, fake_slack)
    body = b'{"type":"event_callback"}'
    headers = driver.sign(body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    old = driver.sign(body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, old)  # replay window


def test_forged_and_replayed_requests_are_rejected(harness: Harness) -> None:
    body = json.dumps(harness.driver.envelope({"type": "app_mention", "text": "x"})).encode()
    forged = harness.driver.send_raw(
        body, "application/json", headers={"X-Slack-Signature": "v0=" + "0" * 64}
    )
    replayed = harness.driver.send_raw(body, "application/json", timestamp=int(time.time()) - 600)
    assert (forged.status, replayed.status) == (401, 401)
    assert harness.seen.empty()


def test_slash_command_opens_a_modal_and_submission_reaches_the_app(harness: Harness) -> None:
    fake, driver = harness.fake, harness.driver
    fake.add_user("U1", "alice")
    resp = driver.slash_command("U1", "need a database")
    assert resp.status == 200 and resp.elapsed_seconds < 3
    body = harness.next("command")
    assert (body["command"], body["text"], body["user_name"]) == (
        "/intake",
        "need a database",
        "alice",
    )
    assert body["response_url"].startswith(fake.base_url + "/response/")

    view = fake.current_view("U1")
    assert view is not None and view["callback_id"] == "intake_modal"
    with pytest.raises(AssertionError, match="required input 'kind'"):
        driver.submit_view("U1", view, title="Postgres", due="2025-12-01")
    resp = driver.submit_view("U1", view, title="Postgres", due="2025-12-01", kind="db")
    assert resp.status == 200
    sub = harness.next("view_submission")
    values = sub["view"]["state"]["values"]
    assert values["title"]["value"] == {"type": "plain_text_input", "value": "Postgres"}
    assert values["due"]["date"]["selected_date"] == "2025-12-01"
    assert values["kind"]["pick"]["selected_option"]["text"]["text"] == "Database"
    assert values["owner"]["user"]["selected_user"] is None
    assert sub["view"]["private_metadata"] == "C0REQUESTS" and sub["view"]["id"] == view["id"]
    assert fake.modal_stack("U1") == []  # a plain ack closes the modal


def test_event_retry_headers_and_thread_reply(harness: Harness) -> None:
    fake, driver = harness.fake, harness.driver
    resp, ts = driver.message_im("U1", "hello bot")
    first = harness.next("message")
    assert first["event"]["channel"] == "DU1" and first["event"]["channel_type"] == "im"
    assert first["_retry_num"] is None and first["event_id"].startswith("Ev")
    fake.wait_for("chat.postMessage")
    thread = fake.thread("DU1", ts)
    assert [m["text"] for m in thread] == ["hello bot", "echo: hello bot"]

    again = driver.retry(resp, retry_num=1)
    assert again.status == 200
    second = harness.next("message")
    assert second["_retry_num"] == "1" and second["event_id"] == first["event_id"]

    _, ts2 = driver.message_im("U1", "in thread", thread_ts=ts)
    assert harness.next("message")["event"]["thread_ts"] == ts and ts2 > ts


def test_block_action_from_a_posted_message(harness: Harness) -> None:
    fake, driver = harness.fake, harness.driver
    _, ts = driver.app_mention("U1", "help", "C0REQUESTS")
    mention = harness.next("app_mention")
    assert mention["event"]["text"] == "<@UBOT> help"
    fake.wait_for("chat.postMessage")
    msg = fake.last_message("C0REQUESTS")
    assert msg["bot_id"] == "BBOT" and msg["ts"] > ts

    with pytest.raises(AssertionError, match="2 buttons"):
        driver.click("U1", msg, "")
    with pytest.raises(AssertionError, match="'approve:R1' value='R1'"):
        driver.click("U1", msg, "escalate")
    assert driver.click("U1", msg, "approve").status == 200
    action = harness.next("block_action")
    act = action["actions"][0]
    assert (act["action_id"], act["block_id"], act["type"], act["value"]) == (
        "approve:R1",
        "decide",
        "button",
        "R1",
    )
    assert action["container"] == {
        "type": "message",
        "message_ts": msg["ts"],
        "channel_id": "C0REQUESTS",
        "is_ephemeral": False,
    }
    assert action["message"]["blocks"] == msg["blocks"]
    fake.wait_for("response_url")
    assert fake.find_message(msg["ts"])["text"] == "Approved"


def test_message_shortcut(harness: Harness) -> None:
    fake, driver = harness.fake, harness.driver
    msg = fake.add_message("C0REQUESTS", "U2", "our queue is slow")
    assert driver.message_shortcut("U1", msg, "C0REQUESTS", "file_request").status == 200
    body = harness.next("message_shortcut")
    assert body["type"] == "message_action" and body["message"]["text"] == "our queue is slow"
    assert body["channel"]["id"] == "C0REQUESTS" and body["trigger_id"]


def test_slow_ack_is_a_violation(fake_slack: FakeSlack) -> None:
    fake_slack.expect_violations()
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url),
    )

    @app.command("/intake")
    def slow(ack):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        ack("working on it")

    with serve_wsgi(SlackRequestHandler(app)) as base:
        driver = SlackDriver(base + "/slack/events", SECRET, fake_slack, ack_timeout=0.2)
        resp = driver.slash_command("U1", "x")
    assert resp.status == 200 and resp.body == "working on it"
    assert fake_slack.violations[0][0] == "ack:slash_command"
    assert fake_slack.ephemerals("U1")[0]["text"] == "working on it"


def test_response_actions_and_view_closed(harness: Harness) -> None:
    fake, driver = harness.fake, harness.driver
    driver.slash_command("U1", "")
    harness.next("command")
    view = fake.current_view("U1")
    resp = driver.submit_view("U1", view, title="bad", due="2025-12-01", kind="queue")
    assert resp.json == {"response_action": "errors", "errors": {"title": "Too vague"}}
    harness.next("view_submission")
    assert fake.current_view("U1")["id"] == view["id"]  # still open
    driver.submit_view("U1", view, title="more", due="2025-12-01", kind="queue")
    harness.next("view_submission")
    step2 = fake.current_view("U1")
    assert step2["id"] == view["id"] and step2["title"]["text"] == "Step 2"
    driver.view_closed("U1", step2)
    assert harness.next("view_closed")["view"]["id"] == view["id"]
    assert fake.modal_stack("U1") == []


def test_home_tab_button_and_ephemeral_button(harness: Harness) -> None:
    fake, driver = harness.fake, harness.driver
    assert driver.app_home_opened("U1").status == 200
    fake.wait_for("views.publish")
    home = fake.home("U1")
    driver.click("U1", home, "open_form")
    action = harness.next("home_action")
    assert action["container"] == {"type": "view", "view_id": home["id"]}
    assert action["actions"][0]["block_id"] == home["blocks"][0]["block_id"]  # Slack-assigned
    assert fake.current_view("U1")["callback_id"] == "intake_modal"

    driver.slash_command("U1", "help", channel="C0REQUESTS")
    harness.next("command")
    [eph] = fake.ephemerals("U1")
    assert eph["channel"] == "C0REQUESTS"
    driver.click("U1", eph, "dismiss")
    fake.wait_for("response_url")
    assert fake.ephemerals("U1") == []
