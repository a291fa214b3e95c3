"""Deferred work: Slack requests acknowledged by ``serve`` that wait for a worker
(``INTAKE_DEFER_WORK``, ``storage.jobs``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (models may move on; this must not).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slack_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_jobs"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_slack_jobs_claimed_at", "slack_jobs", ["claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_jobs_claimed_at", table_name="slack_jobs")
    op.drop_table("slack_jobs")
