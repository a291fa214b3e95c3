"""Over 400 lines: one mechanism, measured as a whole (benchmarks/fanout.py): Slack's limits,
the rules that learn them, the lanes, and the client that applies them to every call.

Every Slack Web API call first takes a token from token buckets shared through the database
(``storage.pace``), so every replica keeps one pace: the method's (``"chat.postMessage"``)
and, for chat.postMessage, the channel's (``"chat.postMessage:C123"``, about 1 a second).

**Lanes**: a call is INTERACTIVE (the default: someone clicked and waits) or BULK (nudges,
digests: ``with lane(Lane.BULK)``). Bulk calls hold back while an interactive one of this
process waits, and an interactive call that finds the method's bucket empty takes from its
**reserve** (``"chat.postMessage:reserve"``), so it never queues behind a fan-out anywhere;
the 429s the reserve adds lower the method's learned rate.

**Learning**, per method: a 429 blocks the method and its reserve for Retry-After in every
replica and lowers the rate; successes while the bucket holds callers back raise it. A
method whose limit Slack does not publish (chat.postMessage) starts from a guess and doubles
about every second until its first 429 halves it; then it creeps up 0.5 % a second and a
429 takes 20 % off (half if the last was under ``RECENT_PENALTY_S`` ago).

``PacedWebClient`` sends every call through the process's ``Pacer`` (``pace_bolt_app``: for
Bolt's listeners too). When the store fails, calls go out unpaced, still honouring a
Retry-After seen here. ``interruptible``: how a stopping process hands its work back. The
``observer(method, status)`` hears every attempt's outcome: ``"ok"``, ``"ratelimited"``,
Slack's error code, ``"http_<code>"`` or ``"no_response"``.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import math
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, TypeVar

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from storage.pace import REWARD_EVERY, PaceStore

log = logging.getLogger(__name__)


class Lane(enum.Enum):
    """Who waits for a call: a person who just clicked (INTERACTIVE) or nobody (BULK)."""

    INTERACTIVE = "interactive"
    BULK = "bulk"


# The lane of the calls made in the current context (thread / task); see ``lane``.
CURRENT_LANE: Final[ContextVar[Lane]] = ContextVar("slack_pacing_lane", default=Lane.INTERACTIVE)
# Set while the calls of the current context give up waiting on shutdown; see ``interruptible``.
STOPPING: Final[ContextVar[threading.Event | None]] = ContextVar("slack_pacing_stop", default=None)
INTERRUPT_CHECK_S: Final = 0.05  # how soon a waiting call notices ``stopping``
_T = TypeVar("_T")


class PaceInterrupted(Exception):
    """A paced call gave up before it went out (``interruptible``): Slack never saw it."""


@contextlib.contextmanager
def _setting(var: ContextVar[_T], value: _T) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def lane(which: Lane) -> contextlib.AbstractContextManager[None]:
    """Make the Web API calls inside the block ``which`` lane's (default: INTERACTIVE)."""
    return _setting(CURRENT_LANE, which)


def interruptible(stopping: threading.Event) -> contextlib.AbstractContextManager[None]:
    """Inside the block, a Web API call that would start, or wait for the pacer, after
    ``stopping`` is set raises ``PaceInterrupted``: nothing went out, so the caller (a queue
    handler) hands its work back rather than sleep past the shutdown's grace."""
    return _setting(STOPPING, stopping)


def _check_stopping() -> None:
    stopping = STOPPING.get()
    if stopping is not None and stopping.is_set():
        raise PaceInterrupted("stopping: the call was not made")


@dataclass(frozen=True)
class Limits:
    """A method's buckets before anything is learned: its own, its interactive reserve's and
    a channel's (None: none); ``documented``: Slack publishes the rate (else ramp up)."""

    per_minute: float
    burst: float
    reserve_per_minute: float
    reserve_burst: float
    documented: bool = True
    channel_per_minute: float | None = None
    channel_burst: float = 1.0


