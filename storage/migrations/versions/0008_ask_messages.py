"""The registry of Slack messages that show an ask (``ask_messages``, ``storage.ask_messages``),
so every one of them is re-rendered when the ask changes. Review cards already posted
(``conversations.card_channel``/``card_ts``) are entered as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (models may move on; this must not).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ask_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("viewer", sa.String(255), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("shown", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name="fk_ask_messages_ask_id_asks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ask_messages"),
        sa.UniqueConstraint("ask_id", "channel", "ts", name="uq_ask_messages_ask_id_channel_ts"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ask_messages_channel_ts", "ask_messages", ["channel", "ts"])
    # The review cards posted before the registry existed.
    op.execute(
        """
        INSERT INTO ask_messages (team_id, ask_id, channel, ts, kind, viewer, created_at)
        SELECT c.team_id, c.ask_id, c.card_channel, c.card_ts, 'review_card', NULL,
               COALESCE(a.submitted_at, a.updated_at)
        FROM conversations c JOIN asks a ON a.id = c.ask_id
        WHERE c.card_channel IS NOT NULL AND c.card_ts IS NOT NULL
        """
    )


def downgrade() -> None:
    op.drop_index("ix_ask_messages_channel_ts", table_name="ask_messages")
    op.drop_table("ask_messages")
