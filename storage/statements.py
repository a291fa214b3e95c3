"""Small SQL helpers the storage modules share: the time check, the dialect's
``INSERT ... ON CONFLICT`` and whether it inserted."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def require_aware(at: datetime, name: str = "time") -> None:
    """ValueError for a naive ``at``: storage keeps timezone-aware times only."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive {name} {at!r}: storage needs timezone-aware times")


def dialect_insert(session: Session, table: Table) -> Any:
    """The session's dialect's ``INSERT`` for ``table`` (it has ``on_conflict_do_*``)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"storage supports PostgreSQL and SQLite, not {dialect}")


def inserted(session: Session, statement: Any) -> bool:
    """Run an ``INSERT ... ON CONFLICT DO NOTHING``; whether it inserted the row."""
    result = cast(
        CursorResult[Any],
        session.execute(statement.execution_options(preserve_rowcount=True)),
    )
    return result.rowcount == 1
