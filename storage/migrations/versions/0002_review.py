"""Review flow: an ask's owner and decision time, the review card and what leads last saw,
the audit trail, and the webhook outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-24

Columns are added and dropped with plain ``ALTER TABLE`` on both databases (SQLite 3.35+
drops columns natively). Batch mode is avoided on purpose: it would recreate ``asks`` on
SQLite, and dropping the old table with foreign keys on deletes every conversation,
milestone and history row through ``ON DELETE CASCADE``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (models may move on; this must not).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("asks", sa.Column("owner", sa.String(255), nullable=True))
    op.add_column("asks", sa.Column("decided_at", TIMESTAMP, nullable=True))

    op.add_column("conversations", sa.Column("card_channel", sa.String(64), nullable=True))
    op.add_column("conversations", sa.Column("card_ts", sa.String(64), nullable=True))
    op.add_column("conversations", sa.Column("seen", JSON, nullable=True))

    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name="fk_audit_ask_id_asks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    op.create_index("ix_audit_ask_id", "audit", ["ask_id"])

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
        # Ids give the delivery order: never hand one out again (as for asks).
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_outbox_next_attempt_at", "webhook_outbox", ["next_attempt_at"])
    op.create_index("ix_webhook_outbox_ask_id", "webhook_outbox", ["ask_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_outbox_ask_id", table_name="webhook_outbox")
    op.drop_index("ix_webhook_outbox_next_attempt_at", table_name="webhook_outbox")
    op.drop_table("webhook_outbox")
    op.drop_index("ix_audit_ask_id", table_name="audit")
    op.drop_table("audit")

    op.drop_column("conversations", "seen")
    op.drop_column("conversations", "card_ts")
    op.drop_column("conversations", "card_channel")

    op.drop_column("asks", "decided_at")
    op.drop_column("asks", "owner")
