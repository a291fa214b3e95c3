"""The milestone plan's warning: why a draft's plan was merged (a deadline too tight for it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

A plain ``ALTER TABLE`` with a server default (see 0004): existing asks get no warning.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "asks", sa.Column("plan_warning", sa.Text(), server_default=sa.text("''"), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("asks", "plan_warning")
