"""FakeSlack against the real slack_sdk WebClient."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Sequence

import pytest
from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.in_flight import InFlight
from tests.fakes.slack_api import FakeSlack


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(action_id: str, value: str, text: str = "Go") -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text},
    }


MODAL = {
    "type": "modal",
    "callback_id": "intake_modal",
    "title": {"type": "plain_text", "text": "New request"},
    "submit": {"type": "plain_text", "text": "Submit"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200},
        }
    ],
}


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)


def test_auth(fake_slack: FakeSlack, client: WebClient) -> None:
    r = client.auth_test()
    assert (r["team_id"], r["user_id"], r["bot_id"], r["user"]) == (
        "T0001",
        "UBOT",
        "BBOT",
        "intake-bot",
    )
    with pytest.raises(SlackApiError) as e:
        WebClient(token="xoxb-wrong", base_url=fake_slack.api_url).auth_test()
    assert e.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as e:
        WebClient(base_url=fake_slack.api_url).auth_test()
    assert e.value.response["error"] == "not_authed"
    # token as a form param (old style) works too
    body = b"token=xoxb-test-token"
    req = urllib.request.Request(fake_slack.api_url + "auth.test", data=body, method="POST")
    with urllib.request.urlopen(req) as resp:
        assert json.loads(resp.read())["ok"] is True
    assert [c.method for c in fake_slack.calls] == ["auth.test"] * 4
    assert "token" not in fake_slack.calls[-1].args


def test_unknown_method_is_recorded(fake_slack: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as e:
        client.api_call("chat.fly", json={"channel": "C1"})
    assert e.value.response["error"] == "unknown_method"
    assert fake_slack.calls_to("chat.fly")[0].args == {"channel": "C1"}


def test_post_update_thread_and_reads(fake_slack: FakeSlack, client: WebClient) -> None:
    blocks = [section("*Request*"), {"type": "actions", "elements": [button("approve", "42")]}]
    root = client.chat_postMessage(channel="C1", text="Request", blocks=blocks)
    reply = client.chat_postMessage(channel="C1", text="first reply", thread_ts=root["ts"])
    bcast = client.chat_postMessage(
        channel="C1", text="broadcast", thread_ts=root["ts"], reply_broadcast=True
    )
    assert root["ts"] < reply["ts"] < bcast["ts"]
    assert root["message"]["bot_id"] == "BBOT" and root["message"]["blocks"][0]["block_id"]

    client.chat_update(
        channel="C1", ts=root["ts"], text="Request (approved)", blocks=[section("done")]
    )
    with pytest.raises(SlackApiError) as e:
        client.chat_update(channel="C1", ts="1.000000", text="nope")
    assert e.value.response["error"] == "message_not_found"

    thread = fake_slack.thread("C1", root["ts"])
    assert [m["text"] for m in thread] == ["Request (approved)", "first reply", "broadcast"]
    assert thread[0]["edited"]["user"] == "UBOT" and thread[0]["reply_count"] == 2
    assert fake_slack.last_message("C1")["text"] == "broadcast"
    assert fake_slack.last_message("C1", thread_ts=root["ts"])["ts"] == bcast["ts"]

    replies = client.conversations_replies(channel="C1", ts=root["ts"])["messages"]
    assert [m["ts"] for m in replies] == [root["ts"], reply["ts"], bcast["ts"]]
    history = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["broadcast", "Request (approved)"]  # newest first

    link = client.chat_getPermalink(channel="C1", message_ts=reply["ts"])["permalink"]
    assert link.endswith(f"?thread_ts={root['ts']}&cid=C1")
    client.chat_delete(channel="C1", ts=reply["ts"])
    assert len(fake_slack.messages("C1")) == 2

    eph = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert fake_slack.ephemerals("U1")[0]["ts"] == eph["message_ts"]
    assert fake_slack.ephemerals("U2") == []


def test_dm_users_and_groups(fake_slack: FakeSlack, client: WebClient) -> None:
    fake_slack.add_user("U1", "alice", tz="Europe/Berlin", real_name="Alice A")
    dm = client.conversations_open(users="U1")["channel"]["id"]
    assert dm == "DU1" == client.conversations_open(users=["U1"])["channel"]["id"]
    client.chat_postMessage(channel=dm, text="hello")
    client.chat_postMessage(channel="U1", text="via user id")  # Slack posts into the DM
    assert [m["text"] for m in fake_slack.messages("DU1")] == ["hello", "via user id"]

    user = client.users_info(user="U1")["user"]
    assert user["tz"] == "Europe/Berlin" and user["real_name"] == "Alice A"
    assert user["tz_offset"] in (3600, 7200)
    assert user["tz_label"] in ("Central European Time", "Central European Summer Time")
    with pytest.raises(SlackApiError) as e:
        client.users_info(user="U404")
    assert e.value.response["error"] == "user_not_found"

    fake_slack.add_usergroup("S1", ["U1", "U2"])
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]


def test_views_need_a_fresh_unused_trigger(fake_slack: FakeSlack, client: WebClient) -> None:
    fake_slack.expect_violations()
    trigger = fake_slack.issue_trigger_id("U1")
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V") and view["hash"] and view["callback_id"] == "intake_modal"
    assert fake_slack.current_view("U1")["id"] == view["id"]

    errors = {}
    for name, tid in {
        "reused": trigger,
        "unknown": "123.456.nope",
        "stale": fake_slack.issue_trigger_id("U1", issued_ago=3.5),
    }.items():
        with pytest.raises(SlackApiError) as e:
            client.views_open(trigger_id=tid, view=MODAL)
        errors[name] = e.value.response["error"]
    assert errors == {
        "reused": "exchanged_trigger_id",
        "unknown": "invalid_trigger_id",
        "stale": "expired_trigger_id",
    }
    assert len(fake_slack.violations) == 3

    updated = dict(MODAL, title={"type": "plain_text", "text": "Working…"})
    new = client.views_update(view_id=view["id"], view=updated, hash=view["hash"])["view"]
    assert new["id"] == view["id"] and new["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as e:
        client.views_update(view_id=view["id"], view=updated, hash=view["hash"])
    assert e.value.response["error"] == "hash_conflict"

    home = {"type": "home", "blocks": [section("Your requests")]}
    client.views_publish(user_id="U1", view=home)
    assert fake_slack.home("U1")["blocks"][0]["text"]["text"] == "Your requests"


def test_invalid_and_oversized_blocks_are_rejected(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    fake_slack.expect_violations()
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x", blocks=[section("y" * 3001)])
    assert e.value.response["error"] == "invalid_blocks"
    assert "3001" in e.value.response["errors"][0]

    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x", blocks=[section(str(i)) for i in range(51)])
    assert e.value.response["error"] == "invalid_blocks"
    assert "51 blocks, max 50" in e.value.response["errors"][0]

    with pytest.raises(SlackApiError) as e:
        client.api_call("chat.postMessage", json={"channel": "C1", "blocks": []})
    assert e.value.response["error"] == "no_text"

    long_modal = dict(MODAL, title={"type": "plain_text", "text": "A title that is far too long"})
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=fake_slack.issue_trigger_id("U1"), view=long_modal)
    assert e.value.response["error"] == "invalid_arguments"

    assert fake_slack.messages("C1") == []
    methods = [m for m, _ in fake_slack.violations]
    assert methods == ["chat.postMessage"] * 3 + ["views.open"]


def test_form_encoded_blocks_are_parsed(fake_slack: FakeSlack) -> None:
    body = (
        "channel=C1&text=hi&blocks=" + urllib.request.quote(json.dumps([section("from a form")]))
    ).encode()
    req = urllib.request.Request(
        fake_slack.api_url + "chat.postMessage",
        data=body,
        headers={"Authorization": "Bearer xoxb-test-token"},
        method="POST",
    )
    with urllib.request.urlopen(req) as resp:
        assert json.loads(resp.read())["ok"]
    assert fake_slack.calls[-1].args["blocks"][0]["text"]["text"] == "from a form"


def test_429_retry_after_is_honoured_by_slack_sdk(fake_slack: FakeSlack) -> None:
    client = WebClient(
        token=fake_slack.bot_token,
        base_url=fake_slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    assert client.chat_postMessage(channel="C1", text="eventually")["ok"]
    first, second = fake_slack.calls_to("chat.postMessage")
    assert (first.status, first.error) == (429, "ratelimited")
    assert second.ok and second.at - first.at >= 1.0
    assert fake_slack.ratelimited["chat.postMessage"] == 1

    # without a retry handler (slack_sdk's default) the 429 surfaces
    fake_slack.rate_limit("chat.postMessage")
    with pytest.raises(SlackApiError) as e:
        WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url).chat_postMessage(
            channel="C1", text="x"
        )
    assert e.value.response.status_code == 429 and e.value.response.headers["Retry-After"] == "1"


def post_each(client: WebClient, channels: Sequence[str]) -> list[tuple[int, str | None]]:
    """One chat.postMessage a channel, in order: each answer's status, and the Retry-After
    Slack gave with a refusal (None for a message that was posted)."""
    answers: list[tuple[int, str | None]] = []
    for channel in channels:
        try:
            answers.append((client.chat_postMessage(channel=channel, text="x").status_code, None))
        except SlackApiError as e:
            answers.append((e.response.status_code, e.response.headers["Retry-After"]))
    return answers


def test_token_bucket_and_ignoring_retry_after_is_a_violation(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    fake_slack.expect_violations()
    fake_slack.set_rate("chat.postMessage", per_minute=60, burst=2, per_channel=True)
    answers = post_each(client, ("C1", "C1", "C1", "C2"))
    assert [status for status, _ in answers] == [200, 200, 429, 200]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="again, right away")
    assert fake_slack.violations[0][1].startswith("called while rate limited")


def test_wait_for_and_idle(fake_slack: FakeSlack, client: WebClient) -> None:
    fake_slack.delay("chat.postMessage", 0.2)
    t = threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="later"))
    t.start()
    [call] = fake_slack.wait_for("chat.postMessage", lambda c: c.args["text"] == "later", timeout=2)
    assert call.ok
    fake_slack.wait_idle(quiet=0.05, timeout=2)
    t.join()
    start = time.monotonic()
    with pytest.raises(AssertionError, match=r"Recorded calls: \['chat.postMessage'\]"):
        fake_slack.wait_for("views.open", timeout=0.1)
    assert time.monotonic() - start < 1


def test_wait_idle_with_a_watched_bot_waits_for_its_work_not_a_quiet_gap(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    work = InFlight()
    work.begin()  # the bot has acked a request; its listener is still running
    unwatch = fake_slack.watch(work.wait_idle)
    settled = threading.Event()

    def wait() -> None:
        fake_slack.wait_idle(quiet=0, timeout=5)
        settled.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert not settled.wait(0.2), "no quiet gap counts while the bot's work runs"
    client.chat_postMessage(channel="C1", text="the listener's reply")
    work.end()
    assert settled.wait(5)
    waiter.join()
    assert [c.args["text"] for c in fake_slack.calls_to("chat.postMessage")] == [
        "the listener's reply"
    ]
    unwatch()
    work.begin()  # unwatched: a quiet gap is enough again
    fake_slack.wait_idle(quiet=0.01, timeout=1)


def test_response_url_flow(fake_slack: FakeSlack, client: WebClient) -> None:
    fake_slack.expect_violations()
    posted = client.chat_postMessage(channel="C1", text="Pick one", blocks=[section("Pick one")])
    url = fake_slack.new_response_url("C1", user="U1", message_ts=posted["ts"])
    hook = WebhookClient(url)

    assert hook.send(text="just for you").status_code == 200  # ephemeral by default
    assert fake_slack.ephemerals("U1")[0]["text"] == "just for you"
    assert hook.send(text="for everyone", response_type="in_channel").status_code == 200
    assert fake_slack.last_message("C1")["text"] == "for everyone"
    hook.send(text="picked", blocks=[section("Picked *A*")], replace_original=True)
    assert fake_slack.find_message(posted["ts"])["blocks"][0]["text"]["text"] == "Picked *A*"
    hook.send_dict({"text": "in thread", "response_type": "in_channel", "thread_ts": posted["ts"]})
    assert fake_slack.thread("C1", posted["ts"])[-1]["text"] == "in thread"
    assert hook.send(text="fifth").status_code == 200
    sixth = hook.send(text="sixth")
    assert sixth.status_code == 404
    assert [r.status for r in fake_slack.responses] == [200] * 5 + [404]
    assert fake_slack.violations == [("response_url", "post #6 to one response_url (max 5)")]
    fake_slack.wait_for("response_url", count=6, timeout=1)

    bad = WebhookClient(fake_slack.new_response_url("C1", user="U1"))
    assert (
        bad.send(
            text="x", blocks=[{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]
        ).status_code
        == 400
    )
    assert fake_slack.violations[-1][0] == "response_url"
