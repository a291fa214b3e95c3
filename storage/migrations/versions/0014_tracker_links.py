"""Tracker links: the GitHub or Jira issue an accepted ask became, and its milestones'
sub-items, each with the idempotency key written before the tracker is called.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

A new table; the downgrade drops it (the links are lost; the issues stay in the tracker and
a later upgrade finds them again by their keys when the asks next change).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tracker_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("suffix", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("tracker", sa.String(length=16), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("issue_key", sa.String(length=128), nullable=False),
        sa.Column("ref_key", sa.String(length=64), nullable=True),
        sa.Column("ref_id", sa.String(length=64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("linked_at", TIMESTAMP, nullable=True),
        sa.Column("announced_at", TIMESTAMP, nullable=True),
        sa.Column("refused", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ask_id"],
            ["asks.id"],
            name="fk_tracker_links_ask_id_asks",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tracker_links"),
        sa.UniqueConstraint("ask_id", "suffix", name="uq_tracker_links_ask_id_suffix"),
        sa.UniqueConstraint("issue_key", name="uq_tracker_links_issue_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tracker_links_team_id", "tracker_links", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_tracker_links_team_id", table_name="tracker_links")
    op.drop_table("tracker_links")
