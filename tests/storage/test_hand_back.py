"""Handing claimed work back when a process shuts down (storage.slack_outbox.hand_back_unsent),
on SQLite and PostgreSQL: claimable again at once, no attempt counted, and nothing already done
is touched. (Deferred commands are handed back by storage.queue.release: tests/storage.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

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
    a, b, c = slack_outbox.due_messages(engine, NOW)
    slack_outbox.mark_sending(engine, a.id, NOW)  # the post of a was stopped before it went out
    slack_outbox.mark_sending(engine, c.id, NOW)
    slack_outbox.mark_sent(engine, c.id, "1.000001", "DUc", NOW)
    later = NOW + timedelta(seconds=5)
    assert slack_outbox.hand_back_unsent(engine, [a.id, b.id, c.id], later) == 2
    again = slack_outbox.due_messages(engine, later)  # well inside the lease
    assert [(m.key, m.sending_at, m.attempts) for m in again] == [("a", None, 0), ("b", None, 0)]
    assert slack_outbox.in_doubt(engine) == []
