"""The one durable queue (storage.queue), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from storage import queue
from storage.db import transaction

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def put(engine: Engine, kind: str = "k", **kwargs: object) -> bool:
    with transaction(engine) as session:
        return queue.enqueue(session, kind, {"n": kwargs.pop("n", 0)}, at=NOW, **kwargs)  # type: ignore[arg-type]


def test_an_item_is_handed_out_once_then_gone_when_done(engine: Engine) -> None:
    put(engine, n=1)
    put(engine, "other", n=2)
    items = queue.claim(engine, NOW, 10)
    assert [(i.kind, i.payload, i.attempts, i.in_doubt) for i in items] == [
        ("k", {"n": 1}, 1, False),
        ("other", {"n": 2}, 1, False),
    ]
    assert queue.claim(engine, NOW + timedelta(seconds=5), 10) == []  # leased
    assert queue.pending(engine) == {"k": (1, NOW), "other": (1, NOW)}
    for item in items:
        queue.done(engine, item.id, NOW, {"ts": "1.2"})
    assert queue.pending(engine) == {}
    assert queue.claim(engine, NOW + timedelta(hours=1), 10) == []


def test_a_key_is_queued_once_even_after_it_is_done(engine: Engine) -> None:
    assert put(engine, key="nudge:T1:U1:2026-W50")
    assert not put(engine, key="nudge:T1:U1:2026-W50")
    (item,) = queue.claim(engine, NOW, 10)
    queue.done(engine, item.id, NOW, {"ts": "9.9"})
    assert not put(engine, key="nudge:T1:U1:2026-W50")
    with transaction(engine) as session:
        assert queue.result_of(session, "nudge:T1:U1:2026-W50") == {"ts": "9.9"}


def test_an_enqueue_rolled_back_with_its_change_leaves_nothing(engine: Engine) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as session:
        queue.enqueue(session, "k", {}, at=NOW, key="only-with-the-change")
        raise RuntimeError("the change failed")
    assert queue.claim(engine, NOW, 10) == []
    assert put(engine, key="only-with-the-change")


def test_only_the_oldest_item_of_an_order_key_runs(engine: Engine) -> None:
    for n in range(3):
        put(engine, n=n, order_key="ask:1")
    put(engine, n=9, order_key="ask:2")
    first = queue.claim(engine, NOW, 10)
    assert [i.payload["n"] for i in first] == [0, 9]
    queue.failed(engine, first[0].id, "HTTP 500", NOW)  # a failing one holds back the rest
    assert queue.claim(engine, NOW + timedelta(seconds=1), 10) == []
    (again,) = queue.claim(engine, NOW + timedelta(seconds=2), 10)
    assert again.payload["n"] == 0
    queue.done(engine, again.id, NOW)
    assert [i.payload["n"] for i in queue.claim(engine, NOW + timedelta(seconds=3), 10)] == [1]


def test_a_kind_is_due_only_with_an_item_a_claim_would_hand_out(engine: Engine) -> None:
    """An idle runner reads ``due_kinds`` before it claims: an item held back by its order
    key, or past its last attempt, must not send it into an empty claim every poll."""
    put(engine, "ordered", n=0, order_key="ask:1")
    put(engine, "ordered", n=1, order_key="ask:1")
    put(engine, "spent", max_attempts=1)
    claimed = queue.claim(engine, NOW, 10)
    assert [i.payload["n"] for i in claimed] == [0, 0]
    later = NOW + 2 * queue.LEASE  # both leases are out
    queue.failed(engine, claimed[0].id, "HTTP 500", NOW, retry_after=3600)
    assert queue.due_kinds(engine, later, ["ordered", "spent"]) == set()
    assert queue.claim(engine, later, 10) == []
    put(engine, "ordered", n=2)
    assert queue.due_kinds(engine, later, ["ordered", "spent"]) == {"ordered"}


def test_failures_back_off_obey_retry_after_and_give_up_at_the_limit(engine: Engine) -> None:
    put(engine, max_attempts=3)
    (item,) = queue.claim(engine, NOW, 1)
    assert queue.failed(engine, item.id, "boom", NOW) == NOW + timedelta(seconds=2)
    (item,) = queue.claim(engine, NOW + timedelta(seconds=2), 1)
    later = NOW + timedelta(seconds=2)
    assert queue.failed(engine, item.id, "429", later, retry_after=30) == later + timedelta(
        seconds=30
    )
    assert queue.claim(engine, later + timedelta(seconds=29), 1) == []
    (item,) = queue.claim(engine, later + timedelta(seconds=30), 1)
    assert item.attempts == 3
    assert queue.failed(engine, item.id, "still broken", later) is None
    (gone,) = queue.given_up(engine, ["k"], NOW)
    assert (gone.attempts, gone.last_error) == (3, "still broken")
    assert queue.claim(engine, NOW + timedelta(days=1), 1) == []


def test_a_dead_runners_item_comes_back_in_doubt_after_the_lease(engine: Engine) -> None:
    put(engine, max_attempts=2)
    (first,) = queue.claim(engine, NOW, 1)
    assert not first.in_doubt
    assert queue.claim(engine, NOW + queue.LEASE - timedelta(seconds=1), 1) == []
    (second,) = queue.claim(engine, NOW + queue.LEASE, 1)
    assert (second.id, second.attempts, second.in_doubt) == (first.id, 2, True)
    # It died again: after the last lease the item is given up, not handed out a third time.
    assert queue.give_up_dead(engine, NOW + 2 * queue.LEASE) == {"k": 1}
    assert queue.claim(engine, NOW + timedelta(days=1), 1) == []
    assert [g.last_error for g in queue.given_up(engine, ["k"], NOW)] == ["every attempt died"]


def test_released_items_are_due_at_once_and_the_attempt_is_not_counted(engine: Engine) -> None:
    put(engine, max_attempts=1)
    (item,) = queue.claim(engine, NOW, 1)
    assert queue.release(engine, [item.id], NOW) == 1
    (again,) = queue.claim(engine, NOW, 1)
    assert (again.id, again.attempts, again.in_doubt) == (item.id, 1, False)


def test_abandoned_items_come_back_in_doubt_when_due(engine: Engine) -> None:
    put(engine)
    (item,) = queue.claim(engine, NOW, 1)
    queue.release(engine, [item.id], NOW + timedelta(seconds=30), in_doubt=True)
    assert queue.claim(engine, NOW + timedelta(seconds=29), 1) == []
    (again,) = queue.claim(engine, NOW + timedelta(seconds=30), 1)
    assert again.in_doubt


def test_priority_and_kinds_choose_what_is_claimed(engine: Engine) -> None:
    put(engine, "bulk", n=1)
    put(engine, "bulk", n=2, priority=1)
    put(engine, "command", n=3)
    assert [i.payload["n"] for i in queue.claim(engine, NOW, 1, kinds=["bulk"])] == [2]
    assert [i.payload["n"] for i in queue.claim(engine, NOW, 5, kinds=["command"])] == [3]


def test_not_before_its_run_at(engine: Engine) -> None:
    put(engine, run_at=NOW + timedelta(hours=9))
    assert queue.claim(engine, NOW + timedelta(hours=8), 1) == []
    assert len(queue.claim(engine, NOW + timedelta(hours=9), 1)) == 1


def test_bad_keys_and_naive_times_are_refused(engine: Engine) -> None:
    with transaction(engine) as session:
        with pytest.raises(ValueError, match="1 to 255"):
            queue.enqueue(session, "k", {}, at=NOW, key="x" * 256)
        with pytest.raises(ValueError, match="naive"):
            queue.enqueue(session, "k", {}, at=NOW.replace(tzinfo=None))


def test_concurrent_runners_never_get_the_same_item(engine: Engine) -> None:
    with transaction(engine) as session:
        for n in range(60):
            queue.enqueue(session, "k", {"n": n}, at=NOW, order_key=f"o{n % 20}")
    got: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def runner() -> None:
        start.wait()
        at = NOW
        while True:
            items = queue.claim(engine, at, 5)
            if not items:
                at += timedelta(microseconds=1)
                if at > NOW + timedelta(microseconds=50):
                    return
                continue
            for item in items:
                queue.done(engine, item.id, at)
            with lock:
                got.extend(item.payload["n"] for item in items)

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == list(range(60))  # each exactly once, order keys respected
