"""Webhook deliveries move onto the durable queue: the events of ``webhook_outbox`` become
``webhook`` items of ``queue_items`` and the outbox table goes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

Each event keeps its order (ids are taken in outbox order), its failed attempts, the time of
its next attempt and its last error: key ``webhook:<event id>``, order key
``webhook:ask:<ask id>``, the ask's workspace, never given up. Delivered events become done
items. The downgrade moves the ``webhook`` items back the same way (those of asks since
deleted are dropped, as the outbox's cascade would have).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of 0002 (models may move on; this must not).
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

PREFIX = "webhook:"
ASK_PREFIX = "webhook:ask:"


def upgrade() -> None:
    op.execute(
        sa.text(
            "INSERT INTO queue_items (kind, key, order_key, team_id, payload, priority,"
            " created_at, run_at, attempts, max_attempts, done_at, last_error)"
            f" SELECT 'webhook', '{PREFIX}' || o.event_id,"
            f" '{ASK_PREFIX}' || CAST(o.ask_id AS TEXT),"
            " (SELECT a.team_id FROM asks a WHERE a.id = o.ask_id), o.payload, 0,"
            " o.created_at, o.next_attempt_at, o.attempts, NULL, o.delivered_at, o.last_error"
            " FROM webhook_outbox o ORDER BY o.id"
        )
    )
    op.drop_index("ix_webhook_outbox_ask_id", table_name="webhook_outbox")
    op.drop_index("ix_webhook_outbox_next_attempt_at", table_name="webhook_outbox")
    op.drop_table("webhook_outbox")


def downgrade() -> None:
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name="fk_webhook_outbox_ask_id_asks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_outbox"),
        sa.UniqueConstraint("event_id", name="uq_webhook_outbox_event_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_outbox_next_attempt_at", "webhook_outbox", ["next_attempt_at"])
    op.create_index("ix_webhook_outbox_ask_id", "webhook_outbox", ["ask_id"])
    ask_id = f"CAST(substr(q.order_key, {len(ASK_PREFIX) + 1}) AS INTEGER)"
    op.execute(
        sa.text(
            "INSERT INTO webhook_outbox (ask_id, event_id, payload, created_at, attempts,"
            " next_attempt_at, delivered_at, last_error)"
            f" SELECT {ask_id}, substr(q.key, {len(PREFIX) + 1}), q.payload, q.created_at,"
            " q.attempts, q.run_at, q.done_at, q.last_error"
            " FROM queue_items q WHERE q.kind = 'webhook'"
            f" AND EXISTS (SELECT 1 FROM asks a WHERE a.id = {ask_id}) ORDER BY q.id"
        )
    )
    op.execute(sa.text("DELETE FROM queue_items WHERE kind = 'webhook'"))
