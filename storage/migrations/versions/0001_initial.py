"""Initial schema: asks, conversations, milestones, history, transcript, processed_keys,
counters.

Revision ID: 0001
Revises:
Create Date: 2025-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (models may move on; this must not).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "asks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(64), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(255), nullable=False),
        sa.Column("category", sa.String(255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("desired_outcome", sa.Text(), nullable=False),
        sa.Column("acceptance_criteria", JSON, nullable=False),
        sa.Column("out_of_scope", JSON, nullable=False),
        sa.Column("environment", JSON, nullable=False),
        sa.Column("services", JSON, nullable=False),
        sa.Column("links", JSON, nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("no_deadline", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.String(8), nullable=True),
        sa.Column("size", sa.String(8), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("submitted_at", TIMESTAMP, nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_asks"),
        sa.UniqueConstraint("team_id", "number", name="uq_asks_team_id_number"),
        sa.UniqueConstraint("team_id", "key", name="uq_asks_team_id_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_asks_team_id", "asks", ["team_id"])
    op.create_index("ix_asks_requester", "asks", ["requester"])

    op.create_table(
        "conversations",
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("thread_ts", sa.String(64), nullable=True),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("pending", sa.String(255), nullable=True),
        sa.Column("asked", JSON, nullable=False),
        sa.Column("skipped", JSON, nullable=False),
        sa.Column("urgency", sa.String(32), nullable=False),
        sa.Column("question_ts", sa.String(64), nullable=True),
        sa.Column("draft_ts", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name="fk_conversations_ask_id_asks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ask_id", name="pk_conversations"),
        sa.UniqueConstraint(
            "team_id", "channel", "thread_ts", name="uq_conversations_team_id_channel_thread_ts"
        ),
    )

    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("done_criterion", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name="fk_milestones_ask_id_asks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_milestones"),
        sa.UniqueConstraint("ask_id", "position", name="uq_milestones_ask_id_position"),
    )

    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name="fk_history_ask_id_asks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_history"),
    )
    op.create_index("ix_history_ask_id", "history", ["ask_id"])

    op.create_table(
        "transcript",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name="fk_transcript_ask_id_asks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transcript"),
    )
    op.create_index("ix_transcript_ask_id", "transcript", ["ask_id"])

    op.create_table(
        "processed_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_processed_keys"),
    )

    op.create_table(
        "counters",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name="pk_counters"),
    )


def downgrade() -> None:
    op.drop_table("counters")
    op.drop_table("processed_keys")
    op.drop_index("ix_transcript_ask_id", table_name="transcript")
    op.drop_table("transcript")
    op.drop_index("ix_history_ask_id", table_name="history")
    op.drop_table("history")
    op.drop_table("milestones")
    op.drop_table("conversations")
    op.drop_index("ix_asks_requester", table_name="asks")
    op.drop_index("ix_asks_team_id", table_name="asks")
    op.drop_table("asks")
