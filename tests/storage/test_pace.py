"""Pacing of Web API calls (storage.pace): the same semantics in memory and in the database
(SQLite and PostgreSQL), with a clock the tests control."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.db import make_engine
from storage.pace import REWARD_EVERY, MemoryPaceStore, PaceStore, SqlPaceStore
from tests.dbfixtures import MEMORY_AND_DATABASES, memory_or_sql, provide_database_url
from tests.storage.threads import in_threads

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
KEY = "chat.postMessage"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(params=MEMORY_AND_DATABASES)
def pace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PaceStore]:
    """A ``PaceStore``: ``memory`` (MemoryPaceStore), ``sqlite`` and ``postgresql``
    (SqlPaceStore)."""
    store: PaceStore
    with memory_or_sql(request, tmp_path, MemoryPaceStore, SqlPaceStore) as store:
        yield store


def takes(
    pace: PaceStore, now: datetime, count: int, rate: float = 60.0, burst: float = 3
) -> list[float]:
    return [pace.take(KEY, now, rate, burst) for _ in range(count)]


def test_a_new_key_starts_full_then_refills_at_its_rate(pace: PaceStore) -> None:
    assert pace.rate(KEY) == 0.0  # unknown
    assert takes(pace, T0, 4) == [0.0, 0.0, 0.0, 1.0]  # burst 3; then 1 s for the next
    assert pace.rate(KEY) == 60.0
    assert pace.take(KEY, at(0.25), 60.0, 3) == pytest.approx(0.75)  # nothing was taken
    assert pace.take(KEY, at(1), 60.0, 3) == 0.0
    assert pace.take(KEY, at(1), 60.0, 3) == pytest.approx(1.0)
    assert takes(pace, at(2.5), 3) == [0.0, pytest.approx(0.5), pytest.approx(0.5)]
    # A long pause refills the bucket to its burst, no further.
    assert takes(pace, at(3600), 4) == [0.0, 0.0, 0.0, pytest.approx(1.0)]


def test_keys_are_independent(pace: PaceStore) -> None:
    assert takes(pace, T0, 2, burst=1) == [0.0, 1.0]
    assert pace.take(f"{KEY}:C123", T0, 20.0, 1) == 0.0
    assert pace.take(f"{KEY}:C123", T0, 20.0, 1) == pytest.approx(3.0)  # 20/min: one per 3 s
    assert pace.take("conversations.history", T0, 50.0, 1) == 0.0


def test_the_stored_rate_wins_over_the_default(pace: PaceStore) -> None:
    assert takes(pace, T0, 1, rate=60.0, burst=1) == [0.0]
    assert pace.take(KEY, T0, 120.0, 1) == pytest.approx(1.0)  # still 60/min
    assert pace.rate(KEY) == 60.0


def test_penalize_blocks_and_slows_down(pace: PaceStore) -> None:
    takes(pace, T0, 3)  # rate 60/min, burst 3, empty now
    pace.penalize(KEY, at(1), retry_after=30)
    assert pace.rate(KEY) == 30.0
    assert pace.take(KEY, at(1), 60.0, 3) == pytest.approx(30.0)  # the rest of the block
    assert pace.take(KEY, at(21), 60.0, 3) == pytest.approx(10.0)
    assert pace.take(KEY, at(31), 60.0, 3) == 0.0  # one call right after the block
    assert pace.take(KEY, at(31), 60.0, 3) == pytest.approx(2.0)  # then 30/min
    assert pace.take(KEY, at(33), 60.0, 3) == 0.0


def test_429s_of_calls_in_flight_together_count_once(pace: PaceStore) -> None:
    takes(pace, T0, 3)
    pace.penalize(KEY, at(1), retry_after=10)
    pace.penalize(KEY, at(1.1), retry_after=10)  # during the block: extends it only
    pace.penalize(KEY, at(1.2), retry_after=5)  # a shorter one shortens nothing
    assert pace.rate(KEY) == 30.0
    assert pace.take(KEY, at(11), 60.0, 3) == pytest.approx(0.1)
    assert pace.take(KEY, at(11.1), 60.0, 3) == 0.0
    pace.penalize(KEY, at(12), retry_after=1)  # after the block: a new penalty
    assert pace.rate(KEY) == 15.0


def test_penalties_stop_at_the_floor(pace: PaceStore) -> None:
    takes(pace, T0, 1)
    for n in range(10):
        pace.penalize(KEY, at(10 * n), retry_after=1, factor=0.5, floor=4.0)
    assert pace.rate(KEY) == 4.0
    pace.penalize(KEY, at(200), retry_after=1, factor=0.1, floor=1.0)
    assert pace.rate(KEY) == pytest.approx(1.0)


def test_reward_grows_the_rate_gradually_up_to_the_ceiling(pace: PaceStore) -> None:
    takes(pace, T0, 1, rate=50.0)
    pace.penalize(KEY, T0, retry_after=1)
    assert pace.rate(KEY) == 25.0
    rates = []
    for _ in range(6 * REWARD_EVERY):
        pace.reward(KEY, at(2), ceiling=35.0)
        rates.append(pace.rate(KEY))
    assert rates[: REWARD_EVERY - 1] == [25.0] * (REWARD_EVERY - 1)  # not before N successes
    assert rates[REWARD_EVERY - 1] == pytest.approx(27.5)  # +10 %
    assert rates[2 * REWARD_EVERY - 1] == pytest.approx(30.25)
    assert rates[3 * REWARD_EVERY - 1] == pytest.approx(33.275)
    assert rates[4 * REWARD_EVERY - 1] == 35.0  # the ceiling
    assert rates[-1] == 35.0
    for _ in range(REWARD_EVERY):
        pace.reward(KEY, at(2), ceiling=10.0)  # a ceiling below never lowers the rate
    assert pace.rate(KEY) == 35.0


def test_a_penalty_resets_the_successes(pace: PaceStore) -> None:
    takes(pace, T0, 1, rate=40.0)
    for _ in range(REWARD_EVERY - 1):
        pace.reward(KEY, T0)
    pace.penalize(KEY, T0, retry_after=0)  # rate 20
    for _ in range(REWARD_EVERY - 1):
        pace.reward(KEY, T0)
    assert pace.rate(KEY) == 20.0
    pace.reward(KEY, T0)  # no ceiling
    assert pace.rate(KEY) == pytest.approx(22.0)


def test_unknown_keys(pace: PaceStore) -> None:
    pace.reward(KEY, T0)  # nothing to reward
    assert pace.rate(KEY) == 0.0
    pace.penalize(KEY, T0, retry_after=20)  # blocked; its rate is set by its first take
    assert pace.rate(KEY) == 0.0
    assert pace.take(KEY, at(5), 30.0, 5) == pytest.approx(15.0)
    assert pace.rate(KEY) == 30.0
    assert pace.take(KEY, at(20), 30.0, 5) == 0.0
    assert pace.take(KEY, at(20), 30.0, 5) == pytest.approx(2.0)


def test_a_clock_behind_refills_nothing(pace: PaceStore) -> None:
    assert takes(pace, at(10), 2, burst=1) == [0.0, 1.0]
    assert pace.take(KEY, at(9), 60.0, 1) == pytest.approx(1.0)  # another replica, 1 s behind
    assert pace.take(KEY, at(11), 60.0, 1) == 0.0


def test_bad_arguments(pace: PaceStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        pace.take(KEY, datetime(2026, 11, 23, 8, 0), 60.0, 3)
    with pytest.raises(ValueError, match="naive"):
        pace.penalize(KEY, datetime(2026, 11, 23, 8, 0), 1)
    with pytest.raises(ValueError, match="naive"):
        pace.reward(KEY, datetime(2026, 11, 23, 8, 0))
    with pytest.raises(ValueError, match="rate"):
        pace.take(KEY, T0, 0.0, 3)
    with pytest.raises(ValueError, match="burst"):
        pace.take(KEY, T0, 60.0, 0.5)
    assert pace.rate(KEY) == 0.0  # nothing was stored


def test_concurrent_takes_never_exceed_the_bucket(pace: PaceStore) -> None:
    """8 threads at a standing clock: exactly ``burst`` tokens in all."""
    burst, threads_count, tries = 5, 8, 15
    taken: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        got = sum(pace.take(KEY, T0, 60.0, burst) == 0.0 for _ in range(tries))
        with lock:
            taken.append(got)

    in_threads(threads_count, worker)
    assert sum(taken) == burst


def test_concurrent_takes_with_a_moving_clock_stay_within_the_rate(pace: PaceStore) -> None:
    """8 threads reading one clock that advances 1 ms per reading (so they present their
    times out of order): never more than the burst plus what the rate refills meanwhile."""
    burst, rate, threads_count, tries = 3.0, 600.0, 8, 20  # 600/min: a token per 100 ms
    ticks = itertools.count()
    lock = threading.Lock()
    granted: list[int] = []
    latest: list[datetime] = [T0]

    def worker() -> None:
        got = 0
        for _ in range(tries):
            with lock:
                now = T0 + timedelta(milliseconds=next(ticks))
                latest[0] = max(latest[0], now)
            got += pace.take(KEY, now, rate, burst) == 0.0
        with lock:
            granted.append(got)

    in_threads(threads_count, worker)
    elapsed = (latest[0] - T0).total_seconds()  # 159 ms
    assert burst <= sum(granted) <= burst + elapsed * rate / 60


def test_sql_stores_share_one_bucket(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Two replicas (engines) on one database take from the same bucket."""
    url = provide_database_url(request, "sqlite", tmp_path)
    first, second = make_engine(url), make_engine(url)
    try:
        a, b = SqlPaceStore(first), SqlPaceStore(second)
        assert a.take(KEY, T0, 60.0, 2) == 0.0
        assert b.take(KEY, T0, 60.0, 2) == 0.0
        assert a.take(KEY, T0, 60.0, 2) == pytest.approx(1.0)
        b.penalize(KEY, T0, retry_after=10)
        assert a.rate(KEY) == 30.0
        assert a.take(KEY, at(5), 60.0, 2) == pytest.approx(5.0)
    finally:
        first.dispose()
        second.dispose()


def test_concurrent_rewards_all_count(pace: PaceStore) -> None:
    """8 threads reward one key at once: every success is counted once, so the rate grows one
    step per ``REWARD_EVERY`` successes, no more, no fewer."""
    takes(pace, T0, 1, rate=10.0)
    threads_count, rounds = 8, 2

    def worker() -> None:
        for _ in range(rounds * REWARD_EVERY):
            pace.reward(KEY, at(1))

    in_threads(threads_count, worker)
    assert pace.rate(KEY) == pytest.approx(10.0 * 1.1 ** (threads_count * rounds))
