"""PostgreSQL: take a pace token in one statement (``storage.pace.SqlPaceStore.take``).

The function applies ``storage.pace.Bucket.take`` to the key's row inside the server, so the
row lock of a hot bucket (every replica's chat.postMessage takes lock the same row) is held
for microseconds, not across the client's round trips. SQLite keeps the Python version (one
writer at a time anyway). Keep the two in step: tests/storage/test_pace.py runs the same
semantics on memory, SQLite and PostgreSQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PACE_TAKE = """
CREATE OR REPLACE FUNCTION pace_take(
    p_key text, p_now timestamptz, p_default_rate double precision, p_burst double precision
) RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
    b pace%ROWTYPE;
    start_at timestamptz;
    elapsed double precision;
BEGIN
    SELECT * INTO b FROM pace WHERE key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        -- Another process may create it at the same moment: then its row is the one.
        INSERT INTO pace (key, rate_per_minute, tokens, updated_at, blocked_until,
                          successes_since_429)
        VALUES (p_key, p_default_rate, p_burst, p_now, NULL, 0)
        ON CONFLICT (key) DO NOTHING;
        SELECT * INTO b FROM pace WHERE key = p_key FOR UPDATE;
    END IF;
    IF b.rate_per_minute <= 0 THEN
        b.rate_per_minute := p_default_rate;
    END IF;
    IF b.blocked_until IS NOT NULL AND p_now < b.blocked_until THEN
        UPDATE pace SET rate_per_minute = b.rate_per_minute WHERE key = p_key;
        RETURN EXTRACT(EPOCH FROM (b.blocked_until - p_now))::double precision;
    END IF;
    start_at := b.updated_at;
    IF b.blocked_until IS NOT NULL AND b.blocked_until > start_at THEN
        start_at := b.blocked_until;  -- no refill while blocked
    END IF;
    elapsed := GREATEST(EXTRACT(EPOCH FROM (p_now - start_at))::double precision, 0.0);
    b.tokens := LEAST(p_burst, b.tokens + elapsed * b.rate_per_minute / 60.0);
    b.updated_at := GREATEST(b.updated_at, p_now);
    IF b.tokens >= 1.0 - 1e-9 THEN
        UPDATE pace SET rate_per_minute = b.rate_per_minute,
                        tokens = GREATEST(b.tokens - 1.0, 0.0),
                        updated_at = b.updated_at
        WHERE key = p_key;
        RETURN 0.0;
    END IF;
    UPDATE pace SET rate_per_minute = b.rate_per_minute, tokens = b.tokens,
                    updated_at = b.updated_at
    WHERE key = p_key;
    RETURN (1.0 - b.tokens) * 60.0 / b.rate_per_minute;
END
$$;
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(PACE_TAKE)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS pace_take(text, timestamptz, double precision, "
            "double precision)"
        )
