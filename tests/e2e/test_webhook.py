"""Webhook delivery end to end: events queued by units of work on a real database (SQLite and
PostgreSQL), sent by ``bot.webhooks.WebhookSender`` over HTTP to a receiver on 127.0.0.1 that
checks every signature. Time is a controllable clock: backoff never sleeps."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.webhooks import WebhookSender, encode
from intake.conversation import Thread
from intake.events import status_changed
from intake.ticket import HistoryEntry, Status
from storage import SqlUnitOfWorkFactory
from storage.models import OutboxRow
from storage.outbox import pending_count
from tests.fakes.webhook_receiver import SECRET, Received, Receiver
from tests.storage.samples import minimal_conversation

START = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


# -- the receiver -------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


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


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def asks(uow_factory: SqlUnitOfWorkFactory, clock: Clock) -> Asks:
    return Asks(uow_factory, clock)


def sender(engine: Engine, url: str, clock: Clock, **kwargs: Any) -> WebhookSender:
    kwargs.setdefault("timeout", 5.0)
    return WebhookSender(engine, url, SECRET, clock=clock, **kwargs)


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


def outbox_rows(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        rows = connection.execute(select(OutboxRow.__table__)).all()
    return {row.event_id: row for row in rows}


# -- the tests ----------------------------------------------------------------------------------


def test_every_event_arrives_once_in_order_and_signed(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver
) -> None:
    interleaved(asks)
    webhooks = sender(engine, receiver.url, clock)
    assert webhooks.run_once() == 7
    assert webhooks.run_once() == 0  # nothing left

    assert receiver.by_ask() == asks.order()
    assert sorted(receiver.accepted_ids()) == sorted(asks.every_event())
    assert len(receiver.requests) == 7  # each once, no retries
    queued = asks.every_event()
    for request in receiver.requests:
        assert request.signed, request.event_id
        assert request.content_type == "application/json"
        assert request.timestamp == str(int(clock.now().timestamp()))
        assert request.payload == queued[request.event_id]  # the event, whole
        assert request.event_id == request.payload["id"]
        assert request.body == encode(request.payload)  # compact, keys sorted
        assert request.payload["type"] == "ask.status_changed"
        assert request.payload["ask"]["id"] == request.ask
    assert pending_count(engine) == 0
    assert all(row.delivered_at == clock.now() for row in outbox_rows(engine).values())


def test_a_tampered_body_would_not_verify(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver
) -> None:
    asks.create("PLAT-1")
    asks.change("PLAT-1")
    assert sender(engine, receiver.url, clock).run_once() == 1
    (request,) = receiver.requests
    assert request.signed
    tampered = Received(**{**request.__dict__, "body": request.body.replace(b"PLAT-1", b"PLAT-9")})
    assert not tampered.signed
    assert not Received(**{**request.__dict__, "timestamp": "1"}).signed
    assert request.signature.startswith("v1=")


def test_errors_are_retried_after_backoff_until_the_receiver_takes_them(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver
) -> None:
    interleaved(asks)
    receiver.answer = lambda _: 500
    webhooks = sender(engine, receiver.url, clock)

    # Three failing rounds: one attempt per ask each time (the head of its queue), and no
    # attempt at all before the backoff (2 s, then 4 s, then 8 s) has passed.
    for wait in (2, 4, 8):
        assert webhooks.run_once() == 0
        attempts = len(receiver.requests)
        assert webhooks.run_once() == 0
        clock.advance(wait - 0.001)
        assert webhooks.run_once() == 0
        assert len(receiver.requests) == attempts  # still backing off
        clock.advance(0.001)
    assert [r.status for r in receiver.requests] == [500] * 6
    assert {r.event_id for r in receiver.requests} == {
        asks.order()["PLAT-1"][0],
        asks.order()["PLAT-2"][0],
    }
    rows = outbox_rows(engine)
    head = rows[asks.order()["PLAT-1"][0]]
    assert head.attempts == 3 and head.last_error == "HTTP 500 Internal Server Error"

    receiver.answer = lambda _: 200  # back
    assert webhooks.run_once() == 7
    assert receiver.by_ask() == asks.order()  # each once, in order
    assert sorted(receiver.accepted_ids()) == sorted(asks.every_event())
    assert pending_count(engine) == 0


def test_a_receiver_that_is_down_gets_everything_when_it_comes_back(
    engine: Engine, asks: Asks, clock: Clock
) -> None:
    interleaved(asks)
    port = free_port()  # nothing listens here yet
    webhooks = sender(engine, f"http://127.0.0.1:{port}/hooks", clock)
    assert webhooks.run_once() == 0
    clock.advance(2)
    assert webhooks.run_once() == 0
    errors = {row.last_error for row in outbox_rows(engine).values() if row.attempts}
    assert len(errors) == 1 and errors.pop().startswith("connection failed")

    receiver = Receiver(port)
    try:
        assert webhooks.run_once() == 0  # backing off: 4 s after the second failure
        assert receiver.requests == []
        clock.advance(4)
        assert webhooks.run_once() == 7
        assert receiver.by_ask() == asks.order()
        assert len(receiver.requests) == 7
        assert all(request.signed for request in receiver.requests)
    finally:
        receiver.close()


def test_a_later_event_waits_while_an_earlier_one_keeps_failing(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver
) -> None:
    interleaved(asks)
    stuck = asks.order()["PLAT-1"][0]
    receiver.answer = lambda r: 500 if r.event_id == stuck else 200
    webhooks = sender(engine, receiver.url, clock)

    assert webhooks.run_once() == 4  # all of PLAT-2; nothing of PLAT-1
    for _ in range(12):  # about 45 minutes of retries
        clock.advance(600)
        assert webhooks.run_once() == 0
    assert receiver.by_ask() == {"PLAT-2": asks.order()["PLAT-2"]}
    assert {r.event_id for r in receiver.requests if r.ask == "PLAT-1"} == {stuck}
    assert outbox_rows(engine)[stuck].attempts == 13
    assert pending_count(engine) == 3

    asks.change("PLAT-2")  # other asks keep flowing meanwhile
    assert webhooks.run_once() == 1

    receiver.answer = lambda _: 200
    clock.advance(600)
    assert webhooks.run_once() == 3
    assert receiver.by_ask() == asks.order()


@pytest.mark.parametrize(
    ("status", "taken"), [(200, True), (202, True), (204, True), (302, False), (404, False)]
)
def test_only_2xx_counts_as_delivered(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver, status: int, taken: bool
) -> None:
    asks.create("PLAT-1")
    asks.change("PLAT-1")
    receiver.answer = lambda _: status
    assert sender(engine, receiver.url, clock).run_once() == (1 if taken else 0)
    assert len(receiver.requests) == 1  # a redirect is not followed
    assert pending_count(engine) == (0 if taken else 1)


def test_a_timeout_is_a_failure_and_the_retry_carries_the_same_event_id(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver
) -> None:
    asks.create("PLAT-1")
    (event,) = asks.change("PLAT-1")
    receiver.delay = 1.0
    webhooks = sender(engine, receiver.url, clock, timeout=0.2)
    assert webhooks.run_once() == 0
    assert outbox_rows(engine)[event["id"]].last_error == "timed out after 0.2 s"

    receiver.delay = 0
    clock.advance(2)
    assert webhooks.run_once() == 1
    # The receiver may have taken the slow one after all: it de-duplicates on the event id.
    assert [r.event_id for r in receiver.requests] == [event["id"], event["id"]]


def test_two_senders_at_once_deliver_each_event_once(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver
) -> None:
    for n in range(1, 6):
        asks.create(f"PLAT-{n}")
    for round_ in range(4):
        for n in range(1, 6):
            asks.change(f"PLAT-{n}", note=f"r{round_}")
    receiver.delay = 0.005
    senders = [sender(engine, receiver.url, clock, batch_size=2) for _ in range(2)]
    delivered: list[int] = []
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(webhooks: WebhookSender) -> None:
        try:
            barrier.wait(timeout=30)
            deadline = time.monotonic() + 60
            while pending_count(engine) and time.monotonic() < deadline:
                delivered.append(webhooks.run_once())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(webhooks,)) for webhooks in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert errors == []
    assert sum(delivered) == 20
    assert len(receiver.requests) == 20  # nothing sent twice
    assert receiver.by_ask() == asks.order()  # in order per ask
    assert receiver.overlaps == []  # never two events of one ask in flight at once
    assert all(request.signed for request in receiver.requests)


def test_background_sender_is_woken_by_commits(
    engine: Engine, clock: Clock, receiver: Receiver
) -> None:
    webhooks = sender(engine, receiver.url, clock, poll_interval=300)  # no polling in time
    uow_factory = SqlUnitOfWorkFactory(engine, on_events=webhooks.notify)
    asks = Asks(uow_factory, clock)
    asks.create("PLAT-1")
    webhooks.start()
    try:
        # The first round found nothing; from here on only a notify starts another.
        assert webhooks.rounds.wait_for(1, timeout=20), "the first round never ended"
        asks.change("PLAT-1", count=2)
        deadline = time.monotonic() + 20
        while len(receiver.accepted()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert receiver.by_ask() == asks.order()
        with pytest.raises(RuntimeError, match="already running"):
            webhooks.start()
    finally:
        webhooks.stop()
    assert webhooks._thread is None
    assert pending_count(engine) == 0


def test_logs_name_events_not_payloads_or_secrets(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    asks.create("PLAT-1")
    (event,) = asks.change("PLAT-1", note="top-secret-note-4711")
    receiver.answer = lambda _: 503
    webhooks = sender(engine, receiver.url, clock)
    with caplog.at_level(logging.INFO, logger="bot.webhooks"):
        webhooks.run_once()
        receiver.answer = lambda _: 200
        clock.advance(2)
        webhooks.run_once()
    messages = [record.getMessage() for record in caplog.records]
    assert any("failed" in m and event["id"] in m and "503" in m for m in messages), messages
    assert any("delivered" in m and event["id"] in m and "200" in m for m in messages), messages
    text = "\n".join(messages) + repr(webhooks)
    assert "top-secret-note-4711" not in text
    assert SECRET not in text
    assert receiver.url not in text


def test_bad_configuration_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookSender(engine, "ftp://example.com/x", SECRET)
    with pytest.raises(ValueError, match="http"):
        WebhookSender(engine, "/relative", SECRET)
    with pytest.raises(ValueError, match="secret"):
        WebhookSender(engine, "https://example.com/hook", "")
