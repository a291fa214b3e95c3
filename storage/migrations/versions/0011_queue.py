"""One durable queue for everything that runs later (``storage.queue``): Slack messages,
webhook deliveries, deferred commands and tracker syncs, each a ``kind`` of item.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

The older per-purpose queues move into it in the revisions that follow.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (models may move on; this must not).
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NULLABLE_JSON = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def upgrade() -> None:
    op.create_table(
        "queue_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=True),
        sa.Column("order_key", sa.String(255), nullable=True),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("run_at", TIMESTAMP, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("done_at", TIMESTAMP, nullable=True),
        sa.Column("gave_up_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", NULLABLE_JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_queue_items"),
        sa.UniqueConstraint("key", name="uq_queue_items_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_queue_items_run_at", "queue_items", ["run_at"])
    op.create_index("ix_queue_items_order_key", "queue_items", ["order_key"])
    op.create_index("ix_queue_items_kind_done_at", "queue_items", ["kind", "done_at"])


def downgrade() -> None:
    op.drop_index("ix_queue_items_kind_done_at", table_name="queue_items")
    op.drop_index("ix_queue_items_order_key", table_name="queue_items")
    op.drop_index("ix_queue_items_run_at", table_name="queue_items")
    op.drop_table("queue_items")
