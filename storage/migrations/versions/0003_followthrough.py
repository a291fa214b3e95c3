"""Follow-through: milestone reasons and change logs, the confirm-done time, scheduled job
runs, the outbox of Slack messages, people (time zone, snooze) and the shared API pacing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

As in 0002, columns are added and dropped with plain ``ALTER TABLE`` on both databases (no
batch mode: recreating ``asks`` on SQLite would cascade-delete its children). The new
``milestones`` columns are NOT NULL with server defaults ('' and an empty JSON list), so
existing milestones get them on upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (models may move on; this must not).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "milestones",
        sa.Column("reason", sa.Text(), server_default=sa.text("''"), nullable=False),
    )
    op.add_column(
        "milestones",
        sa.Column("log", JSON, server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column("asks", sa.Column("done_requested_at", TIMESTAMP, nullable=True))

    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("period", sa.String(64), nullable=False),
        sa.Column("claimed_at", TIMESTAMP, nullable=False),
        sa.Column("claimed_by", sa.String(255), nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_job_runs"),
        sa.UniqueConstraint("job", "period", name="uq_job_runs_job_period"),
    )

    op.create_table(
        "slack_outbox",
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
        sa.PrimaryKeyConstraint("id", name="pk_slack_outbox"),
        sa.UniqueConstraint("key", name="uq_slack_outbox_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_slack_outbox_next_attempt_at", "slack_outbox", ["next_attempt_at"])
    op.create_index("ix_slack_outbox_sent_at", "slack_outbox", ["sent_at"])

    op.create_table(
        "people",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("tz", sa.String(64), nullable=True),
        sa.Column("tz_fetched_at", TIMESTAMP, nullable=True),
        sa.Column("snoozed_until", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_people"),
    )

    op.create_table(
        "pace",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("rate_per_minute", sa.Float(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("blocked_until", TIMESTAMP, nullable=True),
        sa.Column("successes_since_429", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_pace"),
    )


def downgrade() -> None:
    op.drop_table("pace")
    op.drop_table("people")
    op.drop_index("ix_slack_outbox_sent_at", table_name="slack_outbox")
    op.drop_index("ix_slack_outbox_next_attempt_at", table_name="slack_outbox")
    op.drop_table("slack_outbox")
    op.drop_table("job_runs")

    op.drop_column("asks", "done_requested_at")
    op.drop_column("milestones", "log")
    op.drop_column("milestones", "reason")
