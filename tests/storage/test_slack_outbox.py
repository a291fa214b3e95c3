"""Queued Slack messages (storage.slack_outbox, items of the one queue): queued once per key,
the interactive lane first, not before their time, reported when given up and counted for
monitoring, on SQLite and PostgreSQL. (Claims, leases, retries: tests/storage/test_queue.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine

from storage import queue
from storage.db import transaction
from storage.models import QueueItemRow
from storage.slack_outbox import (
    KIND,
    MAX_ATTEMPTS,
    PRIORITY,
    enqueue_message,
    given_up,
    given_up_count,
    outbox_depth,
)
from tests.storage.slack_messages import T0, claim, count_rows, enqueue, keys, stored
from tests.storage.threads import in_numbered_threads

# -- enqueue ----------------------------------------------------------------------------------


def test_enqueue_twice_is_false_the_second_time(engine: Engine) -> None:
    key = "nudge:T1:U123:2026-W48"
    assert enqueue(engine, key, payload={"text": "first"}) is True
    assert enqueue(engine, key, payload={"text": "second"}, at=T0 + timedelta(hours=1)) is False
    with transaction(engine) as session:  # also within one transaction
        for expected in (True, False):
            queued = enqueue_message(
                session,
                key="nudge:T1:U124:2026-W48",
                kind="nudge",
                team_id="T1",
                channel="U124",
                payload={},
                at=T0,
            )
            assert queued is expected
    row = stored(engine, key)
    assert row.payload["message"] == {"text": "first"} and row.created_at == T0
    assert count_rows(engine, QueueItemRow) == 2


def test_enqueue_from_8_threads_keeps_one(engine: Engine) -> None:
    results = in_numbered_threads(
        8, lambda n: enqueue(engine, "digest:T1:C1:2026-W48", kind="digest")
    )
    assert sorted(results) == [False] * 7 + [True]
    assert count_rows(engine, QueueItemRow) == 1


def test_enqueue_stores_every_field(engine: Engine) -> None:
    payload: dict[str, Any] = {
        "text": "PLAT-12: how is it going? 🚀",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}],
    }
    berlin = timezone(timedelta(hours=1))
    assert enqueue(
        engine,
        "progress:T1:12:2026-W48",
        kind="progress",
        channel="C123",
        thread_ts="1700000000.000100",
        payload=payload,
        lane="interactive",
        at=T0 - timedelta(hours=2),
        not_before=datetime(2026, 11, 23, 9, 0, tzinfo=berlin),
    )
    payload["text"] = "changed after queuing"  # a copy was stored
    row = stored(engine, "progress:T1:12:2026-W48")
    assert (row.kind, row.team_id, row.max_attempts, row.attempts) == (KIND, "T1", MAX_ATTEMPTS, 0)
    assert row.payload == {
        "what": "progress",
        "channel": "C123",
        "thread_ts": "1700000000.000100",
        "message": {
            "text": "PLAT-12: how is it going? 🚀",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}],
        },
        "due": "2026-11-23T08:00:00.000000+00:00",
    }
    assert row.run_at == T0 and row.run_at.utcoffset() == timedelta(0)  # its not_before
    assert row.priority == PRIORITY["interactive"] > PRIORITY["bulk"]
    for column in ("started_at", "done_at", "gave_up_at", "last_error", "result"):
        assert getattr(row, column) is None, column


def test_enqueue_refuses_bad_input(engine: Engine) -> None:
    with pytest.raises(ValueError, match="lane"):
        enqueue(engine, "nudge:x", lane="urgent")
    with pytest.raises(ValueError, match="key"):
        enqueue(engine, "n" * 256, kind="nudge")
    with pytest.raises(ValueError, match="key"):
        enqueue(engine, "")
    with pytest.raises(ValueError, match="naive"):
        enqueue(engine, "nudge:y", at=datetime(2026, 11, 23, 8, 0))
    with pytest.raises(ValueError, match="naive"):
        enqueue(engine, "nudge:z", not_before=datetime(2026, 11, 23, 8, 0))
    with pytest.raises(TypeError):
        enqueue(engine, "nudge:w", payload={"when": object()})
    assert enqueue(engine, "n" * 255, kind="nudge")
    assert count_rows(engine, QueueItemRow) == 1


# -- what a runner gets -----------------------------------------------------------------------


def test_interactive_first_and_nothing_before_its_time(engine: Engine) -> None:
    enqueue(engine, "digest:a")
    enqueue(engine, "nudge:morning", not_before=T0 + timedelta(hours=1))
    enqueue(engine, "ack:click", lane="interactive")
    enqueue(engine, "nudge:later", at=T0 + timedelta(minutes=5))  # queued for later

    first = claim(engine, T0, lease=timedelta(hours=3))
    assert keys(first) == ["ack:click", "digest:a"]  # interactive first
    assert (first[0].team_id, first[0].payload["channel"], first[0].in_doubt) == (
        "T1",
        "U123",
        False,
    )
    assert claim(engine, T0) == []  # claimed: no other runner gets them
    assert keys(claim(engine, T0 + timedelta(minutes=59))) == ["nudge:later"]
    assert keys(claim(engine, T0 + timedelta(hours=1))) == ["nudge:morning"]


def test_replies_sharing_an_order_key_go_one_at_a_time(engine: Engine) -> None:
    for n in range(3):
        enqueue(engine, f"digest:x:reply:{n}", order_key="digest:x:replies")
    (first,) = claim(engine, T0)
    assert first.key == "digest:x:reply:0"
    queue.done(engine, first.id, T0, {"ts": "1.1", "channel": "C1"})
    assert keys(claim(engine, T0)) == ["digest:x:reply:1"]


# -- what was sent, and what was given up -----------------------------------------------------


def test_a_sent_message_is_found_by_its_key(engine: Engine) -> None:
    enqueue(engine, "nudge:a")
    with transaction(engine) as session:
        assert queue.result_of(session, "nudge:a") is None
        assert queue.result_of(session, "nudge:unknown") is None
    (item,) = claim(engine, T0)
    queue.done(engine, item.id, T0, {"ts": "1700000000.000200", "channel": "D0DM"})
    with transaction(engine) as session:
        assert queue.result_of(session, "nudge:a") == {"ts": "1700000000.000200", "channel": "D0DM"}
    assert not enqueue(engine, "nudge:a", at=T0 + timedelta(days=1))  # never queued again


def test_given_up_messages_are_reported_per_workspace(engine: Engine) -> None:
    enqueue(engine, "nudge:T1:gone")
    enqueue(engine, "nudge:T2:gone", team_id="T2")
    enqueue(engine, "nudge:T1:fine")
    gone_1, gone_2, fine = claim(engine, T0)
    queue.failed(engine, gone_1.id, "channel_not_found", T0, give_up=True)
    queue.failed(engine, gone_2.id, "account_inactive", T0 + timedelta(seconds=1), give_up=True)
    queue.done(engine, fine.id, T0, {"ts": "1.0", "channel": "D1"})

    assert [g.key for g in given_up(engine, T0)] == ["nudge:T1:gone", "nudge:T2:gone"]
    (mine,) = given_up(engine, T0, team_id="T2")
    assert (mine.key, mine.last_error, mine.attempts) == ("nudge:T2:gone", "account_inactive", 1)
    assert given_up(engine, T0 + timedelta(seconds=2)) == []  # given up before the week asked
    assert given_up_count(engine) == 2
    assert outbox_depth(engine, T0 + timedelta(days=1)) == (0, None)  # not pending any more


def test_eight_attempts_then_given_up(engine: Engine) -> None:
    enqueue(engine, "nudge:failing")
    now = T0
    for _ in range(MAX_ATTEMPTS - 1):
        (item,) = claim(engine, now)
        retry = queue.failed(engine, item.id, "internal_error", now)
        assert retry is not None
        now = retry
    (last,) = claim(engine, now)
    assert last.attempts == MAX_ATTEMPTS
    assert queue.failed(engine, last.id, "internal_error", now) is None
    assert [g.key for g in given_up(engine, T0)] == ["nudge:failing"]


# -- monitoring -------------------------------------------------------------------------------


def test_outbox_depth(engine: Engine) -> None:
    assert outbox_depth(engine, T0) == (0, None)
    enqueue(engine, "nudge:old")
    enqueue(engine, "nudge:newer", at=T0 + timedelta(seconds=10))
    # Queued early for 09:00: counted (and aged) from 09:00 on.
    enqueue(engine, "nudge:scheduled", not_before=T0 + timedelta(hours=1))
    assert outbox_depth(engine, T0 + timedelta(seconds=25)) == (2, 25.0)
    old, newer = claim(engine, T0 + timedelta(seconds=25))
    assert outbox_depth(engine, T0 + timedelta(seconds=25)) == (2, 25.0)  # being sent: pending
    queue.done(engine, old.id, T0 + timedelta(seconds=26), {"ts": "1.0", "channel": "D1"})
    assert outbox_depth(engine, T0 + timedelta(seconds=30)) == (1, 20.0)
    queue.failed(engine, newer.id, "ratelimited", T0 + timedelta(seconds=31), retry_after=60)
    assert outbox_depth(engine, T0 + timedelta(seconds=40)) == (1, 30.0)  # failing: pending
    queue.failed(engine, newer.id, "gone", T0 + timedelta(seconds=41), give_up=True)
    assert outbox_depth(engine, T0 + timedelta(minutes=59)) == (0, None)
    assert outbox_depth(engine, T0 + timedelta(hours=1, seconds=3)) == (1, 3.0)


def test_readers_need_aware_times(engine: Engine) -> None:
    naive = datetime(2026, 11, 23, 8, 0)
    for call in (lambda: given_up(engine, naive), lambda: outbox_depth(engine, naive)):
        with pytest.raises(ValueError, match="naive"):
            call()
