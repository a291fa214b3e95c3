"""Queued Slack messages move from ``slack_outbox`` into the one queue (``queue_items``, kind
``slack.message``), and ``slack_outbox`` is dropped.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Every row moves, keeping its key, so a message is never queued twice and a sent one can still
be found by key: unsent rows stay pending (due at ``next_attempt_at``; one whose send started
and was never recorded stays in doubt: ``started_at``), given-up rows stay given up, and sent
rows become done items whose result is ``{"ts", "channel"}``. The downgrade recreates an
empty ``slack_outbox`` and deletes the ``slack.message`` items: queued messages are lost going
down (the webhook and other kinds are left alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (models may move on; this must not).
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NULLABLE_JSON = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
KIND = "slack.message"
MAX_ATTEMPTS = 8
BATCH = 500


def _old_columns() -> tuple[sa.Column[Any], ...]:
    """The columns of ``slack_outbox`` as 0003 made them (new objects for each table)."""
    return (
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("thread_ts", sa.String(64), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("lane", sa.String(16), server_default=sa.text("'bulk'"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("not_before", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("sending_at", TIMESTAMP, nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("ts", sa.String(64), nullable=True),
        sa.Column("channel_id_sent", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("gave_up_at", TIMESTAMP, nullable=True),
    )


def _old_table() -> sa.Table:
    return sa.Table("slack_outbox", sa.MetaData(), *_old_columns())


def _queue_table() -> sa.Table:
    return sa.Table(
        "queue_items",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(64)),
        sa.Column("key", sa.String(255)),
        sa.Column("order_key", sa.String(255)),
        sa.Column("team_id", sa.String(64)),
        sa.Column("payload", JSON),
        sa.Column("priority", sa.Integer()),
        sa.Column("created_at", TIMESTAMP),
        sa.Column("run_at", TIMESTAMP),
        sa.Column("attempts", sa.Integer()),
        sa.Column("max_attempts", sa.Integer()),
        sa.Column("started_at", TIMESTAMP),
        sa.Column("done_at", TIMESTAMP),
        sa.Column("gave_up_at", TIMESTAMP),
        sa.Column("last_error", sa.Text()),
        sa.Column("result", NULLABLE_JSON),
    )


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back the stored UTC time without its offset."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _item(row: Any) -> dict[str, Any]:
    """The queue item of one ``slack_outbox`` row (as ``storage.slack_outbox`` queues them)."""
    created = _utc(row.created_at)
    not_before = _utc(row.not_before)
    assert created is not None
    due = max(created, not_before) if not_before is not None else created
    sent = row.sent_at is not None
    in_doubt = not sent and row.sending_at is not None and row.ts is None
    reply = row.key.rpartition(":reply:")
    return {
        "kind": KIND,
        "key": row.key,
        # A digest's replies go out one at a time, in order.
        "order_key": f"{reply[0]}:replies" if reply[1] else None,
        "team_id": row.team_id,
        "payload": {
            "what": row.kind,
            "channel": row.channel,
            "thread_ts": row.thread_ts,
            "message": row.payload,
            "lane": row.lane,
            "due": due.isoformat(timespec="microseconds"),
        },
        "priority": 10 if row.lane == "interactive" else 0,
        "created_at": row.created_at,
        "run_at": row.sent_at if sent else row.next_attempt_at,
        # The queue counts an attempt when it starts; the outbox when it failed.
        "attempts": row.attempts + (1 if in_doubt else 0),
        "max_attempts": MAX_ATTEMPTS,
        "started_at": row.sending_at if in_doubt else None,
        "done_at": row.sent_at,
        "gave_up_at": None if sent else row.gave_up_at,
        "last_error": row.last_error,
        "result": {"ts": row.ts, "channel": row.channel_id_sent or row.channel} if sent else None,
    }


def upgrade() -> None:
    connection = op.get_bind()
    old, items = _old_table(), _queue_table()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(old).where(old.c.id > last).order_by(old.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(items.insert(), [_item(row) for row in rows])
        last = rows[-1].id
    op.drop_index("ix_slack_outbox_sent_at", table_name="slack_outbox")
    op.drop_index("ix_slack_outbox_next_attempt_at", table_name="slack_outbox")
    op.drop_table("slack_outbox")


def downgrade() -> None:
    op.create_table(
        "slack_outbox",
        *_old_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_slack_outbox"),
        sa.UniqueConstraint("key", name="uq_slack_outbox_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_slack_outbox_next_attempt_at", "slack_outbox", ["next_attempt_at"])
    op.create_index("ix_slack_outbox_sent_at", "slack_outbox", ["sent_at"])
    items = _queue_table()
    op.get_bind().execute(items.delete().where(items.c.kind == KIND))
