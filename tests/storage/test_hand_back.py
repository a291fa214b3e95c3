"""Handing claimed Slack messages back when a process shuts down (storage.queue.release), on
SQLite and PostgreSQL: claimable again at once, no attempt counted, and nothing already done
is touched. (Deferred commands are handed back the same way: tests/storage/test_queue.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage import queue as work
from storage import slack_outbox
from storage.db import transaction

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def queue(engine: Engine, keys: list[str]) -> None:
    with transaction(engine) as session:
        for key in keys:
            slack_outbox.enqueue_message(
                session,
                key=key,
                kind="nudge",
                team_id="T1",
                channel=f"U{key}",
                payload={"text": key},
                at=NOW,
            )


def test_handed_back_messages_are_due_at_once_and_not_in_doubt(engine: Engine) -> None:
    queue(engine, ["a", "b", "c"])
    a, b, c = work.claim(engine, NOW, 10, kinds=[slack_outbox.KIND])
    work.done(engine, c.id, NOW, {"ts": "1.000001", "channel": "DUc"})
    later = NOW + timedelta(seconds=5)
    assert work.release(engine, [a.id, b.id, c.id], later) == 2  # the sent one is left alone
    again = work.claim(engine, later, 10, kinds=[slack_outbox.KIND])  # well inside the lease
    assert [(m.key, m.in_doubt, m.attempts) for m in again] == [("a", False, 1), ("b", False, 1)]
