"""Over 400 lines: one emulated Slack workspace; every Web API method reads and writes the same
state under one lock, which split by API surface would be shared across modules.

An emulation of the Slack Web API served over real HTTP on 127.0.0.1: what the end-to-end
tests run the bot against, and the Slack side of `intake-bot sandbox`.

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test-token", base_url=fake.api_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.last_message("C1")["text"] == "hi"
        assert fake.violations == []

It accepts requests the way slack_sdk sends them (form, JSON or multipart bodies, token in an
``Authorization: Bearer`` header or a ``token`` param), records every call, keeps a message store,
views, Home tabs and ephemerals, serves response_url endpoints, validates every Block Kit payload
(bot/sandbox/blockkit.py) and enforces the platform limits in /work/shared/docs/slack-platform.md:
trigger_id lifetime and single use, 5 posts per response_url, modal stack depth, rate limits.
Anything Slack would reject or a real workspace would suffer from is appended to ``violations``
as ``(method, reason)`` (``violation_times`` holds when each was seen); the ``fake_slack``
fixture asserts that list is empty at teardown. ``use_documented_rates()`` turns on the rate
limits Slack documents (the sandbox does; tests set the ones they exercise with ``set_rate``).

All state lives behind one lock; the accessors return deep copies.
"""

from __future__ import annotations

import contextlib
import copy
import email.parser
import email.policy
import itertools
import json
import math
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from bot.sandbox.blockkit import check_message, check_view
from bot.sandbox.startable import Startable

TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60
MODAL_STACK_MAX = 3
# Retries this much earlier than Retry-After are still accepted (clock jitter).
RETRY_AFTER_TOLERANCE = 0.05

_JSON_FIELDS = ("blocks", "view", "attachments", "metadata")

# The rate limits Slack documents (shared/docs/slack-platform.md): per method and workspace in
# per-minute windows (Tier 2 about 20/min, Tier 3 about 50/min, Tier 4 about 100/min), and for
# chat.postMessage about one message a second per channel with short bursts. A window of N a
# minute is emulated as a token bucket of N refilled over the minute.
TIER_2, TIER_3, TIER_4 = 20, 50, 100
DOCUMENTED_RATES: dict[str, int] = {
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.postEphemeral": TIER_4,
    "chat.getPermalink": TIER_4,
    "conversations.open": TIER_3,
    "conversations.info": TIER_3,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "users.info": TIER_4,
    "users.list": TIER_2,
    "users.lookupByEmail": TIER_3,
    "usergroups.users.list": TIER_2,
    "reactions.add": TIER_3,
    "reactions.remove": TIER_2,
    "views.open": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
    "views.publish": TIER_4,
}
POST_MESSAGE_PER_CHANNEL_PER_MINUTE = 60
POST_MESSAGE_CHANNEL_BURST = 5
_TZ_LABELS = {
    "UTC": "Coordinated Universal Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
}


@dataclass
class ApiCall:
    """One request the fake received (Web API method, or "response_url" for response_url posts)."""

    method: str
    args: dict[str, Any]  # decoded; blocks / view / attachments parsed to objects; no token
    headers: dict[str, str]
    at: float  # time.time() when it arrived (the fake's clock, when it has one)
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None  # the Retry-After of a 429

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else str(self.response.get("error"))


@dataclass
class ResponsePost:
    """One POST to a response_url."""

    url: str
    body: dict[str, Any]
    status: int
    at: float
    channel: str | None
    user: str | None
    message_ts: str | None


@dataclass
class _Trigger:
    issued: float  # monotonic
    user: str | None
    used: bool = False


@dataclass
class _ResponseUrl:
    url: str
    channel: str | None
    user: str | None
    message_ts: str | None
    thread_ts: str | None
    issued: float  # monotonic
    posts: int = 0


@dataclass
class _RateRule:
    per_minute: float
    burst: float
    per_channel: bool
    buckets: dict[Any, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)


