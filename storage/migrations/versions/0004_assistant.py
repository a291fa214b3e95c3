"""The assistant: risks, the lead's rationale, watchers and LLM usage per ask; embeddings for
similar asks; LLM tokens per day for the shared daily budget.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Columns are added with plain ``ALTER TABLE`` (see 0002) and server defaults, so existing asks
get an empty list, an empty rationale and no usage on upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (models may move on; this must not).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("asks", sa.Column("risks", JSON, server_default=sa.text("'[]'"), nullable=False))
    op.add_column(
        "asks", sa.Column("rationale", sa.Text(), server_default=sa.text("''"), nullable=False)
    )
    op.add_column(
        "asks", sa.Column("watchers", JSON, server_default=sa.text("'[]'"), nullable=False)
    )
    op.add_column("asks", sa.Column("usage", JSON, server_default=sa.text("'{}'"), nullable=False))
    op.add_column(
        "conversations",
        sa.Column("dismissed", JSON, server_default=sa.text("'[]'"), nullable=False),
    )

    op.create_table(
        "ask_embeddings",
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("vector", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name="fk_ask_embeddings_ask_id_asks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ask_id", name="pk_ask_embeddings"),
    )
    op.create_table(
        "llm_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_llm_days"),
    )


def downgrade() -> None:
    op.drop_table("llm_days")
    op.drop_table("ask_embeddings")
    op.drop_column("conversations", "dismissed")
    op.drop_column("asks", "usage")
    op.drop_column("asks", "watchers")
    op.drop_column("asks", "rationale")
    op.drop_column("asks", "risks")
