"""Over 400 lines: ``SlackDriver`` builds and signs every Slack request shape the bot handles
(commands, events, clicks, modals, shortcuts) and applies each ack as Slack does.

Send requests shaped and signed like Slack's to a Bolt app over real HTTP: how the end-to-end
tests talk to the bot, and how every click and message on the sandbox's page reaches it.

    driver = SlackDriver("http://127.0.0.1:8123/slack/events", signing_secret, fake)
    resp = driver.slash_command("U1", "need a postgres db")
    resp, ts = driver.message_im("U1", "hello")
    driver.click("U1", fake.last_message(fake.dm_channel("U1")), "approve")
    driver.submit_view("U1", fake.current_view("U1"), title="New DB", due="2025-12-01")

Payload shapes follow Slack's documentation and slack_bolt's own tests. Trigger ids and response
URLs come from the FakeSlack, so views.open / response_url posts made by the app are checked for
lifetime and single use. Human messages are inserted into the fake's store before their event
is delivered, so threads read naturally. Every request whose ack takes longer than 3 s is recorded
as a violation in the fake (Slack would retry the event or show the user an error).

Acks are applied like Slack applies them: a slash command ack with a body shows that message
(ephemeral unless response_type is in_channel); a view_submission ack closes the view or applies
response_action update / push / clear / errors to the fake's modal stack.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass, field
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.slack_api import FakeSlack

ACK_TIMEOUT_SECONDS = 3.0
# Slack's legacy verification token, in the body of every request (Bolt ignores it).
VERIFICATION_TOKEN = "fake-verification-token"

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_TEXT_INPUTS = {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
}
_SINGLE = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "external_select": "selected_option",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}
_MULTI = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}


@dataclass(frozen=True)
class SignedRequest:
    """One request exactly as it goes over the wire, and what the driver built it from."""

    body: bytes
    content_type: str
    headers: dict[str, str]
    kind: str = "raw"
    payload: dict[str, Any] | None = None


@dataclass
class DriverResponse:
    status: int
    body: str
    json: Any  # parsed body, or None when it is not JSON
    elapsed_seconds: float
    payload: dict[str, Any] | None = None  # what was sent (the parsed payload / envelope / form)
    raw_request: bytes = b""
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


def _iter_elements(blocks: list[dict[str, Any]] | None):  # type: ignore[no-untyped-def]
    """Yield (block, element) for every interactive element in a blocks array."""
    for b in blocks or []:
        if not isinstance(b, dict):
            continue
        if b.get("type") == "actions":
            for e in b.get("elements") or []:
                yield b, e
        for k in ("accessory", "element"):
            if isinstance(b.get(k), dict):
                yield b, b[k]


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    opts = list(element.get("options") or [])
    for g in element.get("option_groups") or []:
        opts += g.get("options") or []
    return opts


def _rich_text(text: str) -> list[dict[str, Any]]:
    """The rich_text block Slack attaches to a human message (mentions become user elements)."""
    els: list[dict[str, Any]] = []
    pos = 0
    for m in _MENTION.finditer(text):
        if m.start() > pos:
            els.append({"type": "text", "text": text[pos : m.start()]})
        els.append({"type": "user", "user_id": m.group(1)})
        pos = m.end()
    if pos < len(text):
        els.append({"type": "text", "text": text[pos:]})
    return [
        {
            "type": "rich_text",
            "block_id": secrets.token_urlsafe(4),
            "elements": [{"type": "rich_text_section", "elements": els}],
        }
    ]


def _initial(element: dict[str, Any]) -> Any:
    """The plain value an element starts with (what submit_view would send untouched)."""
    for key in (
        "initial_value",
        "initial_date",
        "initial_user",
        "initial_channel",
        "initial_conversation",
        "initial_time",
        "initial_date_time",
    ):
        if key in element:
            return element[key]
    if "initial_option" in element:
        return element["initial_option"]["value"]
    if "initial_options" in element:
        return [o["value"] for o in element["initial_options"]]
    for key in ("initial_users", "initial_channels", "initial_conversations"):
        if key in element:
            return list(element[key])
    return None


@dataclass(eq=False)
class SlackDriver:
    """Signed Slack-shaped requests to a Bolt app at ``events_url``."""

    events_url: str
    signing_secret: str = field(repr=False)
    fake: FakeSlack
    team_id: str = "T0001"
    api_app_id: str = "A0001"
    _: KW_ONLY
    timeout: float = 10.0
    ack_timeout: float = ACK_TIMEOUT_SECONDS
    verification_token: str = field(default=VERIFICATION_TOKEN, init=False)
    _event_seq: Iterator[int] = field(
        default_factory=lambda: itertools.count(1), init=False, repr=False
    )

    # ------------------------------------------------------------------ transport

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        base = b"v0:" + ts.encode() + b":" + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}

    def send_raw(
        self,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        *,
        sign: bool = True,
        kind: str = "raw",
        payload: dict[str, Any] | None = None,
    ) -> DriverResponse:
        """POST ``body`` to the app. ``headers`` override the computed signature headers."""
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if sign:
            all_headers.update(self.sign(body, timestamp))
        all_headers.update(headers or {})
        return self.deliver(SignedRequest(body, content_type, all_headers, kind, payload))

    def deliver(self, request: SignedRequest) -> DriverResponse:
        """POST the request exactly as built: a subclass may keep or hold it instead."""
        req = urllib.request.Request(
            self.events_url, data=request.body, headers=request.headers, method="POST"
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                status, data = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, data = e.code, e.read()
        elapsed = time.perf_counter() - start
        text = data.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = None
        if elapsed > self.ack_timeout:
            self.fake.violation(
                f"ack:{request.kind}",
                f"the app took {elapsed:.2f}s to answer "
                f"(Slack gives up after {self.ack_timeout:.0f}s)",
            )
        return DriverResponse(
            status, text, parsed, elapsed, request.payload, request.body, request.content_type
        )

    def _send_form(self, form: dict[str, Any], kind: str) -> DriverResponse:
        body = urlencode(form).encode()
        return self.send_raw(body, "application/x-www-form-urlencoded", kind=kind, payload=form)

    def _send_payload(self, payload: dict[str, Any]) -> DriverResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.send_raw(
            body, "application/x-www-form-urlencoded", kind=payload["type"], payload=payload
        )

    # ------------------------------------------------------------------ shared pieces

    def _user(self, user: str) -> dict[str, Any]:
        name = self.fake.user_name(user)
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.fake.team_domain}

    def _channel(self, channel: str) -> dict[str, Any]:
        return {"id": channel, "name": self.fake.channel_name(channel)}

    def _action_ts(self) -> str:
        return f"{time.time():.6f}"

    # ------------------------------------------------------------------ slash commands

    def slash_command(
        self,
        user: str,
        text: str,
        command: str = "/intake",
        channel: str = "C0REQUESTS",
        channel_name: str | None = None,
    ) -> DriverResponse:
        """A slash command; an ack with a body is shown like Slack shows it (see module doc)."""
        form = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.fake.team_domain,
            "channel_id": channel,
            "channel_name": channel_name or self.fake.channel_name(channel),
            "user_id": user,
            "user_name": self.fake.user_name(user),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.new_response_url(channel, user=user),
            "trigger_id": self.fake.issue_trigger_id(user),
        }
        resp = self._send_form(form, "slash_command")
        if resp.status == 200 and resp.body.strip():
            ack = resp.json if isinstance(resp.json, dict) else {"text": resp.body}
            if ack.get("text") or ack.get("blocks") or ack.get("attachments"):
                self.fake.apply_ack_message("ack:slash_command", channel, user, ack)
        return resp

    # ------------------------------------------------------------------ Events API

    def _event_id(self) -> str:
        return f"Ev{int(time.time())}{next(self._event_seq):04d}{secrets.token_hex(2).upper()}"

    def envelope(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        event = dict(event)
        event.setdefault("event_ts", event.get("ts") or f"{time.time():.6f}")
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self._event_id(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_urlsafe(24)}",
        }

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> DriverResponse:
        """Deliver an event_callback; retry_num adds X-Slack-Retry-Num / -Reason headers."""
        return self._send_envelope(self.envelope(event, event_id=event_id), retry_num, retry_reason)

    def retry(
        self, previous: DriverResponse, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> DriverResponse:
        """Redeliver the same envelope (same event_id) as Slack's retry ``retry_num``."""
        if previous.payload is None or previous.payload.get("type") != "event_callback":
            raise ValueError("retry() needs the DriverResponse of an event delivery")
        return self._send_envelope(previous.payload, retry_num, retry_reason)

    def _send_envelope(
        self, envelope: dict[str, Any], retry_num: int | None, retry_reason: str
    ) -> DriverResponse:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        body = json.dumps(envelope).encode()
        kind = f"event:{envelope['event'].get('type')}"
        return self.send_raw(body, "application/json", headers, kind=kind, payload=envelope)

    def _human_message(
        self,
        user: str,
        text: str,
        channel: str,
        channel_type: str,
        ts: str | None,
        thread_ts: str | None,
        event_type: str = "message",
    ) -> tuple[DriverResponse, str]:
        ts = ts or self.fake.next_ts()
        blocks = _rich_text(text)
        client_msg_id = secrets.token_hex(16)
        self.fake.add_message(
            channel,
            user,
            text,
            ts=ts,
            thread_ts=thread_ts,
            blocks=blocks,
            client_msg_id=client_msg_id,
        )
        ev = self._message_event(event_type, user, text, channel, ts, thread_ts)
        ev.update(client_msg_id=client_msg_id, blocks=blocks)
        if event_type == "message":
            ev["channel_type"] = channel_type
        if thread_ts:
            root = self.fake.find_message(thread_ts)
            if root and root.get("user"):
                ev["parent_user_id"] = root["user"]
        return self.event(ev), ts

    def message_im(
        self,
        user: str,
        text: str,
        *,
        channel: str | None = None,
        ts: str | None = None,
        thread_ts: str | None = None,
    ) -> tuple[DriverResponse, str]:
        """A DM from ``user`` to the bot (message event, channel_type im)."""
        channel = channel or self.fake.dm_channel(user)
        return self._human_message(user, text, channel, "im", ts, thread_ts)

    def human_message(
        self, user: str, text: str, channel: str, thread_ts: str | None = None
    ) -> tuple[list[DriverResponse], str]:
        """A person writes ``text`` in ``channel`` (a DM with the bot, or a channel the bot is
        in), optionally in a thread: stored once, then delivered as Slack would: a message
        event (message.im or message.channels) and, when it mentions the bot outside a DM, an
        app_mention event too."""
        is_dm = channel.startswith("D")
        ts = self.fake.next_ts()
        kind = "im" if is_dm else "channel"
        first, _ = self._human_message(user, text, channel, kind, ts, thread_ts)
        responses = [first]
        if not is_dm and f"<@{self.fake.bot_user_id}>" in text:
            responses.append(self._mention_event(user, text, channel, ts, thread_ts))
        return responses, ts

    def _mention_event(
        self, user: str, text: str, channel: str, ts: str, thread_ts: str | None
    ) -> DriverResponse:
        """The app_mention event of a message already stored (see human_message)."""
        stored = self.fake.find_message(ts) or {}
        ev = self._message_event("app_mention", user, text, channel, ts, thread_ts)
        ev.update(
            client_msg_id=stored.get("client_msg_id", secrets.token_hex(16)),
            blocks=stored.get("blocks") or _rich_text(text),
        )
        return self.event(ev)

    def _message_event(
        self, event_type: str, user: str, text: str, channel: str, ts: str, thread_ts: str | None
    ) -> dict[str, Any]:
        """A message or app_mention event; the caller adds the message's id and blocks."""
        ev: dict[str, Any] = {
            "type": event_type,
            "user": user,
            "text": text,
            "ts": ts,
            "team": self.team_id,
            "channel": channel,
            "event_ts": ts,
        }
        if thread_ts:
            ev["thread_ts"] = thread_ts
        return ev

    def channel_message(
        self,
        user: str,
        text: str,
        channel: str,
        ts: str | None = None,
        thread_ts: str | None = None,
    ) -> tuple[DriverResponse, str]:
        return self._human_message(user, text, channel, "channel", ts, thread_ts)

    def app_mention(
        self,
        user: str,
        text: str,
        channel: str,
        ts: str | None = None,
        thread_ts: str | None = None,
    ) -> tuple[DriverResponse, str]:
        """An app_mention; ``text`` gets a "<@UBOT> " prefix unless it starts with it already."""
        mention = f"<@{self.fake.bot_user_id}>"
        if not text.startswith(mention):
            text = f"{mention} {text}"
        return self._human_message(user, text, channel, "channel", ts, thread_ts, "app_mention")

    def app_home_opened(self, user: str, tab: str = "home") -> DriverResponse:
        ev: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.fake.dm_channel(user),
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
        home = self.fake.home(user)
        if home is not None and tab == "home":
            ev["view"] = home
        return self.event(ev)

    # ------------------------------------------------------------------ interactivity

    def _find_element(
        self, blocks: list[dict[str, Any]] | None, action_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for b, e in _iter_elements(blocks):
            if e.get("action_id") == action_id:
                return b, e
        return None

    def block_action(
        self,
        user: str,
        action_id: str,
        *,
        value: str | None = None,
        message: dict[str, Any] | None = None,
        channel: str | None = None,
        view: dict[str, Any] | None = None,
        block_id: str | None = None,
        selected_option: dict[str, Any] | None = None,
        selected_user: str | None = None,
        extra: dict[str, Any] | None = None,
        stale: bool = False,
        state: dict[str, Any] | None = None,
    ) -> DriverResponse:
        """A block_actions payload for an element in ``message`` (or ``view``).

        With ``message``/``view`` the element is looked up by action_id (AssertionError when
        absent) to fill in block_id, type, text and, for selects, the selected option's text.
        ``extra`` is merged into the action. ``stale`` sends ``message`` as given, as a
        person's client does for a second click that lands before the bot updated it.
        ``state``: the view's state as the person left the form (what Slack sends with a click
        inside a modal: ``{"values": state_values(view, inputs, require=False)}``).
        """
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self.fake.issue_trigger_id(user),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
        }
        blocks = None
        if view is not None:
            current = self.fake.view(view["id"]) if view.get("id") else None
            view = current or view
            blocks = view.get("blocks")
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = copy.deepcopy(view)
            if state is not None:
                payload["view"]["state"] = copy.deepcopy(state)
            payload["state"] = copy.deepcopy(payload["view"].get("state") or {"values": {}})
        elif message is not None:
            ts = message["ts"]
            eph = self.fake.find_ephemeral(ts)
            stored = message if stale else (eph or self.fake.find_message(ts) or message)
            channel = channel or self.fake.channel_of(ts) or stored.get("channel")
            if channel is None:
                raise AssertionError(f"cannot tell which channel message {ts} is in; pass channel=")
            blocks = stored.get("blocks")
            thread_ts = stored.get("thread_ts") if stored.get("thread_ts") != ts else None
            container: dict[str, Any] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": eph is not None,
            }
            if thread_ts:
                container["thread_ts"] = thread_ts
            payload["container"] = container
            payload["channel"] = self._channel(channel)
            if eph is None:
                payload["message"] = {
                    k: v
                    for k, v in stored.items()
                    if k not in ("channel", "recipient", "is_ephemeral")
                }
            payload["response_url"] = self.fake.new_response_url(
                channel, user=user, message_ts=ts, thread_ts=thread_ts
            )
        else:
            if channel is not None:
                payload["channel"] = self._channel(channel)
                payload["response_url"] = self.fake.new_response_url(channel, user=user)
        action: dict[str, Any] = {"action_id": action_id, "action_ts": self._action_ts()}
        found = self._find_element(blocks, action_id) if blocks is not None else None
        if blocks is not None and found is None:
            present = [e.get("action_id") for _, e in _iter_elements(blocks)]
            raise AssertionError(f"no element with action_id {action_id!r}; present: {present}")
        etype = "button"
        if found is not None:
            b, e = found
            etype = e.get("type", "button")
            action["block_id"] = block_id or b.get("block_id")
            if e.get("text") is not None:
                action["text"] = e["text"]
            if etype == "button" and value is None:
                value = e.get("value")
            if etype in ("static_select", "overflow", "radio_buttons") and selected_option is None:
                if value is None:
                    raise AssertionError(f"{etype} {action_id!r}: pass value= or selected_option=")
                selected_option = self._option(e, value)
        else:
            action["block_id"] = block_id or secrets.token_urlsafe(4)
            if selected_option is not None:
                etype = "static_select"
            elif selected_user is not None:
                etype = "users_select"
        action["type"] = etype
        if selected_option is not None:
            action["selected_option"] = selected_option
        elif selected_user is not None:
            action["selected_user"] = selected_user
        elif etype in _SINGLE and value is not None:
            action[_SINGLE[etype]] = value
        elif value is not None:
            action["value"] = value
        if extra:
            action.update(extra)
        payload["actions"] = [action]
        return self._send_payload(payload)

    @staticmethod
    def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
        for o in _options(element):
            if o.get("value") == value:
                return copy.deepcopy(o)
        values = [o.get("value") for o in _options(element)]
        raise AssertionError(
            f"{element.get('type')} {element.get('action_id')!r} has no option {value!r}; "
            f"options: {values}"
        )

    def click(
        self, user: str, message: dict[str, Any], action_id_prefix: str, value: str | None = None
    ) -> DriverResponse:
        """Click the one button whose action_id starts with the prefix (and whose value matches).

        ``message`` is a stored message (or ephemeral, or a view from the fake). Raises
        AssertionError listing the buttons when none or several match.
        """
        if message is None:
            raise AssertionError("click(): message is None (the bot posted nothing?)")
        is_view = message.get("type") in ("modal", "home") and str(
            message.get("id", "")
        ).startswith("V")
        if is_view:
            current = self.fake.view(message["id"]) or message
        else:
            current = (
                self.fake.find_ephemeral(message["ts"])
                or self.fake.find_message(message["ts"])
                or message
            )
        buttons = [
            (b, e) for b, e in _iter_elements(current.get("blocks")) if e.get("type") == "button"
        ]
        matches = [
            (b, e)
            for b, e in buttons
            if str(e.get("action_id", "")).startswith(action_id_prefix)
            and (value is None or e.get("value") == value)
        ]
        if len(matches) != 1:
            listing = [
                f"{e.get('action_id')!r} value={e.get('value')!r} "
                f"text={e.get('text', {}).get('text')!r}"
                for _, e in buttons
            ]
            what = "no button" if not matches else f"{len(matches)} buttons"
            and_value = f" and value {value!r}" if value is not None else ""
            raise AssertionError(
                f"{what} with action_id starting {action_id_prefix!r}{and_value}; "
                f"buttons present: {listing}"
            )
        b, e = matches[0]
        if is_view:
            return self.block_action(
                user, e["action_id"], value=e.get("value"), view=current, block_id=b.get("block_id")
            )
        return self.block_action(
            user, e["action_id"], value=e.get("value"), message=current, block_id=b.get("block_id")
        )

    def view_submission(
        self,
        user: str,
        view: dict[str, Any],
        values: dict[str, dict[str, dict[str, Any]]],
    ) -> DriverResponse:
        """Submit ``view`` with state.values = ``values``; the ack is applied to the fake."""
        current = (self.fake.view(view["id"]) if view.get("id") else None) or view
        sent = copy.deepcopy(current)
        sent["state"] = {"values": copy.deepcopy(values)}
        payload: dict[str, Any] = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self.fake.issue_trigger_id(user),
            "view": sent,
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        resp = self._send_payload(payload)
        if resp.status == 200 and current.get("id"):
            if resp.body.strip() and not isinstance(resp.json, dict):
                self.fake.violation(
                    "ack:view_submission", f"ack body is not JSON: {resp.body[:200]!r}"
                )
            self.fake.apply_view_response(
                current["id"], resp.json if isinstance(resp.json, dict) else {}
            )
        return resp

    def submit_view(self, user: str, view: dict[str, Any] | None, **inputs: Any) -> DriverResponse:
        """Fill the view's input blocks by block_id with plain values and submit it.

        str for text inputs, "YYYY-MM-DD" for datepicker, an option value for static_select /
        radio_buttons, a list for multi-selects / checkboxes, a user id for users_select.
        Like Slack's client it refuses to submit when a required input is empty or a text is
        outside min_length/max_length (AssertionError).
        """
        if view is None:
            raise AssertionError("submit_view(): view is None (no modal open?)")
        current = (self.fake.view(view["id"]) if view.get("id") else None) or view
        return self.view_submission(user, current, self.state_values(current, inputs))

    def state_values(
        self, view: dict[str, Any], inputs: dict[str, Any], *, require: bool = True
    ) -> dict[str, Any]:
        """Build state.values for ``view`` from {block_id: plain value}. ``require``: refuse,
        like Slack's client on submit, an empty required input (False: a form in progress,
        as sent with a click inside it)."""
        input_blocks = {
            b.get("block_id"): b for b in view.get("blocks", []) if b.get("type") == "input"
        }
        unknown = set(inputs) - set(input_blocks)
        if unknown:
            raise AssertionError(
                f"no input block(s) {sorted(unknown)} in view; input blocks: {list(input_blocks)}"
            )
        values: dict[str, Any] = {}
        for bid, b in input_blocks.items():
            e = b.get("element") or {}
            aid = e.get("action_id")
            # Slack reports an input the person did not touch with its pre-filled value.
            given = inputs[bid] if bid in inputs else _initial(e)
            empty = given is None or given == "" or given == []
            if empty and not b.get("optional") and require:
                label = (b.get("label") or {}).get("text")
                raise AssertionError(
                    f"required input {bid!r} ({label!r}) is empty; Slack won't submit"
                )
            values[bid] = {aid: self._state_value(e, None if empty else given, bid)}
        return values

    def _state_value(self, e: dict[str, Any], given: Any, bid: str) -> dict[str, Any]:
        etype = e.get("type")
        v: dict[str, Any] = {"type": etype}
        if etype in _TEXT_INPUTS:
            if given is not None:
                given = str(given)
                mn, mx = e.get("min_length"), e.get("max_length")
                if (mn and len(given) < mn) or (mx and len(given) > mx):
                    raise AssertionError(
                        f"input {bid!r}: {len(given)} chars outside min_length={mn} max_length={mx}"
                    )
            v["value"] = given
        elif etype in ("static_select", "radio_buttons"):
            v["selected_option"] = None if given is None else self._option(e, str(given))
        elif etype in ("multi_static_select", "checkboxes"):
            v["selected_options"] = [self._option(e, str(x)) for x in (given or [])]
        elif etype in _SINGLE:
            key = _SINGLE[etype]
            if etype == "external_select" and given is not None:
                given = {"text": {"type": "plain_text", "text": str(given)}, "value": str(given)}
            v[key] = given
        elif etype in _MULTI:
            v[_MULTI[etype]] = list(given or [])
        elif etype == "rich_text_input":
            v["rich_text_value"] = _rich_text(str(given))[0] if given is not None else None
        else:
            v["value"] = given
        return v

    def view_closed(
        self, user: str, view: dict[str, Any], is_cleared: bool = False
    ) -> DriverResponse:
        current = (self.fake.view(view["id"]) if view.get("id") else None) or view
        payload = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "view": current,
            "is_cleared": is_cleared,
            "enterprise": None,
            "is_enterprise_install": False,
        }
        resp = self._send_payload(payload)
        if current.get("id"):
            self.fake.close_view(current["id"], clear=is_cleared)
        return resp

    def message_shortcut(
        self, user: str, message: dict[str, Any], channel: str, callback_id: str
    ) -> DriverResponse:
        msg = {
            k: v for k, v in message.items() if k not in ("channel", "recipient", "is_ephemeral")
        }
        msg.setdefault("type", "message")
        payload = {
            "type": "message_action",
            "token": self.verification_token,
            "action_ts": self._action_ts(),
            "team": self._team(),
            "user": self._user(user),
            "channel": self._channel(channel),
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.fake.issue_trigger_id(user),
            "response_url": self.fake.new_response_url(channel, user=user),
            "message_ts": msg.get("ts"),
            "message": msg,
        }
        return self._send_payload(payload)

    def global_shortcut(self, user: str, callback_id: str) -> DriverResponse:
        payload = {
            "type": "shortcut",
            "token": self.verification_token,
            "action_ts": self._action_ts(),
            "team": self._team(),
            "user": self._user(user),
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.fake.issue_trigger_id(user),
        }
        return self._send_payload(payload)


__all__ = ["DriverResponse", "SlackDriver"]
