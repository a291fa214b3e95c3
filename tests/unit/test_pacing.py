"""The pacer's rules on a fake clock: bucket math, 429s and recovery, learning an unknown
limit, and the lanes (no I/O: MemoryPaceStore, time moves only when the pacer sleeps)."""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.pacing import (
    CURRENT_LANE,
    INTERACTIVE_YIELD_S,
    POST_MESSAGE,
    PROBE_PENALTY,
    RAMP_PENALTY,
    TIER_4,
    Lane,
    PacedWebClient,
    Pacer,
    _channel_of,
    _retry_after,
    lane,
    paced_copy,
)
from storage.pace import MemoryPaceStore

POST = "chat.postMessage"


class FakeTime:
    """A wall clock that moves only when someone sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)

    def total_slept(self) -> float:
        return sum(self.slept)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def store() -> MemoryPaceStore:
    return MemoryPaceStore()


def make_pacer(store: Any, fake_time: FakeTime, **kwargs: Any) -> Pacer:
    return Pacer(store, clock=fake_time.now, sleep=fake_time.sleep, **kwargs)


def send(pacer: Pacer, n: int, *, method: str = POST, lane: Lane = Lane.BULK) -> None:
    """``n`` successful calls, each to a channel of its own (a DM fan-out)."""
    for i in range(n):
        channel = f"U{i:05d}"
        pacer.acquire(method, channel, lane)
        pacer.on_success(method, channel)


# -- bucket math ---------------------------------------------------------------------------


def test_a_method_gets_its_burst_at_once_then_its_rate(
    store: MemoryPaceStore, fake_time: FakeTime
) -> None:
    pacer = make_pacer(store, fake_time)
    for _ in range(int(TIER_4.burst)):
        pacer.acquire("views.open", None, Lane.BULK)
    assert fake_time.slept == []
    for _ in range(10):
        pacer.acquire("views.open", None, Lane.BULK)
    # 100 a minute: one call every 0.6 s once the burst is spent.
    assert fake_time.total_slept() == pytest.approx(10 * 60 / TIER_4.per_minute)
    assert store.rate("views.open") == TIER_4.per_minute


def test_a_job_lends_its_slot_while_it_waits_for_a_token(fake_time: FakeTime) -> None:
    """A worker's job that waits for a token lets another job run meanwhile
    (bot.work_slots): the waits happen inside ``waiting``, the first take does not."""
    inside = {"now": False}
    slept_inside: list[bool] = []

    @contextlib.contextmanager
    def waiting() -> Iterator[None]:
        inside["now"] = True
        try:
            yield
        finally:
            inside["now"] = False

    def sleep(seconds: float) -> None:
        slept_inside.append(inside["now"])
        fake_time.sleep(seconds)

    pacer = Pacer(MemoryPaceStore(), clock=fake_time.now, sleep=sleep, waiting=waiting)
    for _ in range(int(TIER_4.burst) + 2):
        pacer.acquire("views.open", lane=Lane.BULK)
    assert slept_inside == [True, True]  # two waits past the burst, both lent


def test_post_message_also_paces_each_channel(store: MemoryPaceStore, fake_time: FakeTime) -> None:
    pacer = make_pacer(store, fake_time)
    for _ in range(int(POST_MESSAGE.channel_burst)):
        pacer.acquire(POST, "C1", Lane.INTERACTIVE)
    assert fake_time.slept == []
    pacer.acquire(POST, "C2", Lane.INTERACTIVE)  # another channel: no wait
    assert fake_time.slept == []
    pacer.acquire(POST, "C1", Lane.INTERACTIVE)  # C1's short burst is spent: ~1 a second
    assert fake_time.total_slept() == pytest.approx(1.0)
    pacer.acquire(POST, None, Lane.INTERACTIVE)  # no channel: only the method's bucket
    assert fake_time.total_slept() == pytest.approx(1.0)


# -- 429s and recovery ---------------------------------------------------------------------


def test_a_429_blocks_the_method_for_retry_after_in_every_lane_and_replica(
    store: MemoryPaceStore, fake_time: FakeTime
) -> None:
    pacer, replica = make_pacer(store, fake_time), make_pacer(store, fake_time)
    pacer.acquire("views.open", None, Lane.INTERACTIVE)
    pacer.on_rate_limited("views.open", None, 5)
    pacer.on_rate_limited("views.update", None, 5)
    start = fake_time.now()
    replica.acquire("views.open", None, Lane.INTERACTIVE)  # the reserve is blocked too
    assert (fake_time.now() - start).total_seconds() == pytest.approx(5)
    pacer.acquire("users.info", None, Lane.BULK)  # other methods are not blocked
    pacer.acquire("views.update", None, Lane.BULK)  # the block is over for it too
    assert (fake_time.now() - start).total_seconds() == pytest.approx(5)

    pacer.on_rate_limited("views.publish", None, 5)
    start = fake_time.now()
    replica.acquire("views.publish", None, Lane.BULK)
    assert (fake_time.now() - start).total_seconds() == pytest.approx(5)


def test_a_429_lowers_the_rate_and_saturated_successes_raise_it_gradually(
    store: MemoryPaceStore, fake_time: FakeTime
) -> None:
    pacer = make_pacer(store, fake_time)
    send(pacer, 1, method="views.open")
    pacer.on_rate_limited("views.open", None, 1)
    assert store.rate("views.open") == pytest.approx(100 * PROBE_PENALTY)
    send(pacer, 1, method="views.open")
    pacer.on_rate_limited("views.open", None, 1)  # again right after the block: halve
    assert store.rate("views.open") == pytest.approx(100 * PROBE_PENALTY * 0.5)

    rates = []
    start = fake_time.now()
    while (fake_time.now() - start).total_seconds() < 120:
        send(pacer, 1, method="views.open")
        rates.append(store.rate("views.open"))
    assert rates == sorted(rates)  # never down without a 429
    # +0.5 % a second while saturated: about 1.8x in two minutes, not a jump.
    assert 40 * 1.5 < rates[-1] < 40 * 2.1


def test_no_reward_while_the_bucket_holds_nobody_back(
    store: MemoryPaceStore, fake_time: FakeTime
) -> None:
    pacer = make_pacer(store, fake_time)
    for _ in range(100):
        send(pacer, 1, method="views.open")
        fake_time.advance(5)  # far below the rate: never waits
    assert fake_time.slept == []
    assert store.rate("views.open") == TIER_4.per_minute


def test_an_unknown_limit_is_ramped_up_fast_until_the_first_429(
    store: MemoryPaceStore, fake_time: FakeTime
) -> None:
    pacer = make_pacer(store, fake_time)
    send(pacer, 200)
    ramped = store.rate(POST)
    assert ramped > 4 * POST_MESSAGE.per_minute  # doubling about every second
    assert fake_time.total_slept() < 15

    pacer.acquire(POST, "U99999", Lane.BULK)
    pacer.on_rate_limited(POST, "U99999", 1)  # a fresh channel: the workspace's limit
    assert store.rate(POST) == pytest.approx(ramped * RAMP_PENALTY)
    assert store.rate(f"{POST}:U99999") == POST_MESSAGE.channel_per_minute
    fake_time.advance(10)
    after = store.rate(POST)
    start = fake_time.now()
    send(pacer, 300)
    seconds = (fake_time.now() - start).total_seconds()
    # Probing now: +0.5 % a second, not doubling.
    assert after < store.rate(POST) <= after * 1.006 ** (seconds + 2)


def test_a_replica_stops_ramping_when_another_one_was_answered_429(
    store: MemoryPaceStore, fake_time: FakeTime
) -> None:
    a, b = make_pacer(store, fake_time), make_pacer(store, fake_time)
    send(a, 30)
    send(b, 30)
    a.on_rate_limited(POST, None, 1)
    penalized = store.rate(POST)
    fake_time.advance(5)
    send(b, 200)
    assert store.rate(POST) < penalized * 1.5  # b saw the drop: it probes, it does not ramp


def test_a_429_on_a_busy_channel_slows_the_channel_not_the_workspace(
    store: MemoryPaceStore, fake_time: FakeTime
) -> None:
    pacer = make_pacer(store, fake_time)
    pacer.acquire(POST, "C1", Lane.INTERACTIVE)
    pacer.acquire(POST, "C1", Lane.INTERACTIVE)
    pacer.on_rate_limited(POST, "C1", 2)
    assert store.rate(f"{POST}:C1") == pytest.approx(60 * RAMP_PENALTY)
    assert store.rate(POST) == POST_MESSAGE.per_minute
    start = fake_time.now()
    pacer.acquire(POST, "C2", Lane.INTERACTIVE)  # Retry-After is honoured for the method
    assert (fake_time.now() - start).total_seconds() == pytest.approx(2)


# -- lanes ---------------------------------------------------------------------------------


def drain(pacer: Pacer, fake_time: FakeTime) -> None:
    """Bulk-send until the method's bucket makes bulk wait: a fan-out in full swing."""
    n = 0
    while not fake_time.slept:
        channel = f"U{n:05d}"
        pacer.acquire(POST, channel, Lane.BULK)
        n += 1
    fake_time.slept.clear()