# Slack's tiers (per method, per app, per workspace): 20+, 50+ and 100+ a minute.
TIER_2: Final = Limits(per_minute=20, burst=5, reserve_per_minute=5, reserve_burst=2)
TIER_3: Final = Limits(per_minute=50, burst=10, reserve_per_minute=12, reserve_burst=3)
TIER_4: Final = Limits(per_minute=100, burst=20, reserve_per_minute=25, reserve_burst=5)
# chat.postMessage: ~1/s per channel, and an unpublished workspace-wide limit: 300 is a guess
# above every tier (the first halving corrects it). The reserve lets people's replies through
# at up to 4 a second while a fan-out saturates the method.
POST_MESSAGE: Final = Limits(
    per_minute=300,
    burst=10,
    reserve_per_minute=240,
    reserve_burst=5,
    documented=False,
    channel_per_minute=60,
    channel_burst=3,
)
METHOD_LIMITS: Final[Mapping[str, Limits]] = MappingProxyType(
    {
        "chat.postMessage": POST_MESSAGE,
        "chat.update": TIER_3,
        "chat.delete": TIER_3,
        "chat.postEphemeral": TIER_4,
        "chat.getPermalink": TIER_4,
        "conversations.open": TIER_3,
        "conversations.history": TIER_3,
        "conversations.replies": TIER_3,
        "users.info": TIER_4,
        "users.lookupByEmail": TIER_3,
        "usergroups.users.list": TIER_2,
        "views.open": TIER_4,
        "views.update": TIER_4,
        "views.publish": TIER_4,
        "auth.test": TIER_4,
    }
)
DEFAULT_LIMITS: Final = TIER_3  # a method not listed above (the bot calls every one listed)

RESERVE_SUFFIX: Final = ":reserve"
RAMP_DOUBLING_S: Final = 1.0  # unknown limit, before its first 429: double this often
RAMP_MAX_STEP: Final = 1.0  # ... but never more than double per reward round
RAMP_PENALTY: Final = 0.5  # the first 429 of a ramp halves the rate
PROBE_GROWTH_PER_S: Final = 0.005  # after that: +0.5 % a second while saturated
PROBE_PENALTY: Final = 0.8  # ... and a 429 takes 20 % off
RECENT_PENALTY_S: Final = 3.0  # a 429 this soon after the last block: halve instead
FLOOR_FRACTION: Final = 0.1  # never below a tenth of the start rate
SATURATED_S: Final = 2.0  # a bucket that made someone wait this recently is the bottleneck
RATE_REFRESH_S: Final = 0.25  # how stale the cached rate of a key may be
INTERACTIVE_YIELD_S: Final = 0.02  # how often held-back bulk calls look again
MIN_SLEEP_S: Final = 0.001
CHANNEL_HOT_S: Final = 2.0  # two posts to one channel this close: a 429 is the channel's
CHANNELS_REMEMBERED: Final = 4096
MAX_RATE_LIMIT_RETRIES: Final = 3
STORE_ERROR_LOG_EVERY_S: Final = 60.0
RATELIMITED: Final = "ratelimited"
NO_RESPONSE: Final = "no_response"

CallObserver = Callable[[str, str], None]  # (method, status): see the module docstring


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class _KeyState:
    """What this process knows about one key beyond the store."""

    ramping: bool
    rate: float = 0.0
    rate_at: float = -math.inf
    waited_at: float = -math.inf
    penalty_end: float = -math.inf
    blocked_until: float = -math.inf


