"""What the requester said in place of a value ("not sure — “whatever you recommend”"), by
field, for the lead to read: ``asks.answer_notes``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Added with a server default, so existing asks get no notes on upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of the column type as of this revision (models may move on; this must not).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column(
        "asks", sa.Column("answer_notes", JSON, server_default=sa.text("'{}'"), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("asks", "answer_notes")