class _Findings(list[tuple[str, str]]):
    """The violations list; remembers when each was appended (``times``, from ``now``)."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.now = now
        self.times: list[float] = []

    def append(self, item: tuple[str, str]) -> None:
        super().append(item)
        self.times.append(self.now())

    def clear(self) -> None:
        super().clear()
        self.times.clear()


class SlackError(Exception):
    """Raised inside a method implementation to answer {"ok": false, "error": ...}."""

    def __init__(self, error: str, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error, self.status, self.extra = error, status, extra


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "on")
    return bool(v)


def _need(args: dict[str, Any], name: str) -> Any:
    v = args.get(name)
    if v is None or v == "":
        raise SlackError("invalid_arguments", response_metadata={"messages": [f"missing {name}"]})
    return v


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeSlack/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr logging
        pass

    def do_POST(self) -> None:
        self.server.fake._serve(self)  # type: ignore[attr-defined]

    do_GET = do_POST


class FakeSlack(Startable):
    """Fake Slack Web API. See the module docstring; every public method is thread-safe."""

    def __init__(
        self,
        bot_token: str = "xoxb-test-token",
        *,
        team_id: str = "T0001",
        team_name: str = "Test Team",
        team_domain: str = "testteam",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        bot_name: str = "intake-bot",
        app_id: str = "A0001",
        ts_base: int = 1763770000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.team_id, self.team_name, self.team_domain = team_id, team_name, team_domain
        self.bot_user_id, self.bot_id, self.bot_name, self.app_id = (
            bot_user_id,
            bot_id,
            bot_name,
            app_id,
        )
        self._tokens = {bot_token}
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ts_base = ts_base
        self._clock = clock  # when given, message ts follow it (the sandbox's movable clock)
        self._last_ts = 0.0
        self._ts_counter = itertools.count(1)
        self._ids = itertools.count(1)
        # recorded traffic / findings
        self.calls: list[ApiCall] = []
        self.responses: list[ResponsePost] = []
        self.violations: list[tuple[str, str]] = _Findings(clock or time.time)
        self.warnings: list[tuple[str, str]] = []
        self.ratelimited: Counter[str] = Counter()
        # (method, "forced" | "method" | "channel" | "workspace"): which limit answered 429
        self.ratelimited_by: Counter[tuple[str, str]] = Counter()
        self._violations_expected = False
        self._inflight = 0
        self._last_activity = time.monotonic()
        # The bots talking to this fake, as "wait until idle" probes (see ``watch``).
        self._bots: list[Callable[[float], bool]] = []
        # workspace
        self._users: dict[str, dict[str, Any]] = {}
        self._usergroups: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ts_channel: dict[str, str] = {}
        self._ephemerals: dict[str | None, list[dict[str, Any]]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._view_user: dict[str, str | None] = {}
        self._external_ids: dict[str, str] = {}
        self._stacks: dict[str | None, list[str]] = {}
        self._homes: dict[str, str] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        # behaviour knobs
        self._forced_limits: dict[str, deque[int]] = {}
        self._rules: dict[str, _RateRule] = {}
        self._workspace_rules: dict[str, _RateRule] = {}
        self._limited_until: dict[Any, float] = {}
        self._delays: dict[str, float] = {}
        self._held: Counter[str] = Counter()  # requests arrived and held by a delay now
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": lambda a: {"args": a},
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.users.list": self._usergroups_users_list,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
        }
        self.add_user(bot_user_id, bot_name, real_name=bot_name, is_bot=True)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeSlack",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """Give this to WebClient(base_url=...)."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ configuration

    def add_token(self, token: str) -> None:
        """Accept another token (e.g. a user token) besides the bot token."""
        with self._lock:
            self._tokens.add(token)

    def add_user(
        self,
        id: str,
        name: str,
        tz: str = "UTC",
        real_name: str | None = None,
        *,
        email: str | None = None,
        is_bot: bool = False,
        is_admin: bool = False,
        deleted: bool = False,
    ) -> None:
        ZoneInfo(tz)  # fail early on a bad zone name
        with self._lock:
            self._users[id] = {
                "id": id,
                "name": name,
                "tz": tz,
                "real_name": real_name or name,
                "email": email or f"{name}@example.com",
                "is_bot": is_bot,
                "is_admin": is_admin,
                "deleted": deleted,
            }

    def add_usergroup(self, id: str, users: list[str], handle: str | None = None) -> None:
        with self._lock:
            self._usergroups[id] = {"id": id, "users": list(users), "handle": handle or id.lower()}

    def add_channel(self, id: str, name: str, *, is_private: bool = False) -> None:
        with self._lock:
            self._channels[id] = {"id": id, "name": name, "is_private": is_private}

    def expect_violations(self) -> None:
        """Tell the fake_slack fixture that this test provokes violations on purpose."""
        self._violations_expected = True

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 429 with Retry-After."""
        with self._lock:
            q = self._forced_limits.setdefault(method, deque())
            q.extend([max(0, math.ceil(retry_after))] * times)

    def set_rate(
        self, method: str, per_minute: float, burst: float = 1, *, per_channel: bool = False
    ) -> None:
        """Token bucket for ``method`` (per channel when per_channel): over it -> 429."""
        with self._lock:
            self._rules[method] = _RateRule(per_minute, max(1.0, burst), per_channel)

    def set_workspace_rate(self, method: str, per_minute: float, burst: float = 1) -> None:
        """A workspace-wide token bucket for ``method`` on top of its ``set_rate`` rule, as
        chat.postMessage has (about 1 per second per channel, plus a workspace-wide limit Slack
        does not publish). A call goes through only when every bucket that applies has a
        token; over either -> 429 with that bucket's Retry-After, and while a workspace-wide
        Retry-After lasts every call of ``method`` (any channel) is a violation."""
        with self._lock:
            self._workspace_rules[method] = _RateRule(per_minute, max(1.0, burst), False)

    def use_documented_rates(self) -> None:
        """The limits Slack documents (DOCUMENTED_RATES and about one chat.postMessage a second
        per channel): a bot that exceeds them gets HTTP 429 with Retry-After, as from Slack."""
        for method, per_minute in DOCUMENTED_RATES.items():
            self.set_rate(method, per_minute, burst=per_minute)
        self.set_rate(
            "chat.postMessage",
            POST_MESSAGE_PER_CHANNEL_PER_MINUTE,
            burst=POST_MESSAGE_CHANNEL_BURST,
            per_channel=True,
        )

    def clear_rate(self, method: str) -> None:
        with self._lock:
            self._rules.pop(method, None)
            self._workspace_rules.pop(method, None)
            self._forced_limits.pop(method, None)

    def delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` after ``seconds`` (0 removes the delay)."""
        with self._lock:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def held(self, method: str) -> int:
        """How many ``method`` requests have arrived and are being held by ``delay`` now."""
        with self._lock:
            return self._held[method]

    # ------------------------------------------------------------------ ids used by the driver

    def _wall(self) -> float:
        return self._clock() if self._clock is not None else time.time()

    def next_ts(self) -> str:
        """A unique, increasing message ts like "1763770000.000100" (with a ``clock``: its
        time, in microseconds, never earlier than the previous ts)."""
        if self._clock is not None:
            with self._lock:
                micros = max(round(self._clock() * 1_000_000), round(self._last_ts * 1e6) + 1)
                self._last_ts = micros / 1_000_000
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
        n = next(self._ts_counter) * 100
        return f"{self._ts_base + n // 1_000_000}.{n % 1_000_000:06d}"

    def dm_channel(self, user: str) -> str:
        return "D" + user

    def issue_trigger_id(self, user: str | None = None, *, issued_ago: float = 0.0) -> str:
        """A trigger_id as Slack puts in interactive payloads: valid 3 s, usable once."""
        tid = f"{next(self._ids)}.{self.team_id[1:] or '1'}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[tid] = _Trigger(time.monotonic() - issued_ago, user)
        return tid

    def new_response_url(
        self,
        channel: str | None = None,
        *,
        user: str | None = None,
        message_ts: str | None = None,
        thread_ts: str | None = None,
        issued_ago: float = 0.0,
    ) -> str:
        """A response_url; posts to it land in ``channel`` / update ``message_ts``."""
        rid = f"{self.team_id}/{next(self._ids)}/{secrets.token_hex(8)}"
        url = f"{self.base_url}/response/{rid}"
        with self._lock:
            self._response_urls[rid] = _ResponseUrl(
                url, channel, user, message_ts, thread_ts, time.monotonic() - issued_ago
            )
        return url

    def user_name(self, user: str) -> str:
        with self._lock:
            u = self._users.get(user)
            return u["name"] if u else user.lower()

    def channel_name(self, channel: str) -> str:
        with self._lock:
            c = self._channels.get(channel)
        if c:
            return str(c["name"])
        return "directmessage" if channel.startswith("D") else channel.lower()

    # ------------------------------------------------------------------ recorded traffic

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        """Forget recorded calls, responses, violations and warnings (not the workspace state)."""
        with self._lock:
            self.calls.clear()
            self.responses.clear()
            self.violations.clear()
            self.warnings.clear()
            self.ratelimited.clear()
            self.ratelimited_by.clear()

    def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[ApiCall]:
        """Block until ``count`` calls of ``method`` matching ``predicate`` were recorded.

        Counts every recorded call, failed ones too (use ``predicate=lambda c: c.ok``).
        ``method`` "response_url" waits for response_url posts.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    c
                    for c in self.calls
                    if c.method == method and (predicate is None or predicate(c))
                ]
                if len(found) >= count:
                    return found[:count] if count > 0 else found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [
                        f"{c.method}{'' if c.ok else ' (' + str(c.error) + ')'}" for c in self.calls
                    ]
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} call(s) to {method}"
                        f"{' matching the predicate' if predicate else ''}; got {len(found)}. "
                        f"Recorded calls: {seen}"
                    )
                self._cond.wait(left)

    def wait_for_calls(self, more_than: int, timeout: float = 5.0) -> None:
        """Block until more than ``more_than`` Web API calls were recorded."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.calls) <= more_than:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the bot made no Web API call within {timeout}s")
                self._cond.wait(left)

    def watch(self, bot_idle: Callable[[float], bool]) -> Callable[[], None]:
        """Know when a bot is done: ``bot_idle(timeout)`` blocks until the bot has no work in
        flight (``bot.in_flight.InFlight.wait_idle``). With a bot watched, ``wait_idle`` waits
        for exactly that instead of a quiet gap. Returns the function that unwatches it."""
        with self._lock:
            self._bots.append(bot_idle)

        def unwatch() -> None:
            with self._lock:
                if bot_idle in self._bots:
                    self._bots.remove(bot_idle)

        return unwatch

    def wait_idle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Return once the bot is done: every watched bot has no work in flight and no request
        is being served. With no bot watched, once no request arrived (and none is in flight)
        for ``quiet`` seconds."""
        with self._lock:
            bots = list(self._bots)
        if bots:
            self._wait_settled(bots, timeout)
            return
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                idle_for = now - self._last_activity
                if self._inflight == 0 and idle_for >= quiet:
                    return
                if now >= deadline:
                    raise AssertionError(
                        f"fake Slack not idle after {timeout}s "
                        f"({self._inflight} request(s) in flight)"
                    )
                self._cond.wait(min(deadline - now, max(0.01, quiet - idle_for)))

    def _wait_settled(self, bots: list[Callable[[float], bool]], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for bot_idle in bots:
                if not bot_idle(max(0.0, deadline - time.monotonic())):
                    raise AssertionError(f"the bot still had work in flight after {timeout}s")
            with self._cond:
                while self._inflight > 0:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise AssertionError(
                            f"fake Slack not idle after {timeout}s "
                            f"({self._inflight} request(s) in flight)"
                        )
                    self._cond.wait(left)
            # A request served meanwhile came from work that has ended only if every bot is
            # still idle now; otherwise go round again.
            if all(bot_idle(0) for bot_idle in bots):
                return

    @property
    def violation_times(self) -> list[float]:
        """When each of ``violations`` was recorded (time.time(), or the fake's clock), in the
        same order."""
        with self._lock:
            times = getattr(self.violations, "times", None)
            return list(times) if times is not None else [0.0] * len(self.violations)

    def recorded(self) -> tuple[list[ApiCall], list[tuple[str, str]], list[float]]:
        """The calls, the violations and when each violation was seen, read together."""
        with self._lock:
            return list(self.calls), list(self.violations), self.violation_times

    def violation(self, method: str, reason: str) -> None:
        """Record a violation (also used by the driver for slow acks and bad ack bodies)."""
        with self._lock:
            self.violations.append((method, reason))

    # ------------------------------------------------------------------ state accessors

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in ``channel`` (top-level and replies) in ts order."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel, []))

    def bot_messages(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if m.get("bot_id")]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Root message ``ts`` followed by its replies in order ([] when unknown)."""
        with self._lock:
            return copy.deepcopy(self._thread_msgs(channel, ts))

    def last_message(self, channel: str, thread_ts: str | None = None) -> dict[str, Any] | None:
        """Newest message in the channel (top-level or reply), or in that thread."""
        msgs = self.thread(channel, thread_ts) if thread_ts else self.messages(channel)
        return msgs[-1] if msgs else None

    def find_message(self, ts: str) -> dict[str, Any] | None:
        with self._lock:
            ch = self._ts_channel.get(ts)
            m = self._find(ch, ts) if ch else None
            return copy.deepcopy(m) if m else None

    def channel_of(self, ts: str) -> str | None:
        """The channel of a stored message or ephemeral message ``ts``."""
        with self._lock:
            if ts in self._ts_channel:
                return self._ts_channel[ts]
            e = self._find_ephemeral(ts)
            return e["channel"] if e else None

    def users(self) -> list[dict[str, Any]]:
        """Every person and bot of the workspace (id, name, real_name, tz, is_bot, ...)."""
        with self._lock:
            return copy.deepcopy(list(self._users.values()))

    def user(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            u = self._users.get(user)
            return copy.deepcopy(u) if u else None

    def channels(self) -> list[dict[str, Any]]:
        """The workspace's channels (id, name, is_private), as added with ``add_channel``."""
        with self._lock:
            return copy.deepcopy(list(self._channels.values()))

    def ephemerals(self, user: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._ephemerals.get(user, []))

    def find_ephemeral(self, ts: str) -> dict[str, Any] | None:
        with self._lock:
            e = self._find_ephemeral(ts)
            return copy.deepcopy(e) if e else None

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            v = self._views.get(view_id)
            return copy.deepcopy(v) if v else None

    def views(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._views)

    def modal_stack(self, user: str | None) -> list[dict[str, Any]]:
        """The user's open modals, root first."""
        with self._lock:
            return [copy.deepcopy(self._views[v]) for v in self._stacks.get(user, [])]

    def current_view(self, user: str | None) -> dict[str, Any] | None:
        stack = self.modal_stack(user)
        return stack[-1] if stack else None

    def home(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            vid = self._homes.get(user)
            return copy.deepcopy(self._views[vid]) if vid else None

    def add_message(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Insert a human message (as the driver does before delivering its event)."""
        msg: dict[str, Any] = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts or self.next_ts(),
            "team": self.team_id,
        }
        if blocks is not None:
            msg["blocks"] = blocks
        if thread_ts:
            msg["thread_ts"] = thread_ts
        msg.update(extra)
        with self._lock:
            self._store(channel, msg)
            return copy.deepcopy(msg)

    # ------------------------------------------------------------------ view stack hooks (driver)

    def close_view(self, view_id: str, *, clear: bool = False) -> None:
        """The user closed/submitted ``view_id``: pop it (or the whole stack when clear)."""
        with self._lock:
            for stack in self._stacks.values():
                if view_id in stack:
                    if clear:
                        stack.clear()
                    else:
                        stack.remove(view_id)
                    return

    def apply_view_response(self, view_id: str, body: dict[str, Any]) -> None:
        """Apply a view_submission ack body (response_action update/push/clear/errors)."""
        action = body.get("response_action")
        with self._lock:
            if action == "errors":
                errors = body.get("errors")
                view = self._views.get(view_id)
                if not isinstance(errors, dict) or not errors:
                    self.violations.append(
                        ("view_submission", "response_action errors without errors")
                    )
                elif view is not None:
                    ids = {
                        b.get("block_id")
                        for b in view.get("blocks", [])
                        if b.get("type") == "input"
                    }
                    for bid in errors:
                        if bid not in ids:
                            self.violations.append(
                                (
                                    "view_submission",
                                    f"errors refer to unknown input block_id {bid!r}",
                                )
                            )
                return
            if action in ("update", "push"):
                new = body.get("view")
                problems = check_view(new, expect_type="modal")
                if problems or not isinstance(new, dict):
                    for p in problems:
                        self.violations.append((f"view_submission.{action}", p.message))
                    return
                if action == "update":
                    old = self._views.get(view_id)
                    if old is not None:
                        self._views[view_id] = self._build_view(
                            new,
                            view_id=view_id,
                            root=old["root_view_id"],
                            previous=old.get("previous_view_id"),
                        )
                    return
                user = self._user_of_view(view_id)
                stack = self._stacks.setdefault(user, [])
                if len(stack) >= MODAL_STACK_MAX:
                    self.violations.append(("view_submission.push", "push_limit_reached"))
                    return
                vid = self._new_view_id()
                root = stack[0] if stack else vid
                self._views[vid] = self._build_view(new, view_id=vid, root=root, previous=view_id)
                self._view_user[vid] = user
                stack.append(vid)
                return
            if action == "clear":
                self.close_view(view_id, clear=True)
                return
            if action is not None:
                self.violations.append(("view_submission", f"unknown response_action {action!r}"))
            self.close_view(view_id)

    def apply_ack_message(
        self, kind: str, channel: str | None, user: str, body: dict[str, Any]
    ) -> None:
        """A slash command ack with a message body: Slack shows it (ephemeral unless in_channel)."""
        with self._lock, contextlib.suppress(SlackError):  # violations are recorded already
            self._apply_message_response(kind, body, channel, user, None, None)

    # ------------------------------------------------------------------ HTTP plumbing

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        headers = {k: v for k, v in h.headers.items()}
        with self._cond:
            self._inflight += 1
            self._last_activity = time.monotonic()
        body: dict[str, Any] | str
        try:
            if split.path.startswith("/api/"):
                method = split.path[len("/api/") :]
                status, body, extra_headers = self._api(method, split.query, raw, headers)
            elif split.path.startswith("/response/"):
                status, body, extra_headers = self._response_post(
                    split.path[len("/response/") :], raw, headers
                )
            else:
                status, body, extra_headers = 404, {"ok": False, "error": "not_found"}, {}
        except Exception as e:  # a bug in the fake: make it loud
            status, body, extra_headers = 500, {"ok": False, "error": f"fake_error: {e!r}"}, {}
            with self._lock:
                self.violations.append(("fake", f"internal error in FakeSlack: {e!r}"))
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        try:
            h.send_response(status)
            h.send_header(
                "Content-Type",
                "text/plain; charset=utf-8"
                if isinstance(body, str)
                else "application/json; charset=utf-8",
            )
            h.send_header("Content-Length", str(len(data)))
            for k, v in extra_headers.items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        finally:
            with self._cond:
                self._inflight -= 1
                self._last_activity = time.monotonic()
                self._cond.notify_all()

    @staticmethod
    def _decode(query: str, raw: bytes, headers: dict[str, str]) -> dict[str, Any]:
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        text = raw.decode("utf-8", errors="replace")
        if raw:
            if "json" in ctype or (not ctype and text.lstrip().startswith("{")):
                parsed = json.loads(text)
                if isinstance(parsed, dict):
                    args.update(parsed)
            elif ctype.startswith("multipart/form-data"):
                msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw
                )
                for part in msg.iter_parts():
                    name = str(part.get_param("name", header="content-disposition"))
                    payload = part.get_payload(decode=True) or b""
                    assert isinstance(payload, bytes)
                    is_file = part.get_filename() is not None
                    args[name] = payload if is_file else payload.decode("utf-8", errors="replace")
            else:
                args.update(parse_qsl(text, keep_blank_values=True))
        for k in _JSON_FIELDS:
            if isinstance(args.get(k), str) and args[k].strip()[:1] in ("[", "{"):
                with contextlib.suppress(ValueError):  # else left a string: validators report it
                    args[k] = json.loads(args[k])
        return args

    def _api(
        self, method: str, query: str, raw: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        at = self._wall()
        try:
            args = self._decode(query, raw, headers)
        except ValueError as e:
            args, bad_body = {"_raw": raw.decode("utf-8", errors="replace")}, str(e)
        else:
            bad_body = ""
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else None
        token = token or args.pop("token", None)
        args.pop("token", None)
        delay = self._delays.get(method, 0.0)
        if delay:
            with self._lock:
                self._held[method] += 1
            try:
                time.sleep(delay)
            finally:
                with self._lock:
                    self._held[method] -= 1
        extra_headers: dict[str, str] = {}
        with self._cond:
            status = 200
            try:
                impl = self._methods.get(method)
                if bad_body:
                    raise SlackError("invalid_json", response_metadata={"messages": [bad_body]})
                if impl is None:
                    raise SlackError("unknown_method")
                if not token:
                    raise SlackError("not_authed")
                if token not in self._tokens:
                    raise SlackError("invalid_auth")
                retry_after = self._check_rate(method, args)
                if retry_after is not None:
                    self.ratelimited[method] += 1  # ratelimited_by is counted in _check_rate
                    extra_headers["Retry-After"] = str(retry_after)
                    raise SlackError("ratelimited", status=429)
                body = impl(args)
                body = {"ok": True, **body}
            except SlackError as e:
                status = e.status
                body = {"ok": False, "error": e.error, **e.extra}
            retry = int(extra_headers["Retry-After"]) if "Retry-After" in extra_headers else None
            self.calls.append(ApiCall(method, args, headers, at, status, body, retry))
            self._cond.notify_all()
        return status, body, extra_headers

    def _check_rate(self, method: str, args: dict[str, Any]) -> int | None:
        now = time.monotonic()
        rule = self._rules.get(method)
        wide = self._workspace_rules.get(method)
        key: Any = (method, args.get("channel")) if rule and rule.per_channel else method
        wide_key = ("workspace", method)
        for k in {method, key, wide_key}:
            until = self._limited_until.get(k)
            if until is not None and now < until - RETRY_AFTER_TOLERANCE:
                self.violations.append(
                    (method, f"called while rate limited ({until - now:.2f}s of Retry-After left)")
                )
        forced = self._forced_limits.get(method)
        if forced:
            retry = forced.popleft()
            self._limited_until[method] = now + retry
            self.ratelimited_by[(method, "forced")] += 1
            return retry
        # Every bucket that applies must hold a token; only then is one taken from each.
        checks: list[tuple[_RateRule, Any, Any, str]] = []
        if rule is not None:
            checks.append((rule, key, key, "channel" if rule.per_channel else "method"))
        if wide is not None:
            checks.append((wide, method, wide_key, "workspace"))
        levels = []
        for r, bucket_key, _, _ in checks:
            tokens, last = r.buckets.get(bucket_key, (r.burst, now))
            levels.append(min(r.burst, tokens + (now - last) * r.per_minute / 60.0))
        if all(tokens >= 1 for tokens in levels):
            for (r, bucket_key, _, _), tokens in zip(checks, levels, strict=True):
                r.buckets[bucket_key] = (tokens - 1, now)
            return None
        retry_after: int | None = None
        for (r, bucket_key, limited_key, cause), tokens in zip(checks, levels, strict=True):
            r.buckets[bucket_key] = (tokens, now)
            if tokens >= 1:
                continue
            rate = r.per_minute / 60.0
            retry = max(1, math.ceil((1 - tokens) / rate)) if rate > 0 else 60
            self._limited_until[limited_key] = now + retry
            self.ratelimited_by[(method, cause)] += 1
            retry_after = max(retry_after or 0, retry)
        return retry_after

    # ------------------------------------------------------------------ store internals

    def _find(self, channel: str | None, ts: str | None) -> dict[str, Any] | None:
        if channel is None or ts is None:
            return None
        for m in self._messages.get(channel, []):
            if m["ts"] == ts:
                return m
        return None

    def _find_ephemeral(self, ts: str | None) -> dict[str, Any] | None:
        for lst in self._ephemerals.values():
            for e in lst:
                if e["ts"] == ts:
                    return e
        return None

    def _thread_msgs(self, channel: str, ts: str) -> list[dict[str, Any]]:
        root = self._find(channel, ts)
        if root is None:
            return []
        replies = [
            m for m in self._messages.get(channel, []) if m.get("thread_ts") == ts and m["ts"] != ts
        ]
        return [root, *replies]

    def _store(self, channel: str, msg: dict[str, Any]) -> None:
        lst = self._messages.setdefault(channel, [])
        lst.append(msg)
        lst.sort(key=lambda m: float(m["ts"]))
        self._ts_channel[msg["ts"]] = channel
        parent_ts = msg.get("thread_ts")
        if parent_ts and parent_ts != msg["ts"]:
            root = self._find(channel, parent_ts)
            if root is None:
                self.warnings.append(
                    ("thread", f"reply {msg['ts']} in {channel} to unknown thread_ts {parent_ts}")
                )
                return
            if root.get("thread_ts") not in (None, root["ts"]):
                self.warnings.append(
                    ("thread", f"reply {msg['ts']} to {parent_ts}, which is itself a reply")
                )
            msg.setdefault("parent_user_id", root.get("user"))
            replies = [m for m in lst if m.get("thread_ts") == parent_ts and m["ts"] != parent_ts]
            root["thread_ts"] = parent_ts
            root["reply_count"] = len(replies)
            users = list(dict.fromkeys(m.get("user") for m in replies if m.get("user")))
            root["reply_users"] = users
            root["reply_users_count"] = len(users)
            root["latest_reply"] = replies[-1]["ts"]

    def _assign_ids(self, blocks: Any) -> Any:
        """Slack fills in block_id / action_id the app left out; so does the fake."""
        if not isinstance(blocks, list):
            return blocks
        blocks = copy.deepcopy(blocks)
        for b in blocks:
            if not isinstance(b, dict):
                continue
            if b.get("type") != "rich_text":
                b.setdefault("block_id", secrets.token_urlsafe(4))
            els = []
            if isinstance(b.get("elements"), list) and b.get("type") == "actions":
                els = b["elements"]
            for k in ("accessory", "element"):
                if isinstance(b.get(k), dict):
                    els.append(b[k])
            for e in els:
                if isinstance(e, dict) and e.get("type") not in ("image", "plain_text", "mrkdwn"):
                    e.setdefault("action_id", secrets.token_urlsafe(4))
        return blocks

    def _check_message(
        self, method: str, args: dict[str, Any], *, allow_empty: bool = False
    ) -> None:
        text, blocks, attachments = args.get("text"), args.get("blocks"), args.get("attachments")
        if allow_empty and text is None and blocks is None and attachments is None:
            return
        problems = check_message(text, blocks, attachments)
        if not problems:
            return
        for p in problems:
            self.violations.append((method, p.message))
        codes = [p.code for p in problems]
        for code in ("no_text", "msg_too_long", "msg_blocks_too_long", "invalid_arguments"):
            if code in codes and "invalid_blocks" not in codes:
                raise SlackError(code, errors=[p.message for p in problems])
        msgs = [p.message for p in problems]
        raise SlackError(
            "invalid_blocks",
            errors=msgs,
            response_metadata={"messages": [f"[ERROR] {m}" for m in msgs]},
        )

    def _bot_message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": args.get("text") or "",
            "ts": ts,
        }
        if args.get("blocks") is not None:
            msg["blocks"] = self._assign_ids(args["blocks"])
        if args.get("attachments") is not None:
            msg["attachments"] = args["attachments"]
        if args.get("metadata") is not None:
            msg["metadata"] = args["metadata"]
        return msg

    def _resolve_channel(self, channel: str) -> str:
        # Posting to a user id posts into the app's DM with that user, like Slack.
        if channel[:1] in ("U", "W"):
            return self.dm_channel(channel)
        return channel

    def _post(self, channel: str, args: dict[str, Any]) -> dict[str, Any]:
        ts = self.next_ts()
        msg = self._bot_message(args, ts)
        thread_ts = args.get("thread_ts")
        if thread_ts:
            msg["thread_ts"] = str(thread_ts)
            if _truthy(args.get("reply_broadcast")):
                msg["subtype"] = "thread_broadcast"
        self._store(channel, msg)
        return msg

    def _user_of_view(self, view_id: str) -> str | None:
        return self._view_user.get(view_id)

    def _new_view_id(self) -> str:
        return "V" + secrets.token_hex(5).upper()

    def _build_view(
        self, view: dict[str, Any], *, view_id: str, root: str, previous: str | None
    ) -> dict[str, Any]:
        v = copy.deepcopy(view)
        out = {
            "id": view_id,
            "team_id": self.team_id,
            "type": v.get("type"),
            "blocks": self._assign_ids(v.get("blocks", [])),
            "private_metadata": v.get("private_metadata", ""),
            "callback_id": v.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": v.get("title"),
            "clear_on_close": bool(v.get("clear_on_close", False)),
            "notify_on_close": bool(v.get("notify_on_close", False)),
            "close": v.get("close"),
            "submit": v.get("submit"),
            "previous_view_id": previous,
            "root_view_id": root,
            "app_id": self.app_id,
            "external_id": v.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        return out

    def _check_view_args(
        self, method: str, view: Any, expect_type: str | None = None
    ) -> dict[str, Any]:
        problems = check_view(view, expect_type=expect_type)
        if problems:
            for p in problems:
                self.violations.append((method, p.message))
            msgs = [p.message for p in problems]
            raise SlackError(
                "invalid_arguments",
                errors=msgs,
                response_metadata={"messages": [f"[ERROR] {m}" for m in msgs]},
            )
        return view  # type: ignore[no-any-return]

    def _use_trigger(self, method: str, args: dict[str, Any]) -> _Trigger:
        tid = args.get("trigger_id") or args.get("interactivity_pointer")
        trig = self._triggers.get(str(tid)) if tid else None
        if trig is None:
            self.violations.append((method, f"invalid trigger_id {tid!r}"))
            raise SlackError("invalid_trigger_id")
        if trig.used:
            self.violations.append((method, f"trigger_id {tid} used a second time"))
            raise SlackError("exchanged_trigger_id")
        age = time.monotonic() - trig.issued
        if age > TRIGGER_TTL_SECONDS:
            self.violations.append(
                (
                    method,
                    f"trigger_id used {age:.2f}s after it was issued (max {TRIGGER_TTL_SECONDS}s)",
                )
            )
            raise SlackError("expired_trigger_id")
        trig.used = True
        return trig

    def _user_obj(self, u: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(ZoneInfo(u["tz"]))
        offset = now.utcoffset()
        abbrev = now.tzname() or u["tz"]
        profile = {
            "real_name": u["real_name"],
            "display_name": u["name"],
            "email": u["email"],
            "real_name_normalized": u["real_name"],
            "display_name_normalized": u["name"],
            "team": self.team_id,
        }
        return {
            "id": u["id"],
            "team_id": self.team_id,
            "name": u["name"],
            "deleted": u["deleted"],
            "real_name": u["real_name"],
            "tz": u["tz"],
            "tz_label": _TZ_LABELS.get(abbrev, abbrev),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": profile,
            "is_admin": u["is_admin"],
            "is_owner": False,
            "is_bot": u["is_bot"],
            "is_app_user": False,
            "updated": int(time.time()),
        }

    # ------------------------------------------------------------------ Web API methods

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(str(_need(args, "channel")))
        self._check_message("chat.postMessage", args)
        msg = self._post(channel, args)
        return {"channel": channel, "ts": msg["ts"], "message": copy.deepcopy(msg)}

    def _own_message(
        self, args: dict[str, Any], method: str, verb: str, refusal: str
    ) -> tuple[str, str, dict[str, Any]]:
        """The channel, ts and message ``args`` name, which must be one the bot posted (Slack
        answers ``refusal`` otherwise, and the fake records it as a violation)."""
        channel = self._resolve_channel(str(_need(args, "channel")))
        ts = str(_need(args, "ts"))
        msg = self._find(channel, ts)
        if msg is None:
            raise SlackError("message_not_found")
        if not msg.get("bot_id"):
            self.violations.append(
                (method, f"tried to {verb} {ts}, a message the bot did not post")
            )
            raise SlackError(refusal)
        return channel, ts, msg

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts, msg = self._own_message(args, "chat.update", "edit", "cant_update_message")
        merged = {
            "text": args["text"] if "text" in args else msg.get("text"),
            "blocks": args["blocks"] if "blocks" in args else msg.get("blocks"),
            "attachments": args["attachments"] if "attachments" in args else msg.get("attachments"),
        }
        self._check_message("chat.update", merged)
        msg["text"] = merged["text"] or ""
        for k in ("blocks", "attachments"):
            if merged[k] is None or merged[k] == []:
                msg.pop(k, None)
            else:
                msg[k] = self._assign_ids(merged[k]) if k == "blocks" else merged[k]
        msg["edited"] = {"user": self.bot_user_id, "ts": self.next_ts()}
        return {"channel": channel, "ts": ts, "text": msg["text"], "message": copy.deepcopy(msg)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(str(_need(args, "channel")))
        user = str(_need(args, "user"))
        self._check_message("chat.postEphemeral", args)
        ts = self.next_ts()
        eph = self._bot_message(args, ts)
        eph.update({"channel": channel, "recipient": user, "is_ephemeral": True})
        if args.get("thread_ts"):
            eph["thread_ts"] = str(args["thread_ts"])
        self._ephemerals.setdefault(user, []).append(eph)
        return {"message_ts": ts}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts, msg = self._own_message(args, "chat.delete", "delete", "cant_delete_message")
        self._messages[channel].remove(msg)
        self._ts_channel.pop(ts, None)
        return {"channel": channel, "ts": ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(_need(args, "channel"))
        ts = str(_need(args, "message_ts"))
        msg = self._find(channel, ts)
        if msg is None:
            raise SlackError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        if msg.get("thread_ts") and msg["thread_ts"] != ts:
            link += f"?thread_ts={msg['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": args["channel"]}, "no_op": True, "already_open": True}
        users = [u.strip() for u in str(_need(args, "users")).split(",") if u.strip()]
        if any(u[:1] not in ("U", "W") for u in users):
            raise SlackError("user_not_found")
        cid = self.dm_channel(users[0]) if len(users) == 1 else "G" + "".join(sorted(users))[:20]
        existed = cid in self._messages
        self._messages.setdefault(cid, [])
        return {"no_op": existed, "already_open": existed, "channel": {"id": cid}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = str(_need(args, "channel"))
        c = self._channels.get(cid)
        is_im = cid.startswith("D")
        if c is None and not is_im and cid not in self._messages:
            raise SlackError("channel_not_found")
        info: dict[str, Any] = {
            "id": cid,
            "is_im": is_im,
            "is_channel": not is_im,
            "is_private": bool(c and c["is_private"]),
        }
        if c:
            info["name"] = c["name"]
        if is_im:
            info["user"] = cid[1:]
        return {"channel": info}

    def _history_page(self, msgs: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
        limit = int(args.get("limit") or 100)
        cursor = int(args.get("cursor") or 0)
        page = msgs[cursor : cursor + limit]
        more = cursor + limit < len(msgs)
        out: dict[str, Any] = {"messages": copy.deepcopy(page), "has_more": more}
        out["response_metadata"] = {"next_cursor": str(cursor + limit) if more else ""}
        return out

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = str(_need(args, "channel"))
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 9e18)
        inclusive = _truthy(args.get("inclusive"))
        top = [
            m
            for m in self._messages.get(cid, [])
            if (m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast")
            and (
                oldest <= float(m["ts"]) <= latest
                if inclusive
                else oldest < float(m["ts"]) < latest
            )
        ]
        return self._history_page(list(reversed(top)), args)

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = str(_need(args, "channel"))
        ts = str(_need(args, "ts"))
        msgs = self._thread_msgs(cid, ts)
        if not msgs:
            raise SlackError("thread_not_found")
        return self._history_page(msgs, args)

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        u = self._users.get(str(_need(args, "user")))
        if u is None:
            raise SlackError("user_not_found")
        return {"user": self._user_obj(u)}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = [self._user_obj(u) for u in self._users.values()]
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(_need(args, "email")).lower()
        for u in self._users.values():
            if u["email"].lower() == email:
                return {"user": self._user_obj(u)}
        raise SlackError("users_not_found")

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        g = self._usergroups.get(str(_need(args, "usergroup")))
        if g is None:
            raise SlackError("no_such_subteam")
        return {"users": list(g["users"])}

    def _reaction_target(self, args: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(str(_need(args, "channel")), str(_need(args, "timestamp")))
        if msg is None:
            raise SlackError("message_not_found")
        return msg

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        msg, name = self._reaction_target(args), str(_need(args, "name"))
        reactions = msg.setdefault("reactions", [])
        r = next((r for r in reactions if r["name"] == name), None)
        if r is None:
            reactions.append({"name": name, "users": [self.bot_user_id], "count": 1})
        elif self.bot_user_id in r["users"]:
            raise SlackError("already_reacted")
        else:
            r["users"].append(self.bot_user_id)
            r["count"] += 1
        return {}

    def _reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        msg, name = self._reaction_target(args), str(_need(args, "name"))
        reactions = msg.get("reactions", [])
        r = next((r for r in reactions if r["name"] == name), None)
        if r is None or self.bot_user_id not in r["users"]:
            raise SlackError("no_reaction")
        r["users"].remove(self.bot_user_id)
        r["count"] -= 1
        if not r["users"]:
            reactions.remove(r)
        return {}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view_args("views.open", _need(args, "view"), "modal")
        trig = self._use_trigger("views.open", args)
        vid = self._new_view_id()
        built = self._build_view(view, view_id=vid, root=vid, previous=None)
        self._views[vid] = built
        self._view_user[vid] = trig.user
        self._stacks[trig.user] = [vid]
        if built["external_id"]:
            self._external_ids[built["external_id"]] = vid
        return {"view": copy.deepcopy(built)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view_args("views.push", _need(args, "view"), "modal")
        stack_user = self._triggers.get(str(args.get("trigger_id")))
        stack = self._stacks.get(stack_user.user if stack_user else None, [])
        if len(stack) >= MODAL_STACK_MAX:
            self.violations.append(("views.push", f"modal stack already holds {len(stack)} views"))
            raise SlackError("push_limit_reached")
        trig = self._use_trigger("views.push", args)
        stack = self._stacks.setdefault(trig.user, [])
        vid = self._new_view_id()
        built = self._build_view(
            view,
            view_id=vid,
            root=stack[0] if stack else vid,
            previous=stack[-1] if stack else None,
        )
        self._views[vid] = built
        self._view_user[vid] = trig.user
        stack.append(vid)
        if built["external_id"]:
            self._external_ids[built["external_id"]] = vid
        return {"view": copy.deepcopy(built)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        vid = args.get("view_id") or self._external_ids.get(str(args.get("external_id") or ""))
        if not vid and not args.get("external_id"):
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": ["missing view_id"]}
            )
        old = self._views.get(str(vid)) if vid else None
        if old is None:
            raise SlackError("not_found")
        view = self._check_view_args("views.update", _need(args, "view"), old["type"])
        if args.get("hash") and args["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        built = self._build_view(
            view, view_id=old["id"], root=old["root_view_id"], previous=old["previous_view_id"]
        )
        self._views[old["id"]] = built
        if built["external_id"]:
            self._external_ids[built["external_id"]] = old["id"]
        return {"view": copy.deepcopy(built)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(_need(args, "user_id"))
        view = self._check_view_args("views.publish", _need(args, "view"), "home")
        vid = self._homes.get(user)
        if vid and args.get("hash") and args["hash"] != self._views[vid]["hash"]:
            raise SlackError("hash_conflict")
        vid = vid or self._new_view_id()
        built = self._build_view(view, view_id=vid, root=vid, previous=None)
        self._views[vid] = built
        self._view_user[vid] = user
        self._homes[user] = vid
        return {"view": copy.deepcopy(built)}

    # ------------------------------------------------------------------ response_url

    def _response_post(
        self, rid: str, raw: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any] | str, dict[str, str]]:
        at = self._wall()
        try:
            body = json.loads(raw.decode() or "{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            body = {"_raw": raw.decode("utf-8", errors="replace")}
        with self._cond:
            ru = self._response_urls.get(rid)
            answer: dict[str, Any] = {"ok": True}
            status = 200
            if ru is None:
                status, answer = 404, {"ok": False, "error": "invalid_url"}
                self.violations.append(("response_url", f"post to unknown response_url {rid}"))
            elif time.monotonic() - ru.issued > RESPONSE_URL_TTL_SECONDS:
                status, answer = 404, {"ok": False, "error": "expired_url"}
                self.violations.append(
                    ("response_url", f"post to a response_url older than 30 min ({rid})")
                )
            elif ru.posts >= RESPONSE_URL_MAX_POSTS:
                status, answer = 404, {"ok": False, "error": "used_url"}
                self.violations.append(
                    (
                        "response_url",
                        f"post #{ru.posts + 1} to one response_url (max {RESPONSE_URL_MAX_POSTS})",
                    )
                )
            elif "_raw" in body:
                status, answer = 400, {"ok": False, "error": "invalid_payload"}
                self.violations.append(("response_url", "body is not a JSON object"))
            else:
                ru.posts += 1
                try:
                    self._apply_message_response(
                        "response_url", body, ru.channel, ru.user, ru.message_ts, ru.thread_ts
                    )
                except SlackError as e:
                    status, answer = 400, {"ok": False, "error": e.error, **e.extra}
            url = ru.url if ru else f"{self.base_url}/response/{rid}"
            self.responses.append(
                ResponsePost(
                    url,
                    body,
                    status,
                    at,
                    ru.channel if ru else None,
                    ru.user if ru else None,
                    ru.message_ts if ru else None,
                )
            )
            self.calls.append(ApiCall("response_url", body, headers, at, status, answer))
            self._cond.notify_all()
        return status, answer, {}

    def _apply_message_response(
        self,
        method: str,
        body: dict[str, Any],
        channel: str | None,
        user: str | None,
        message_ts: str | None,
        thread_ts: str | None,
    ) -> None:
        """Apply a response_url post or a command ack body. Caller holds the lock."""
        if _truthy(body.get("delete_original")):
            msg = self._find(channel, message_ts)
            eph = self._find_ephemeral(message_ts)
            if msg is not None and channel is not None:
                self._messages[channel].remove(msg)
                self._ts_channel.pop(msg["ts"], None)
            elif eph is not None:
                self._ephemerals[eph["recipient"]].remove(eph)
            else:
                raise SlackError("message_not_found")
            return
        self._check_message(method, body)
        if _truthy(body.get("replace_original")):
            msg = self._find(channel, message_ts) or self._find_ephemeral(message_ts)
            if msg is None:
                self.violations.append(
                    (method, "replace_original but no original message is known")
                )
                raise SlackError("message_not_found")
            msg["text"] = body.get("text") or ""
            for k in ("blocks", "attachments"):
                if body.get(k):
                    msg[k] = self._assign_ids(body[k]) if k == "blocks" else body[k]
                else:
                    msg.pop(k, None)
            if not msg.get("is_ephemeral"):
                msg["edited"] = {"user": self.bot_user_id, "ts": self.next_ts()}
            return
        target_thread = body.get("thread_ts") or thread_ts
        if body.get("response_type") == "in_channel":
            if channel is None:
                raise SlackError("channel_not_found")
            args = dict(body)
            if target_thread:
                args["thread_ts"] = target_thread
            self._post(channel, args)
            return
        eph = self._bot_message(body, self.next_ts())
        eph.update({"channel": channel, "recipient": user, "is_ephemeral": True})
        if target_thread:
            eph["thread_ts"] = target_thread
        self._ephemerals.setdefault(user, []).append(eph)


__all__ = ["ApiCall", "FakeSlack", "ResponsePost", "SlackError"]