def test_an_interactive_call_does_not_wait_behind_a_bulk_backlog(
    store: MemoryPaceStore, fake_time: FakeTime
) -> None:
    bulk, interactive = make_pacer(store, fake_time), make_pacer(store, fake_time)
    drain(bulk, fake_time)
    for n in range(int(POST_MESSAGE.reserve_burst)):
        interactive.acquire(POST, f"C{n}", Lane.INTERACTIVE)  # another replica, even
    assert fake_time.slept == []
    bulk.acquire(POST, "U99999", Lane.BULK)
    assert fake_time.slept != []  # bulk still waits for the method's rate


def test_bulk_holds_back_while_an_interactive_call_of_this_process_waits(
    store: MemoryPaceStore, fake_time: FakeTime
) -> None:
    class HeldBack(Exception):
        pass

    seen: list[str] = []

    def sleep(seconds: float) -> None:
        if seen == ["interactive waits"]:
            seen.append("bulk tries")
            with contextlib.suppress(HeldBack):
                pacer.acquire(POST, "U77777", Lane.BULK)
        elif seen == ["interactive waits", "bulk tries"]:
            assert seconds == INTERACTIVE_YIELD_S
            seen.append("bulk held back")
            raise HeldBack
        fake_time.sleep(seconds)

    pacer = Pacer(store, clock=fake_time.now, sleep=sleep)
    drain(pacer, fake_time)
    for n in range(int(POST_MESSAGE.reserve_burst)):  # people used up the reserve too
        pacer.acquire(POST, f"C{n}", Lane.INTERACTIVE)
    seen.append("interactive waits")
    pacer.acquire(POST, "C99", Lane.INTERACTIVE)
    assert seen == ["interactive waits", "bulk tries", "bulk held back"]


