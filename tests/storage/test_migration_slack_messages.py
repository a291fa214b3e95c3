"""Migration 0013: the rows of ``slack_outbox`` become ``slack.message`` items of the one queue
(pending ones still pending, in doubt still in doubt, given up still reported, sent ones done
with their ts), and the runner's tools read them as if they had been queued there. On SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, Table, inspect

import storage
from storage import queue, slack_outbox
from storage.db import transaction

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _row(key: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "key": key,
        "kind": key.split(":")[0],
        "team_id": "T1",
        "channel": "U1",
        "thread_ts": None,
        "payload": {"text": key, "tz": "UTC"},
        "lane": "bulk",
        "created_at": T0,
        "not_before": None,
        "attempts": 0,
        "next_attempt_at": T0,
        "sending_at": None,
        "sent_at": None,
        "ts": None,
        "channel_id_sent": None,
        "last_error": None,
        "gave_up_at": None,
    }
    row.update(values)
    return row


def test_outbox_rows_move_into_the_queue(empty_database_url: str) -> None:
    engine = storage.make_engine(empty_database_url)
    try:
        storage.upgrade(engine, "0012")
        monday = T0 + timedelta(hours=1)
        rows = [
            _row("nudge:T1:U1:w", not_before=monday, next_attempt_at=monday),
            _row("ack:T1:1", lane="interactive", channel="C1", thread_ts="1.5"),
            _row("nudge:T1:U2:w", attempts=2, sending_at=T0, next_attempt_at=T0),  # in doubt
            _row("nudge:T1:U3:w", attempts=8, last_error="channel_not_found", gave_up_at=T0),
            _row("digest:T1:C9:w", sent_at=T0, ts="9.1", channel_id_sent="C9", sending_at=T0),
            _row("digest:T1:C9:w:reply:0", channel="C9", thread_ts="9.1"),
        ]
        with engine.begin() as connection:
            old = Table("slack_outbox", MetaData(), autoload_with=connection)  # as 0003 made it
            connection.execute(old.insert(), rows)

        storage.upgrade(engine)

        assert "slack_outbox" not in inspect(engine).get_table_names()
        later = monday + timedelta(minutes=1)
        claimed = {item.key: item for item in queue.claim(engine, later, 10)}
        assert list(claimed) == [
            "ack:T1:1",
            "nudge:T1:U1:w",
            "nudge:T1:U2:w",
            "digest:T1:C9:w:reply:0",
        ]
        ack = claimed["ack:T1:1"]
        assert (ack.kind, ack.team_id, ack.in_doubt) == (slack_outbox.KIND, "T1", False)
        assert ack.payload == {
            "what": "ack",
            "channel": "C1",
            "thread_ts": "1.5",
            "message": {"text": "ack:T1:1", "tz": "UTC"},
            "lane": "interactive",
            "due": "2026-11-23T08:00:00.000000+00:00",
        }
        doubt = claimed["nudge:T1:U2:w"]
        assert doubt.in_doubt and doubt.attempts == 4  # 2 failed + the one that died + this
        assert claimed["nudge:T1:U1:w"].payload["due"] == "2026-11-23T09:00:00.000000+00:00"
        (gone,) = slack_outbox.given_up(engine, T0)
        assert (gone.key, gone.last_error) == ("nudge:T1:U3:w", "channel_not_found")
        with transaction(engine) as session:
            assert queue.result_of(session, "digest:T1:C9:w") == {"ts": "9.1", "channel": "C9"}
            assert not slack_outbox.enqueue_message(  # its key stays taken
                session, key="digest:T1:C9:w", kind="digest", team_id="T1", channel="C9",
                payload={}, at=later,
            )  # fmt: skip

        storage.downgrade(engine, "0012")  # empty again: queued messages do not go back
        assert "slack_outbox" in inspect(engine).get_table_names()
        assert queue.pending(engine) == {}
        storage.upgrade(engine)
    finally:
        engine.dispose()
