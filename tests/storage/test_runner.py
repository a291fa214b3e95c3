"""The queue's one runner (bot.runner) over a real database: each kind's handler, its outcome
recorded, its threads capped, and a stop that loses nothing."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.in_flight import InFlight
from bot.runner import Defer, GiveUp, Kind, Retry, Runner
from intake.clock import FixedClock
from storage import queue
from storage.db import transaction
from tests.storage.threads import Overlap

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def put(engine: Engine, kind: str, n: int, **kwargs: Any) -> None:
    with transaction(engine) as session:
        queue.enqueue(session, kind, {"n": n}, at=NOW, **kwargs)


def test_each_kind_runs_with_its_handler_and_its_outcome_is_kept(engine: Engine) -> None:
    seen: list[tuple[str, int]] = []

    def ok(item: queue.Item) -> dict[str, Any]:
        seen.append((item.kind, item.payload["n"]))
        return {"ts": f"{item.payload['n']}.0"}

    def limited(item: queue.Item) -> None:
        raise Retry("HTTP 429", after=30)

    def refused(item: queue.Item) -> None:
        raise GiveUp("channel_not_found")

    def crashes(item: queue.Item) -> None:
        raise KeyError("bug")

    for n, kind in enumerate(["ok", "limited", "refused", "crashes"]):
        put(engine, kind, n, key=f"{kind}-{n}")
    in_flight = InFlight()
    handlers = {"ok": ok, "limited": limited, "refused": refused, "crashes": crashes}
    runner = Runner(
        engine,
        FixedClock(NOW),
        {name: Kind(handler) for name, handler in handlers.items()},
        poll_s=0.05,
        in_flight=in_flight,
    )
    runner.start()
    runner.notify()
    assert in_flight.wait_idle(10)
    assert runner.rounds.wait_for(2, 10)
    runner.stop(time.monotonic() + 5)
    assert seen == [("ok", 0)]
    with transaction(engine) as session:
        assert queue.result_of(session, "ok-0") == {"ts": "0.0"}
    assert [(g.kind, g.last_error) for g in queue.given_up(engine, handlers, NOW)] == [
        ("refused", "channel_not_found")
    ]
    assert queue.pending(engine).keys() == {"limited", "crashes"}
    # The 429's Retry-After is obeyed; the crash backs off 2 s.
    assert queue.claim(engine, NOW + timedelta(seconds=29), 5, kinds=["limited"]) == []
    assert len(queue.claim(engine, NOW + timedelta(seconds=30), 5, kinds=["limited"])) == 1
    assert len(queue.claim(engine, NOW + timedelta(seconds=2), 5, kinds=["crashes"])) == 1


def test_a_kind_never_runs_more_than_its_threads_at_once(engine: Engine) -> None:
    for n in range(12):
        put(engine, "slow", n)
    put(engine, "quick", 99)
    overlap = Overlap()
    quick_done = threading.Event()

    def slow(item: queue.Item) -> None:
        overlap.busy()

    def quick(item: queue.Item) -> None:
        quick_done.set()

    runner = Runner(
        engine,
        FixedClock(NOW),
        {"slow": Kind(slow, threads=3), "quick": Kind(quick, threads=1)},
        poll_s=0.02,
    )
    runner.start()
    assert quick_done.wait(5)  # not stuck behind the slow backlog
    deadline = time.monotonic() + 10
    while queue.pending(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.stop(time.monotonic() + 5)
    assert queue.pending(engine) == {}
    assert overlap.most == 3


def test_stopping_hands_back_what_has_not_started_and_abandons_what_overruns(
    engine: Engine,
) -> None:
    put(engine, "stuck", 1)
    started, release = threading.Event(), threading.Event()

    def stuck(item: queue.Item) -> None:
        started.set()
        release.wait(10)

    runner = Runner(
        engine,
        FixedClock(NOW),
        {"stuck": Kind(stuck, threads=1, abandoned_due_after=timedelta(seconds=30))},
        poll_s=0.02,
    )
    runner.start()
    assert started.wait(5)
    put(engine, "stuck", 2)  # queued while the only thread is busy: never claimed here
    assert not runner.stop(time.monotonic() + 0.2)  # still running at the deadline
    # The overrunning item is due again in doubt once its calls can no longer be answered;
    # the other was never claimed.
    assert [(i.payload["n"], i.in_doubt) for i in queue.claim(engine, NOW, 5)] == [(2, False)]
    later = queue.claim(engine, NOW + timedelta(seconds=30), 5)
    assert [(i.payload["n"], i.in_doubt) for i in later] == [(1, True)]
    release.set()


def test_a_running_item_is_leased_for_its_kind(engine: Engine) -> None:
    """A kind whose attempts outlast the default lease holds its items longer: no other
    runner claims one while it runs."""
    put(engine, "long", 1)
    started, release = threading.Event(), threading.Event()

    def long(item: queue.Item) -> None:
        started.set()
        release.wait(10)

    lease = queue.LEASE * 5
    runner = Runner(engine, FixedClock(NOW), {"long": Kind(long, lease=lease)}, poll_s=0.02)
    runner.start()
    try:
        assert started.wait(5)
        assert queue.claim(engine, NOW + lease - timedelta(seconds=1), 5) == []
    finally:
        release.set()
        runner.stop(time.monotonic() + 5)


def test_items_whose_every_attempt_died_are_given_up_and_logged_by_kind(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    put(engine, "sync", 1, max_attempts=1)
    assert queue.claim(engine, NOW, 1)  # its runner dies
    later = NOW + queue.LEASE  # the lease is out
    runner = Runner(engine, FixedClock(later), {"sync": Kind(lambda item: None)}, poll_s=0.05)
    with caplog.at_level(logging.ERROR, logger="bot.runner"):
        runner.start()
        assert runner.rounds.wait_for(1, 10)
        runner.stop(time.monotonic() + 5)
    assert [g.last_error for g in queue.given_up(engine, ["sync"], NOW)] == ["every attempt died"]
    assert "gave up on 1 queue item(s) (sync: 1)" in caplog.text


def test_done_items_are_deleted_once_their_kind_no_longer_keeps_them(engine: Engine) -> None:
    def ok(item: queue.Item) -> None:
        return None

    for n, (kind, age) in enumerate([("short", 2), ("short", 0), ("long", 2)]):
        put(engine, kind, n, key=f"{kind}-{n}")
        (item,) = queue.claim(engine, NOW, 1, kinds=[kind])
        queue.done(engine, item.id, NOW - timedelta(days=age), {"n": n})
    runner = Runner(
        engine,
        FixedClock(NOW),
        {"short": Kind(ok, keep_done=timedelta(days=1)), "long": Kind(ok)},
        poll_s=0.05,
    )
    runner.start()
    assert runner.rounds.wait_for(1, 10)
    runner.stop(time.monotonic() + 5)
    with transaction(engine) as session:
        kept = {key: queue.result_of(session, key) for key in ("short-0", "short-1", "long-2")}
    # Two days old: gone for a kind that keeps a day (its key may be queued again), kept
    # for one that keeps a week; a fresh one is kept.
    assert kept == {"short-0": None, "short-1": {"n": 1}, "long-2": {"n": 2}}


def test_a_notify_after_stop_leaves_nothing_in_flight(engine: Engine) -> None:
    """A change committed while the process shuts down wakes a runner that will not run
    again: the shutdown must not wait for that round (it would wait the whole grace)."""
    in_flight = InFlight()
    runner = Runner(engine, FixedClock(NOW), {"k": Kind(lambda item: None)}, in_flight=in_flight)
    runner.start()
    runner.request_stop()
    runner.notify()
    assert in_flight.wait_idle(1)
    runner.stop(time.monotonic() + 5)


def test_a_deferred_item_is_due_at_its_time_without_using_an_attempt(engine: Engine) -> None:
    morning = NOW + timedelta(hours=9)

    def night(item: queue.Item) -> None:
        raise Defer("quiet hours", morning)

    put(engine, "dm", 1, max_attempts=1)
    runner = Runner(engine, FixedClock(NOW), {"dm": Kind(night)}, poll_s=0.02)
    runner.start()
    assert runner.rounds.wait_for(2, 10)
    runner.stop(time.monotonic() + 5)
    assert queue.claim(engine, morning - timedelta(seconds=1), 5) == []
    (item,) = queue.claim(engine, morning, 5)  # its only attempt is still there
    assert (item.attempts, item.in_doubt) == (1, False)
