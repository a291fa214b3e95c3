"""The outbox of Slack messages (storage.slack_outbox): queued once, claimed by one sender at a
time, retried, given up and reported, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine

from storage.db import transaction
from storage.models import SlackOutboxRow
from storage.queue import backoff
from storage.slack_outbox import (
    LEASE,
    MAX_ATTEMPTS,
    OutgoingMessage,
    due_messages,
    enqueue_message,
    given_up,
    in_doubt,
    mark_failed,
    mark_sending,
    mark_sent,
    outbox_depth,
    release_messages,
)
from tests.storage.slack_messages import T0, count_rows, enqueue, keys, stored
from tests.storage.threads import in_numbered_threads

# -- enqueue ----------------------------------------------------------------------------------


def test_enqueue_twice_is_false_the_second_time(engine: Engine) -> None:
    key = "nudge:T1:U123:2026-W48"
    assert enqueue(engine, key, payload={"text": "first"}) is True
    assert enqueue(engine, key, payload={"text": "second"}, at=T0 + timedelta(hours=1)) is False
    with transaction(engine) as session:  # also within one transaction
        assert enqueue_message(
            session,
            key="nudge:T1:U124:2026-W48",
            kind="nudge",
            team_id="T1",
            channel="U124",
            payload={},
            at=T0,
        )
        assert not enqueue_message(
            session,
            key="nudge:T1:U124:2026-W48",
            kind="nudge",
            team_id="T1",
            channel="U124",
            payload={},
            at=T0,
        )
    row = stored(engine, key)
    assert row.payload == {"text": "first"} and row.created_at == T0
    assert count_rows(engine, SlackOutboxRow) == 2


def test_enqueue_from_8_threads_keeps_one(engine: Engine) -> None:
    results = in_numbered_threads(
        8, lambda n: enqueue(engine, "digest:T1:C1:2026-W48", kind="digest")
    )
    assert sorted(results) == [False] * 7 + [True]
    assert count_rows(engine, SlackOutboxRow) == 1


def test_enqueue_stores_every_field(engine: Engine) -> None:
    payload: dict[str, Any] = {
        "text": "PLAT-12: how is it going? 🚀",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}],
        "metadata": {"event_type": "intake_outbox", "event_payload": {"key": "k"}},
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
        not_before=datetime(2026, 11, 23, 9, 0, tzinfo=berlin),
    )
    payload["text"] = "changed after queuing"  # a copy was stored
    row = stored(engine, "progress:T1:12:2026-W48")
    assert (row.kind, row.team_id, row.channel, row.thread_ts, row.lane) == (
        "progress",
        "T1",
        "C123",
        "1700000000.000100",
        "interactive",
    )
    assert row.payload["text"] == "PLAT-12: how is it going? 🚀"
    assert row.payload["blocks"][0]["text"]["text"] == "*hi*"
    assert row.not_before == T0 and row.not_before.utcoffset() == timedelta(0)
    assert row.next_attempt_at == T0 and row.attempts == 0
    for column in ("sending_at", "sent_at", "ts", "channel_id_sent", "last_error", "gave_up_at"):
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
    assert count_rows(engine, SlackOutboxRow) == 1


# -- sending ----------------------------------------------------------------------------------


def test_due_respects_not_before_lanes_and_the_lease(engine: Engine) -> None:
    enqueue(engine, "digest:a")
    enqueue(engine, "nudge:morning", not_before=T0 + timedelta(hours=1))
    enqueue(engine, "ack:click", lane="interactive")
    enqueue(engine, "nudge:later", at=T0 + timedelta(minutes=5))  # queued for later

    first = due_messages(engine, T0, lease=timedelta(hours=3))
    assert keys(first) == ["ack:click", "digest:a"]  # interactive first
    assert first[0] == OutgoingMessage(
        id=first[0].id,
        key="ack:click",
        kind="ack",
        team_id="T1",
        channel="U123",
        thread_ts=None,
        payload={"text": "message ack:click"},
        lane="interactive",
        attempts=0,
        sending_at=None,
    )
    assert due_messages(engine, T0) == []  # claimed: no other sender gets them
    assert keys(due_messages(engine, T0 + timedelta(minutes=59))) == ["nudge:later"]
    assert keys(due_messages(engine, T0 + timedelta(hours=1))) == [
        "nudge:morning",  # its not_before has come
        "nudge:later",  # its (default) lease ran out
    ]
    assert keys(due_messages(engine, T0 + timedelta(hours=3), lane="bulk")) == [
        "digest:a",
        "nudge:morning",
        "nudge:later",
    ]
    assert keys(due_messages(engine, T0 + timedelta(hours=3), lane="interactive")) == ["ack:click"]
    with pytest.raises(ValueError, match="lane"):
        due_messages(engine, T0, lane="other")


def test_due_limit_and_a_custom_lease(engine: Engine) -> None:
    for n in range(5):
        enqueue(engine, f"nudge:{n}")
    assert keys(due_messages(engine, T0, limit=2, lease=timedelta(seconds=5))) == [
        "nudge:0",
        "nudge:1",
    ]
    assert keys(due_messages(engine, T0, limit=10)) == ["nudge:2", "nudge:3", "nudge:4"]
    assert keys(due_messages(engine, T0 + timedelta(seconds=5))) == ["nudge:0", "nudge:1"]
    assert due_messages(engine, T0 + LEASE - timedelta(microseconds=1)) == []


def test_sent_messages_are_done(engine: Engine) -> None:
    enqueue(engine, "nudge:a")
    (message,) = due_messages(engine, T0)
    mark_sending(engine, message.id, T0)
    assert mark_sent(engine, message.id, "1700000000.000200", "D0DM", T0 + timedelta(seconds=1))
    assert not mark_sent(engine, message.id, "1700000000.999999", "D0X", T0 + timedelta(hours=1))
    row = stored(engine, "nudge:a")
    assert (row.ts, row.channel_id_sent, row.sent_at) == (
        "1700000000.000200",
        "D0DM",
        T0 + timedelta(seconds=1),
    )
    assert row.sending_at == T0
    assert due_messages(engine, T0 + timedelta(days=1)) == []
    assert in_doubt(engine) == []
    assert not mark_failed(engine, message.id, "late duplicate", T0)  # changes nothing
    assert stored(engine, "nudge:a").attempts == 0
    assert outbox_depth(engine, T0 + timedelta(days=1)) == (0, None)


def test_concurrent_senders_never_hold_the_same_message(engine: Engine) -> None:
    expected = {f"nudge:T1:U{n}:2026-W48" for n in range(40)}
    for key in sorted(expected):
        enqueue(engine, key, lane="interactive" if key.endswith("7:2026-W48") else "bulk")
    holding: set[int] = set()
    sent: list[str] = []
    lock = threading.Lock()

    def sender(n: int) -> int:
        idle = handled = 0
        while idle < 20:
            batch = due_messages(engine, T0, limit=3)
            if not batch:
                idle += 1
                threading.Event().wait(0.01)
                continue
            idle = 0
            for message in batch:
                with lock:
                    assert message.id not in holding, f"{message.key} claimed twice"
                    holding.add(message.id)
                    sent.append(message.key)
                mark_sending(engine, message.id, T0)
                mark_sent(engine, message.id, f"{message.id}.0", message.channel, T0)
                with lock:
                    holding.discard(message.id)
                handled += 1
        return handled

    handled = in_numbered_threads(8, sender)
    assert sorted(sent) == sorted(expected)  # each exactly once
    assert sum(handled) == 40
    assert outbox_depth(engine, T0) == (0, None)


def test_failures_back_off_then_give_up_and_are_reported(engine: Engine) -> None:
    enqueue(engine, "nudge:failing")
    enqueue(engine, "nudge:fine")
    now = T0
    for attempt in range(1, MAX_ATTEMPTS):
        due = {m.key: m for m in due_messages(engine, now)}
        assert due["nudge:failing"].attempts == attempt - 1
        if "nudge:fine" in due:  # the other message is not held up
            mark_sent(engine, due["nudge:fine"].id, "1.0", "D1", now)
        failing = due["nudge:failing"]
        mark_sending(engine, failing.id, now)
        assert mark_failed(engine, failing.id, f"channel_not_found #{attempt}", now)
        row = stored(engine, "nudge:failing")
        assert (row.attempts, row.last_error) == (attempt, f"channel_not_found #{attempt}")
        assert row.next_attempt_at == now + backoff(attempt)
        assert row.sending_at is None and row.gave_up_at is None  # not in doubt: Slack said no
        assert "nudge:failing" not in keys(
            due_messages(engine, now + backoff(attempt) - timedelta(microseconds=1))
        )
        now += backoff(attempt)
    waits = [backoff(n).total_seconds() for n in range(1, 12)]
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]

    (last,) = (m for m in due_messages(engine, now) if m.key == "nudge:failing")
    assert last.attempts == MAX_ATTEMPTS - 1
    assert not mark_failed(engine, last.id, "channel_not_found, for good", now)  # gives up
    row = stored(engine, "nudge:failing")
    assert (row.attempts, row.gave_up_at, row.sent_at) == (MAX_ATTEMPTS, now, None)
    assert due_messages(engine, now + timedelta(days=30)) == []  # never sent again, but kept
    assert count_rows(engine, SlackOutboxRow) == 2

    (reported,) = given_up(engine, T0)
    assert reported.key == "nudge:failing" and reported.gave_up_at == now
    assert reported.last_error == "channel_not_found, for good"
    assert reported.attempts == MAX_ATTEMPTS
    assert given_up(engine, now + timedelta(microseconds=1)) == []
    assert not mark_failed(engine, last.id, "again", now)  # stays given up
    assert stored(engine, "nudge:failing").attempts == MAX_ATTEMPTS
    assert outbox_depth(engine, now)[0] == 0  # not pending any more: given up

    # Found posted after all (e.g. resolved by a look-up): sent, no longer reported.
    assert mark_sent(engine, last.id, "1.2", "D1", now)
    assert given_up(engine, T0) == []


def test_retry_after_and_max_attempts(engine: Engine) -> None:
    enqueue(engine, "digest:x")
    (message,) = due_messages(engine, T0)
    assert mark_failed(engine, message.id, "ratelimited", T0, retry_after=42.5)
    assert stored(engine, "digest:x").next_attempt_at == T0 + timedelta(seconds=42.5)
    (message,) = due_messages(engine, T0 + timedelta(seconds=42.5))
    assert not mark_failed(engine, message.id, "error", T0, max_attempts=2)
    assert stored(engine, "digest:x").gave_up_at == T0
    assert not mark_failed(engine, 424242, "unknown", T0)


def test_long_errors_are_shortened(engine: Engine) -> None:
    enqueue(engine, "nudge:x")
    (message,) = due_messages(engine, T0)
    mark_failed(engine, message.id, "x" * 10_000, T0)
    assert len(stored(engine, "nudge:x").last_error) == 2000


def test_a_send_without_a_recorded_outcome_is_in_doubt(engine: Engine) -> None:
    enqueue(engine, "nudge:crash")
    enqueue(engine, "nudge:ok")
    crash, ok = due_messages(engine, T0)
    mark_sending(engine, crash.id, T0 + timedelta(seconds=1))
    mark_sending(engine, ok.id, T0 + timedelta(seconds=1))
    mark_sent(engine, ok.id, "1.1", "D1", T0 + timedelta(seconds=2))
    # ... the process dies here, before mark_sent(crash) ...

    (doubtful,) = in_doubt(engine)
    assert doubtful.key == "nudge:crash" and doubtful.sending_at == T0 + timedelta(seconds=1)
    assert in_doubt(engine, T0 + timedelta(seconds=30)) == []  # its sender may still be on it
    assert keys(in_doubt(engine, T0 + LEASE)) == ["nudge:crash"]

    # After the lease it is handed out again, marked, so the sender looks before resending.
    (again,) = due_messages(engine, T0 + LEASE)
    assert again.key == "nudge:crash" and again.sending_at == T0 + timedelta(seconds=1)
    assert mark_sent(engine, again.id, "1.0", "D1", T0 + LEASE)  # found it in the channel
    assert in_doubt(engine) == []


def test_failures_clear_the_doubt_unless_it_may_have_been_sent(engine: Engine) -> None:
    enqueue(engine, "nudge:refused")
    enqueue(engine, "nudge:timeout")
    refused, timeout = due_messages(engine, T0)
    for message in (refused, timeout):
        mark_sending(engine, message.id, T0)
    assert mark_failed(engine, refused.id, "not_in_channel", T0)
    assert mark_failed(engine, timeout.id, "read timeout", T0, maybe_sent=True)
    assert keys(in_doubt(engine)) == ["nudge:timeout"]
    retried = {m.key: m for m in due_messages(engine, T0 + timedelta(seconds=2))}
    assert retried["nudge:refused"].sending_at is None
    assert retried["nudge:timeout"].sending_at == T0


def test_release_gives_claims_back(engine: Engine) -> None:
    enqueue(engine, "nudge:a")
    enqueue(engine, "nudge:b")
    _, b = due_messages(engine, T0)
    release_messages(engine, [b.id], T0 + timedelta(seconds=5))
    release_messages(engine, [], T0)
    assert due_messages(engine, T0 + timedelta(seconds=4)) == []
    (again,) = due_messages(engine, T0 + timedelta(seconds=5))
    assert again.key == "nudge:b" and again.attempts == 0


def test_outbox_depth(engine: Engine) -> None:
    assert outbox_depth(engine, T0) == (0, None)
    enqueue(engine, "nudge:old")
    enqueue(engine, "nudge:newer", at=T0 + timedelta(seconds=10))
    # Queued early for 09:00: counted (and aged) from 09:00 on.
    enqueue(engine, "nudge:scheduled", not_before=T0 + timedelta(hours=1))
    assert outbox_depth(engine, T0 + timedelta(seconds=25)) == (2, 25.0)
    old, newer = due_messages(engine, T0 + timedelta(seconds=25))
    assert outbox_depth(engine, T0 + timedelta(seconds=25)) == (2, 25.0)  # being sent: pending
    mark_sent(engine, old.id, "1.0", "D1", T0 + timedelta(seconds=26))
    assert outbox_depth(engine, T0 + timedelta(seconds=30)) == (1, 20.0)
    mark_sent(engine, newer.id, "2.0", "D1", T0 + timedelta(seconds=31))
    assert outbox_depth(engine, T0 + timedelta(minutes=59)) == (0, None)
    assert outbox_depth(engine, T0 + timedelta(hours=1, seconds=3)) == (1, 3.0)


def test_sender_functions_need_aware_times(engine: Engine) -> None:
    naive = datetime(2026, 11, 23, 8, 0)
    enqueue(engine, "nudge:a")
    (message,) = due_messages(engine, T0)
    calls: list[Callable[[], object]] = [
        lambda: due_messages(engine, naive),
        lambda: mark_sending(engine, message.id, naive),
        lambda: mark_sent(engine, message.id, "1.0", "D1", naive),
        lambda: mark_failed(engine, message.id, "x", naive),
        lambda: given_up(engine, naive),
        lambda: outbox_depth(engine, naive),
        lambda: in_doubt(engine, naive),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="naive"):
            call()
