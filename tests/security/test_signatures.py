"""Only requests Slack signed, within five minutes, are acted on; each only once.

Every request to /slack/events must carry ``X-Slack-Signature: v0=HMAC-SHA256(signing secret,
"v0:{X-Slack-Request-Timestamp}:{body}")`` with a timestamp within five minutes of the bot's
clock. Each forgery below is sent for three kinds of request that would otherwise change
something (a DM event that opens an intake, the /intake command, a Home tab button that opens a
form). Each must be answered 401 (or 400 for a header that is not even shaped like Slack's)
and leave no trace: no row in any table (ask, transcript, dedupe claim, audit, outboxes,
people) and no Web API call, response_url posts included: a forged body names its own
response_url, and the bot must never POST to it. The genuine request is then sent and does take
effect, so the refusals were the signature's doing and nothing else.

Replays. A request captured on the wire and sent again after the five minutes is refused like
any stale one. Sent again *inside* the window, byte for byte with its signature, it verifies:
the bot then has to treat it as Slack treats a redelivery, handled once. Decided here: an
identical replay of any request (event, command, click, form) has no second effect: no second
intake, no second post, no row written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.sandbox.requests import SignedRequest
from tests.e2e.conftest import REQUESTER, BotServer
from tests.e2e.helpers import (
    ASK,
    answered,
    decide,
    review_card,
    start_dm,
    text_of,
)
from tests.fakes.slack_api import FakeSlack
from tests.security.checks import FORM, REFUSED, Canary, CapturingDriver, Effects, submitted_ask

JSON = "application/json"
WINDOW = 5 * 60


# -- requests that would change something ----------------------------------------------------


def dm_event(d: CapturingDriver, slack: FakeSlack, user: str = REQUESTER) -> bytes:
    """A DM to the bot: opens an intake (ask, transcript, dedupe claim, replies)."""
    channel, ts = slack.dm_channel(user), slack.next_ts()
    slack.add_message(channel, user, ASK, ts=ts)  # the person's message exists in Slack
    event = {"type": "message", "channel_type": "im", "user": user, "text": ASK,
             "channel": channel, "ts": ts, "team": d.team_id}  # fmt: skip
    return json.dumps(d.envelope(event)).encode()


def slash_command(d: CapturingDriver, slack: FakeSlack, user: str = REQUESTER) -> bytes:
    """/intake with an ask: opens an intake in the person's DM."""
    return urllib.parse.urlencode(
        {
            "token": d.verification_token,
            "team_id": d.team_id,
            "team_domain": slack.team_domain,
            "channel_id": "C0REQUESTS",
            "channel_name": "platform-requests",
            "user_id": user,
            "user_name": slack.user_name(user),
            "command": "/intake",
            "text": ASK,
            "api_app_id": d.api_app_id,
            "response_url": slack.new_response_url("C0REQUESTS", user=user),
            "trigger_id": slack.issue_trigger_id(user),
        }
    ).encode()


