"""Small SQL helpers the storage modules share: the time check, the dialect's
``INSERT ... ON CONFLICT`` and whether it inserted, and a row read into its dataclass."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")


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


def from_row(cls: type[D], row: object, **converted: Any) -> D:
    """A ``cls`` (a dataclass) read from ``row``: each field is the row's attribute of the same
    name, but for those in ``converted`` (the values the caller turned into domain types)."""
    copied = {
        field.name: getattr(row, field.name)
        for field in dataclasses.fields(cls)
        if field.init and field.name not in converted
    }
    return cls(**copied, **converted)
