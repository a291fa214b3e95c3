"""Deferred work moves to the one queue: commands in ``queue_items`` (kind ``command``,
``bot.commands``) replace the replayed Slack requests of ``slack_jobs``, which is dropped.

A row of ``slack_jobs`` holds a raw Slack request for the old worker to replay through the
Bolt app; it cannot be turned into a typed command (that needs the listener that read it). So
while rows are left the upgrade is refused (``storage.UpgradeRefused``), losing nothing: drain
the workers first (docs/operations.md, "Upgrading"), or delete the rows to give them up.

The downgrade recreates ``slack_jobs`` empty: the commands queued meanwhile are not converted
back either (they stay in ``queue_items`` for a newer version to run).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.errors import UpgradeRefused

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (models may move on; this must not).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    left = op.get_bind().execute(sa.text("SELECT count(*) FROM slack_jobs")).scalar_one()
    if left:
        raise UpgradeRefused(
            f"{left} deferred Slack request(s) in slack_jobs still wait for a worker of the "
            "previous version, and this version cannot run them. Run that version's "
            "`intake-bot worker` until they are done (docs/operations.md, Upgrading), then "
            "upgrade again; to give them up instead: DELETE FROM slack_jobs;"
        )
    op.drop_index("ix_slack_jobs_claimed_at", table_name="slack_jobs")
    op.drop_table("slack_jobs")


def downgrade() -> None:
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
