"""Queuing and reading queued Slack messages (``slack.message`` items) for the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from storage import queue
from storage.db import transaction
from storage.models import JobRunRow, QueueItemRow
from storage.slack_outbox import KIND, enqueue_message
from tests.fakes.slack_api import FakeSlack

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


def queue_nudges(
    engine: Engine, fake: FakeSlack, owners: list[str], *, zone: str, at: datetime, period: str
) -> None:
    """One weekly nudge DM queued for each owner (a Slack user in ``zone``), as the
    follow-through queues them."""
    with transaction(engine) as session:
        for owner in owners:
            fake.add_user(owner, owner.lower(), tz=zone)
            enqueue_message(
                session,
                key=f"nudge:T0001:{owner}:{period}",
                kind="nudge",
                team_id="T0001",
                channel=owner,
                payload={"text": f"Your milestones this week, {owner}", "tz": zone},
                at=at,
            )


def claim(
    engine: Engine, now: datetime, limit: int = 50, lease: timedelta = queue.LEASE
) -> list[queue.Item]:
    """What a runner would claim of the queued messages now."""
    return queue.claim(engine, now, limit, kinds=[KIND], lease=lease)


def keys(items: list[queue.Item]) -> list[str | None]:
    return [item.key for item in items]


def stored(engine: Engine, key: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(
            select(QueueItemRow.__table__).where(QueueItemRow.key == key)
        ).one()


def count_rows(engine: Engine, model: type[JobRunRow] | type[QueueItemRow]) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)