def test_the_lane_comes_from_the_context() -> None:
    assert CURRENT_LANE.get() is Lane.INTERACTIVE
    with lane(Lane.BULK):
        assert CURRENT_LANE.get() is Lane.BULK
        with lane(Lane.INTERACTIVE):
            assert CURRENT_LANE.get() is Lane.INTERACTIVE
        assert CURRENT_LANE.get() is Lane.BULK
        other: list[Lane] = []
        thread = threading.Thread(target=lambda: other.append(CURRENT_LANE.get()))
        thread.start()
        thread.join()
        assert other == [Lane.INTERACTIVE]  # a new thread starts interactive
    assert CURRENT_LANE.get() is Lane.INTERACTIVE


def test_acquire_uses_the_context_lane(store: MemoryPaceStore, fake_time: FakeTime) -> None:
    pacer = make_pacer(store, fake_time)
    drain(pacer, fake_time)
    with lane(Lane.BULK):
        pacer.acquire(POST, "U88888")
    assert fake_time.slept != []
    fake_time.slept.clear()
    drain(pacer, fake_time)
    pacer.acquire(POST, "C1")  # interactive by default: the reserve
    assert fake_time.slept == []


# -- robustness and helpers ----------------------------------------------------------------


class BrokenStore:
    """A pace store whose database is down."""

    def take(self, *args: Any) -> float:
        raise RuntimeError("database is down")

    penalize = reward = rate = take


def test_a_failing_store_lets_calls_through_and_still_honours_retry_after(
    fake_time: FakeTime,
) -> None:
    pacer = make_pacer(BrokenStore(), fake_time)
    pacer.acquire(POST, "C1", Lane.BULK)
    pacer.on_success(POST, "C1")
    assert fake_time.slept == []
    pacer.on_rate_limited(POST, "C1", 3)
    pacer.acquire(POST, "C2", Lane.INTERACTIVE)
    assert fake_time.total_slept() == pytest.approx(3)


def test_copies_of_a_paced_client_share_its_pacer(store: MemoryPaceStore) -> None:
    """Bolt deep-copies a request's context (with its client) for lazy listeners."""
    pacer = Pacer(store)
    client = PacedWebClient(token="xoxb-1", base_url="http://127.0.0.1:9/api/", pacer=pacer)
    assert not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers)
    copied = copy.deepcopy(client)
    assert copied.pacer is pacer and copied.token == "xoxb-1"
    again = paced_copy(WebClient(token="xoxb-2", team_id="T1"), pacer)
    assert (again.token, again.default_params, again.pacer) == ("xoxb-2", {"team_id": "T1"}, pacer)


def test_helpers() -> None:
    assert _channel_of(None, {"channel": "C1"}, {"channel": "C2"}) == "C1"
    assert _channel_of({"text": "x"}, None) is None
    assert _retry_after({"Retry-After": "7"}) == 7
    assert _retry_after({"retry-after": ["2"]}) == 2
    assert _retry_after({}) == 1
    assert _retry_after({"Retry-After": "soon"}) == 1
