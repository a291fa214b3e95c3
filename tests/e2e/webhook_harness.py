"""What the webhook tests share: a controllable clock, asks whose events are queued the way
the service queues them, and one runner round waited for (``run_once``)."""

from __future__ import annotations

import socket
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from bot.runner import Runner
from bot.webhooks import WEBHOOK
from intake.conversation import Thread
from intake.events import status_changed
from intake.ticket import HistoryEntry, Status
from storage import SqlUnitOfWorkFactory, queue
from storage.models import QueueItemRow
from tests.storage.samples import minimal_conversation

START = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- queuing events as the service does ---------------------------------------------------------


class Asks:
    """Asks on the test database, and their events queued the way the service queues them: a
    status change saved together with its event, in one unit of work."""

    def __init__(self, uow_factory: SqlUnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.queued: dict[str, list[dict[str, Any]]] = defaultdict(list)  # by ask key
        self.ids: dict[str, int] = {}

    def create(self, key: str) -> str:
        conversation = minimal_conversation(
            key=key, status=Status.SUBMITTED, thread=Thread("C1", f"{len(self.ids)}.0")
        )
        with self.uow_factory() as uow:
            uow.asks.add(conversation)
            uow.commit()
        assert conversation.ticket.id is not None
        self.ids[key] = conversation.ticket.id
        return key

    def change(self, key: str, note: str = "", count: int = 1) -> list[dict[str, Any]]:
        events = []
        with self.uow_factory() as uow:
            conversation = uow.asks.get(self.ids[key])
            assert conversation is not None
            ticket = conversation.ticket
            for n in range(count):
                entry = HistoryEntry(
                    at=self.clock.now(),
                    actor="U0LEE",
                    from_status=ticket.status,
                    to_status=ticket.status,
                    note=f"{note or key} #{len(self.queued[key]) + n + 1}",
                )
                ticket.history.append(entry)
                events.append(status_changed(ticket, entry))
            uow.asks.save(conversation)
            for event in events:
                uow.enqueue_event(self.ids[key], event, self.clock.now())
            uow.commit()
        self.queued[key].extend(events)
        return events

    def order(self) -> dict[str, list[str]]:
        return {key: [e["id"] for e in events] for key, events in self.queued.items()}

    def every_event(self) -> dict[str, dict[str, Any]]:
        return {e["id"]: e for events in self.queued.values() for e in events}


def delivered_count(engine: Engine) -> int:
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count())
            .select_from(QueueItemRow)
            .where(QueueItemRow.kind == WEBHOOK, QueueItemRow.done_at.is_not(None))
        )
    return int(count or 0)


def pending_count(engine: Engine) -> int:
    return queue.pending(engine).get(WEBHOOK, (0, None))[0]


def run_once(runner: Runner) -> int:
    """What the runner's loop does in one round, waited for: claim what is due now and run
    it, again until nothing is due. How many events were delivered."""
    before = delivered_count(runner.engine)
    while runner.run_due():
        deadline = time.monotonic() + 30
        while runner.holding() and time.monotonic() < deadline:
            time.sleep(0.002)
        assert runner.holding() == 0, "a delivery did not end"
    return delivered_count(runner.engine) - before


def interleaved(asks: Asks) -> None:
    """Events of two asks, queued in alternation (and two at once in one transaction)."""
    asks.create("PLAT-1")
    asks.create("PLAT-2")
    asks.change("PLAT-1")
    asks.change("PLAT-2")
    asks.change("PLAT-1")
    asks.change("PLAT-2", count=2)
    asks.change("PLAT-1")
    asks.change("PLAT-2")


def items(engine: Engine) -> dict[str, Any]:
    """The webhook items by event id."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(QueueItemRow.__table__).where(QueueItemRow.kind == WEBHOOK)
        ).all()
    return {row.payload["id"]: row for row in rows}