class Pacer:
    """Paces Web API calls (see the module docstring). ``clock``: wall-clock time, aware
    (buckets are shared between hosts); ``sleep`` waits; every wait for a token is made inside
    ``waiting()`` (a job lends its work slot meanwhile: ``bot.work_slots``)."""

    def __init__(
        self,
        store: PaceStore,
        *,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        limits: Mapping[str, Limits] = METHOD_LIMITS,
        default_limits: Limits = DEFAULT_LIMITS,
        observer: CallObserver | None = None,
        waiting: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext,
    ) -> None:
        self.store = store
        self.observer = observer
        self.waiting = waiting
        self.clock = clock
        self.sleep = sleep
        self.limits = limits
        self.default_limits = default_limits
        self._lock = threading.Lock()
        self._keys: dict[str, _KeyState] = {}
        self._interactive_waiting: Counter[str] = Counter()
        # The times of the last two posts to each channel, to tell whose a 429 is.
        self._channel_posts: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._store_error_logged = -math.inf

    def __deepcopy__(self, memo: dict[int, Any]) -> Pacer:
        return self  # shared state: a copy (Bolt deep-copies lazy listeners' clients) is this

    def limits_for(self, method: str) -> Limits:
        return self.limits.get(method, self.default_limits)

    def acquire(self, method: str, channel: str | None = None, lane: Lane | None = None) -> None:
        """Block until a call of ``method`` (to ``channel``) may go out in ``lane`` (default:
        the context's, see ``lane``)."""
        _check_stopping()
        limits = self.limits_for(method)
        key = self._channel_key(method, channel, limits)
        if key is not None and limits.channel_per_minute is not None:
            while (wait := self._take(key, limits.channel_per_minute, limits.channel_burst)) > 0:
                self._sleep(wait)
            now = self.clock().timestamp()
            with self._lock:
                _, last = self._channel_posts.pop(key, (-math.inf, -math.inf))
                self._channel_posts[key] = (last, now)
                if len(self._channel_posts) > CHANNELS_REMEMBERED:
                    self._channel_posts.popitem(last=False)
        if (lane or CURRENT_LANE.get()) is Lane.BULK:
            while True:
                with self._lock:
                    held_back = self._interactive_waiting[method] > 0
                wait = (
                    INTERACTIVE_YIELD_S
                    if held_back
                    else self._take(method, limits.per_minute, limits.burst)
                )
                if wait <= 0:
                    return
                self._sleep(wait)
        registered = False
        try:
            while (wait := self._take(method, limits.per_minute, limits.burst)) > 0:
                reserve_wait = self._take(
                    method + RESERVE_SUFFIX, limits.reserve_per_minute, limits.reserve_burst
                )
                if reserve_wait <= 0:
                    return
                if not registered:
                    registered = True
                    with self._lock:
                        self._interactive_waiting[method] += 1
                self._sleep(min(wait, reserve_wait))
        finally:
            if registered:
                with self._lock:
                    self._interactive_waiting[method] -= 1

    def on_success(self, method: str, channel: str | None = None) -> None:
        """The call went through Slack's rate limiter (answered, not with 429)."""
        limits = self.limits_for(method)
        self._reward(method, limits, ceiling=None)
        key = self._channel_key(method, channel, limits)
        if key is not None:
            self._reward(key, limits, ceiling=limits.channel_per_minute)

    def on_rate_limited(self, method: str, channel: str | None, retry_after: float) -> None:
        """Slack answered 429 with ``retry_after``: block the method (and its interactive
        reserve) that long everywhere, and slow down what was too fast."""
        retry_after = max(float(retry_after), 0.0)
        limits = self.limits_for(method)
        now_dt = self.clock()
        now = now_dt.timestamp()
        until = now + retry_after
        channel_key = self._channel_key(method, channel, limits)
        with self._lock:
            previous, last = self._channel_posts.get(channel_key or "", (-math.inf, -math.inf))
            blame_channel = last - previous < CHANNEL_HOT_S
            state = self._state(method, limits)
            if blame_channel:
                factor = 1.0  # only blocked: Retry-After is honoured for the whole method
            elif state.ramping or now - state.penalty_end < RECENT_PENALTY_S:
                factor = RAMP_PENALTY
            else:
                factor = PROBE_PENALTY
            state.ramping = False
            state.penalty_end = max(state.penalty_end, until)
            state.rate_at = -math.inf  # read the new rate next time
            for key in (method, method + RESERVE_SUFFIX, channel_key):
                if key is not None:
                    blocked = self._state(key, limits)
                    blocked.blocked_until = max(blocked.blocked_until, until)
        penalties = [
            (method, factor, limits.per_minute),
            (method + RESERVE_SUFFIX, 1.0, limits.reserve_per_minute),
        ]
        if channel_key is not None and blame_channel:
            penalties.append((channel_key, RAMP_PENALTY, limits.channel_per_minute or 1.0))
        for key, key_factor, start in penalties:
            floor = max(start * FLOOR_FRACTION, 0.1)
            self._store_call(self.store.penalize, key, now_dt, retry_after, key_factor, floor)
        log.info(
            "Slack answered 429 to %s%s (Retry-After %.0f s): slowing the %s",
            method,
            f" in {channel}" if channel else "",
            retry_after,
            "channel" if blame_channel else "method",
        )

    def observe(self, method: str, status: str) -> None:
        """Tell the observer (if any) how a call of ``method`` ended; it never fails a call."""
        if self.observer is not None:
            try:
                self.observer(method, status)
            except Exception:
                log.debug("the Slack call observer failed", exc_info=True)

    def _sleep(self, seconds: float) -> None:
        seconds = max(seconds, MIN_SLEEP_S)  # a wait rounded to nothing must pass time
        with self.waiting():
            while seconds > 0:  # in short steps when stopping may come, to notice it
                _check_stopping()
                step = seconds if STOPPING.get() is None else min(seconds, INTERRUPT_CHECK_S)
                self.sleep(step)
                seconds -= step
            _check_stopping()

    def _take(self, key: str, per_minute: float, burst: float) -> float:
        """0.0 when a token of ``key`` was taken, else the seconds to wait."""
        now_dt = self.clock()
        now = now_dt.timestamp()
        with self._lock:
            blocked = self._keys[key].blocked_until - now if key in self._keys else 0.0
        if blocked > 0:  # a Retry-After this process saw: no need to ask the store
            return blocked
        wait = float(self._store_call(self.store.take, key, now_dt, per_minute, burst, default=0.0))
        if wait > 0:
            with self._lock:
                self._state(key, self.limits_for(key.split(":", 1)[0])).waited_at = now
        return wait

    def _reward(self, key: str, limits: Limits, ceiling: float | None) -> None:
        now_dt = self.clock()
        now = now_dt.timestamp()
        with self._lock:
            state = self._keys.get(key)
            if state is None or now - state.waited_at > SATURATED_S:
                return  # the bucket held nobody back: its rate says nothing
            fresh = now - state.rate_at <= RATE_REFRESH_S
        if not fresh:
            rate = float(self._store_call(self.store.rate, key, default=0.0))
            with self._lock:
                if 0 < rate < state.rate * 0.999:
                    # Another replica (or an in-flight call) was answered 429: learn from it.
                    state.ramping = False
                    state.penalty_end = max(state.penalty_end, now)
                state.rate, state.rate_at = rate, now
        if state.rate <= 0:
            return
        span = REWARD_EVERY * 60.0 / state.rate  # seconds the next round of successes takes
        if state.ramping:
            step = min(RAMP_MAX_STEP, 2.0 ** (span / RAMP_DOUBLING_S) - 1.0)
        else:
            step = (1.0 + PROBE_GROWTH_PER_S) ** span - 1.0
        self._store_call(self.store.reward, key, now_dt, step, ceiling)

    def _state(self, key: str, limits: Limits) -> _KeyState:
        """The key's local state (caller holds the lock)."""
        state = self._keys.get(key)
        if state is None:
            ramping = False
            if not limits.documented and ":" not in key:
                stored = self._store_call(self.store.rate, key, default=0.0)
                # Never used, or never changed from the guess: nothing learned yet.
                ramping = stored <= 0 or math.isclose(stored, limits.per_minute)
            state = self._keys[key] = _KeyState(ramping=ramping)
        return state

    @staticmethod
    def _channel_key(method: str, channel: str | None, limits: Limits) -> str | None:
        if not channel or limits.channel_per_minute is None:
            return None
        return f"{method}:{channel}"

    def _store_call(self, fn: Callable[..., Any], *args: Any, default: Any = None) -> Any:
        """Call the store; if it fails, log (now and then) and carry on unpaced."""
        try:
            return fn(*args)
        except Exception:
            now = time.monotonic()
            if now - self._store_error_logged > STORE_ERROR_LOG_EVERY_S:
                self._store_error_logged = now
                log.exception("the pace store failed; Slack calls go out unpaced meanwhile")
            return default


