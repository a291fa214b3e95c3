"""Queuing and reading Slack outbox messages for the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from storage.db import transaction
from storage.models import JobRunRow, SlackOutboxRow
from storage.slack_outbox import OutgoingMessage, enqueue_message

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Boom(Exception):
    pass


def enqueue(engine: Engine, key: str, *, at: datetime = T0, **options: Any) -> bool:
    arguments: dict[str, Any] = {
        "kind": key.split(":")[0],
        "team_id": "T1",
        "channel": "U123",
        "payload": {"text": f"message {key}"},
    }
    arguments.update(options)
    with transaction(engine) as session:
        return enqueue_message(session, key=key, at=at, **arguments)


def keys(messages: list[OutgoingMessage]) -> list[str]:
    return [message.key for message in messages]


def stored(engine: Engine, key: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(
            select(SlackOutboxRow.__table__).where(SlackOutboxRow.key == key)
        ).one()


def count_rows(engine: Engine, model: type[JobRunRow] | type[SlackOutboxRow]) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)