def home_button(d: CapturingDriver, slack: FakeSlack, user: str = REQUESTER) -> bytes:
    """*New request* on the Home tab: opens a form (views.open)."""
    return d.payload_body(
        {
            "type": "block_actions",
            "user": {"id": user, "username": slack.user_name(user), "team_id": d.team_id},
            "api_app_id": d.api_app_id,
            "token": d.verification_token,
            "trigger_id": slack.issue_trigger_id(user),
            "team": {"id": d.team_id, "domain": slack.team_domain},
            "container": {"type": "view", "view_id": "V0HOME"},
            "actions": [
                {
                    "action_id": "home_new_request",
                    "block_id": "home",
                    "type": "button",
                    "value": "new",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
    )


@dataclass(frozen=True)
class Kind:
    name: str
    build: Callable[..., bytes]
    content_type: str
    tamper: Callable[[bytes], bytes]  # the body changed after signing

    def __str__(self) -> str:
        return self.name


KINDS = [
    Kind("event", dm_event, JSON, lambda b: b.replace(b"billing", b"payroll")),
    Kind("command", slash_command, FORM, lambda b: b.replace(b"U0ALICE", b"U0LEE")),
    Kind("action", home_button, FORM, lambda b: b.replace(b"U0ALICE", b"U0LEE")),
]


# -- forgeries: (body to send, headers) from the genuine body ----------------------------------


def signed(body: bytes, secret: str, timestamp: int | str) -> dict[str, str]:
    base = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


Forgery = Callable[[CapturingDriver, bytes, Kind], tuple[bytes, dict[str, str]]]


def _swap_signature(headers: dict[str, str], signature: str) -> dict[str, str]:
    return {**headers, "X-Slack-Signature": signature}


FORGERIES: dict[str, Forgery] = {
    "signed with another secret": lambda d, b, k: (
        b,
        signed(b, "not-the-signing-secret", int(time.time())),
    ),
    "no signature headers": lambda d, b, k: (b, {}),
    "no signature": lambda d, b, k: (b, {"X-Slack-Request-Timestamp": str(int(time.time()))}),
    "no timestamp": lambda d, b, k: (
        b,
        {"X-Slack-Signature": d.sign(b)["X-Slack-Signature"]},
    ),
    "captured six minutes ago": lambda d, b, k: (b, d.sign(b, int(time.time()) - WINDOW - 60)),
    "timestamp six minutes ahead": lambda d, b, k: (b, d.sign(b, int(time.time()) + WINDOW + 60)),
    "signature of another timestamp": lambda d, b, k: (
        b,
        {**d.sign(b, int(time.time()) - 10), "X-Slack-Request-Timestamp": str(int(time.time()))},
    ),
    "body changed after signing": lambda d, b, k: (k.tamper(b), d.sign(b)),
    "v1 scheme": lambda d, b, k: (
        b,
        _swap_signature(d.sign(b), d.sign(b)["X-Slack-Signature"].replace("v0=", "v1=")),
    ),
    "upper-case digest": lambda d, b, k: (
        b,
        _swap_signature(d.sign(b), "v0=" + d.sign(b)["X-Slack-Signature"][3:].upper()),
    ),
    "empty digest": lambda d, b, k: (b, _swap_signature(d.sign(b), "v0=")),
    "non-ASCII digest": lambda d, b, k: (b, _swap_signature(d.sign(b), "v0=\u00e9" * 8)),
    "timestamp not a number": lambda d, b, k: (
        b,
        {**d.sign(b), "X-Slack-Request-Timestamp": "yesterday"},
    ),
    "digest of the body alone": lambda d, b, k: (
        b,
        _swap_signature(
            d.sign(b), "v0=" + hmac.new(d.signing_secret.encode(), b, hashlib.sha256).hexdigest()
        ),
    ),
}


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_a_request_without_a_valid_signature_is_refused_and_changes_nothing(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer, kind: Kind
) -> None:
    verdicts = {}
    for forgery, forge in FORGERIES.items():
        genuine = kind.build(capturing, slack)
        before = Effects.now(bot, slack, quiet=0.1)
        body, headers = forge(capturing, genuine, kind)
        assert body != genuine or headers != capturing.sign(genuine)
        response = capturing.send_raw(body, kind.content_type, headers, sign=False)
        assert "Traceback" not in response.body
        verdicts[forgery] = before.verdict(response)

    assert verdicts == dict.fromkeys(FORGERIES, REFUSED)
    # The same kind of request, signed now, is acted on: the refusals were the signature's.
    genuine = kind.build(capturing, slack)
    before = Effects.now(bot, slack)
    assert capturing.send_raw(genuine, kind.content_type).status == 200
    before.assert_some()


def test_a_request_just_inside_the_window_is_accepted(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    """The window is Slack's five minutes, not tighter: a request delayed 4½ minutes counts."""
    body = dm_event(capturing, slack)
    before = Effects.now(bot, slack)
    late = capturing.send_raw(body, JSON, timestamp=int(time.time()) - WINDOW + 30)
    assert late.status == 200
    before.assert_some()


def test_an_unsigned_request_cannot_make_the_bot_call_a_url_it_names(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    """A forged command carries a response_url of the forger's choosing. Whatever goes wrong
    with its headers, the bot must not POST there (a way to make it reach internal URLs)."""
    with Canary() as canary:
        form = urllib.parse.parse_qs(slash_command(capturing, slack).decode())
        form["response_url"] = [canary.url]
        body = urllib.parse.urlencode({k: v[0] for k, v in form.items()}).encode()
        now = str(int(time.time()))
        before = Effects.now(bot, slack)
        statuses = [
            capturing.send_raw(body, FORM, headers, sign=False).status
            for headers in (
                {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=" + "0" * 64},
                {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=\u00e9"},
                {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "0" * 64},
                {},
            )
        ]
        slack.wait_idle(quiet=0.5)
        assert canary.requests == [], f"the bot POSTed to a forged response_url: {canary.requests}"
        before.assert_none()
        assert all(status in (400, 401) for status in statuses), statuses


# -- replays inside the window ----------------------------------------------------------------


def replayed_without_effect(
    capturing: CapturingDriver, bot: BotServer, slack: FakeSlack, sent: SignedRequest
) -> None:
    """``sent`` again, byte for byte inside the window: answered 200, and nothing changes
    (still the one ask)."""
    before = Effects.now(bot, slack)
    assert capturing.replay(sent).status == 200
    before.assert_none()
    assert bot.container is not None and len(bot.container.intake.list()) == 1


def test_an_event_replayed_inside_the_window_has_no_second_effect(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    c = start_dm(capturing, slack, REQUESTER, ASK)
    assert "environment" in text_of(c.last).lower()
    replayed_without_effect(capturing, bot, slack, capturing.sent[-1])


def test_slacks_own_retry_of_an_event_has_no_second_effect(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    """A retry is the same event re-signed (new timestamp) with X-Slack-Retry-Num. It may be
    remembered as seen (a dedupe claim), and nothing more."""
    first, _ = capturing.message_im(REQUESTER, ASK)
    slack.wait_for("chat.postMessage", lambda c: "Question 1" in str(c.args), timeout=10)
    before = Effects.now(bot, slack, quiet=0.5)
    for number in (1, 2, 3):
        assert capturing.retry(first, retry_num=number).status == 200
    before.assert_none(but={"processed_keys"})


def test_a_slash_command_replayed_inside_the_window_has_no_second_effect(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    assert answered(slack, lambda: capturing.slash_command(REQUESTER, ASK)).status == 200
    replayed_without_effect(capturing, bot, slack, capturing.sent[-1])


def test_a_click_replayed_inside_the_window_has_no_second_effect(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    c, _ = submitted_ask(capturing, slack, REQUESTER)
    assert any("Submitted as *PLAT-1*" in text_of(m) for m in c.bot_messages)
    submit = next(s for s in reversed(capturing.sent) if b"intake_submit" in s.body)

    replayed_without_effect(capturing, bot, slack, submit)


def test_a_form_submission_replayed_inside_the_window_has_no_second_effect(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    _, card = submitted_ask(capturing, slack, REQUESTER)
    decide(capturing, slack, card, "review_decline", reason="Use the shared cluster.")
    assert "declined" in text_of(review_card(slack))
    decline = capturing.sent[-1]

    replayed_without_effect(capturing, bot, slack, decline)