def _channel_of(*sources: Mapping[str, Any] | None) -> str | None:
    for source in sources:
        channel = (source or {}).get("channel")
        if isinstance(channel, str) and channel:
            return channel
    return None


_ERROR_CODE = re.compile(r"^[a-z0-9_]{1,64}$")


def _status(status_code: int, data: Any) -> str:
    """The observer's status of an answer that was not a success (see the module docstring)."""
    if status_code == 429:
        return RATELIMITED
    error = data.get("error") if isinstance(data, Mapping) else None
    if isinstance(error, str) and _ERROR_CODE.match(error):
        return error
    return f"http_{status_code}"


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name in ("Retry-After", "retry-after"):
        value = headers.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            with contextlib.suppress(TypeError, ValueError):
                return max(float(value), 0.0)
    return 1.0


class PacedWebClient(WebClient):
    """A ``WebClient`` whose every call goes through ``pacer`` first, in the context's lane.
    A 429 is told to the pacer and retried when it lets it, at most ``max_rate_limit_retries``
    times, then raised. slack_sdk's ``RateLimitErrorRetryHandler`` is dropped (it would sleep
    unseen by the pacer); the other retry handlers (connection errors) stay."""

    def __init__(
        self,
        *args: Any,
        pacer: Pacer,
        max_rate_limit_retries: int = MAX_RATE_LIMIT_RETRIES,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer
        self.max_rate_limit_retries = max_rate_limit_retries
        self.retry_handlers = [
            handler
            for handler in self.retry_handlers
            if not isinstance(handler, RateLimitErrorRetryHandler)
        ]

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        channel = _channel_of(kwargs.get("json"), kwargs.get("data"), kwargs.get("params"))
        headers = kwargs.pop("headers", None)
        retries = 0
        while True:
            self.pacer.acquire(api_method, channel)
            try:
                # A copy of the headers each time: WebClient adds to them.
                copied = dict(headers) if headers is not None else None
                response = super().api_call(api_method, headers=copied, **kwargs)
            except SlackApiError as error:
                self.pacer.observe(
                    api_method, _status(error.response.status_code, error.response.data)
                )
                if error.response.status_code != 429:
                    self.pacer.on_success(api_method, channel)  # it passed the rate limiter
                    raise
                self.pacer.on_rate_limited(
                    api_method, channel, _retry_after(error.response.headers)
                )
                # A file already read cannot be sent again.
                if retries >= self.max_rate_limit_retries or kwargs.get("files"):
                    raise
                retries += 1
                continue
            except Exception:
                self.pacer.observe(api_method, NO_RESPONSE)
                raise
            self.pacer.observe(api_method, "ok")
            self.pacer.on_success(api_method, channel)
            return response


def paced_copy(client: WebClient, pacer: Pacer) -> PacedWebClient:
    """A ``PacedWebClient`` with ``client``'s token, base URL, timeout, proxy, headers, team,
    logger and retry handlers."""
    return PacedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=list(client.retry_handlers),
        pacer=pacer,
    )


def pace_bolt_app(app: App, pacer: Pacer) -> None:
    """Pace the ``client`` (and ``say``) of ``app``'s listeners: Bolt builds a plain
    ``WebClient`` per request from the app client's settings (not its class), so a global
    middleware swaps it for a ``PacedWebClient``."""

    def use_paced_client(context: BoltContext, next: Callable[[], None]) -> None:
        if not isinstance(context.client, PacedWebClient):
            context["client"] = paced_copy(context.client, pacer)
        next()

    app.use(use_paced_client)
