"""What the assistant keeps in the database: tokens spent per day (the daily budget every
replica shares) and each ask's embedding vector (for similar asks). Each call is its own
short transaction: LLM calls are never made while one is open."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import session_factory
from storage.models import AskEmbeddingRow, LlmDayRow

_DAYS: Table = LlmDayRow.__table__  # type: ignore[assignment]
_VECTORS: Table = AskEmbeddingRow.__table__  # type: ignore[assignment]


def _insert(engine: Engine, table: Table) -> Any:
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class SqlTokenLedger:
    """``intake.ports.TokenLedger`` on the project's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    def spent(self, day: date) -> int:
        with self.sessions() as session:
            tokens = session.scalar(select(LlmDayRow.tokens).where(LlmDayRow.day == day))
        return int(tokens or 0)

    def add(self, day: date, tokens: int) -> None:
        if tokens <= 0:
            return
        statement = _insert(self.engine, _DAYS).values(day=day, tokens=tokens)
        statement = statement.on_conflict_do_update(
            index_elements=["day"], set_={"tokens": _DAYS.c.tokens + tokens}
        )
        with self.sessions() as session, session.begin():
            session.execute(statement)


class SqlVectorStore:
    """``intake.ports.VectorStore``: one embedding per ask, with the text it was made from."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    def get_many(self, ask_ids: Iterable[int], model: str) -> dict[int, tuple[str, list[float]]]:
        ids = list(ask_ids)
        if not ids:
            return {}
        with self.sessions() as session:
            rows = session.scalars(
                select(AskEmbeddingRow).where(
                    AskEmbeddingRow.ask_id.in_(ids), AskEmbeddingRow.model == model
                )
            ).all()
        return {row.ask_id: (row.source, list(row.vector)) for row in rows}

    def put(self, ask_id: int, model: str, source: str, vector: Sequence[float]) -> None:
        values = {"ask_id": ask_id, "model": model, "source": source, "vector": list(vector)}
        statement = _insert(self.engine, _VECTORS).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["ask_id"],
            set_={"model": model, "source": source, "vector": list(vector)},
        )
        with self.sessions() as session, session.begin():
            session.execute(statement)
