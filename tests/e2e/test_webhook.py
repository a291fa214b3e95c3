"""Webhook delivery end to end: events queued by units of work on a real database (SQLite and
PostgreSQL) as ``webhook`` items of the durable queue, run by the queue's runner
(``bot.runner``) with the webhook handler (``bot.webhooks``) over HTTP to a receiver on
127.0.0.1 that checks every signature. Time is a controllable clock: backoff never sleeps."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.in_flight import InFlight
from bot.runner import Kind, Runner
from bot.webhooks import WEBHOOK, WebhookDelivery, encode
from storage import SqlUnitOfWorkFactory, queue
from tests.e2e.webhook_harness import (
    Asks,
    Clock,
    free_port,
    interleaved,
    items,
    pending_count,
    run_once,
)
from tests.fakes.webhook_receiver import SECRET, Received, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def asks(engine: Engine, clock: Clock) -> Asks:
    return Asks(SqlUnitOfWorkFactory(engine, event_kinds=[WEBHOOK]), clock)


# -- the runner ---------------------------------------------------------------------------------

Runners = Callable[..., Runner]


@pytest.fixture
def runners(engine: Engine, clock: Clock) -> Iterator[Runners]:
    """Makes runners with the webhook handler only (stopped at the end of the test)."""
    made: list[Runner] = []

    def make(url: str, *, timeout: float = 5.0, **kwargs: Any) -> Runner:
        kinds = {WEBHOOK: Kind(WebhookDelivery(url, SECRET, clock, timeout=timeout))}
        runner = Runner(engine, clock, kinds, **kwargs)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.stop(time.monotonic() + 5)


# -- the tests ----------------------------------------------------------------------------------


def test_every_event_arrives_once_in_order_and_signed(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver, runners: Runners
) -> None:
    interleaved(asks)
    runner = runners(receiver.url)
    assert run_once(runner) == 7
    assert run_once(runner) == 0  # nothing left

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
    assert all(item.done_at == clock.now() for item in items(engine).values())
    assert {item.result["status"] for item in items(engine).values()} == {200}


def test_a_tampered_body_would_not_verify(asks: Asks, receiver: Receiver, runners: Runners) -> None:
    asks.create("PLAT-1")
    asks.change("PLAT-1")
    assert run_once(runners(receiver.url)) == 1
    (request,) = receiver.requests
    assert request.signed
    tampered = Received(**{**request.__dict__, "body": request.body.replace(b"PLAT-1", b"PLAT-9")})
    assert not tampered.signed
    assert not Received(**{**request.__dict__, "timestamp": "1"}).signed
    assert request.signature.startswith("v1=")


def test_errors_are_retried_after_backoff_until_the_receiver_takes_them(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver, runners: Runners
) -> None:
    interleaved(asks)
    receiver.answer = lambda _: 500
    runner = runners(receiver.url)

    # Three failing rounds: one attempt per ask each time (the head of its queue), and no
    # attempt at all before the backoff (2 s, then 4 s, then 8 s) has passed.
    for wait in (2, 4, 8):
        assert run_once(runner) == 0
        attempts = len(receiver.requests)
        assert run_once(runner) == 0
        clock.advance(wait - 0.001)
        assert run_once(runner) == 0
        assert len(receiver.requests) == attempts  # still backing off
        clock.advance(0.001)
    assert [r.status for r in receiver.requests] == [500] * 6
    assert {r.event_id for r in receiver.requests} == {
        asks.order()["PLAT-1"][0],
        asks.order()["PLAT-2"][0],
    }
    head = items(engine)[asks.order()["PLAT-1"][0]]
    assert head.attempts == 3 and head.last_error == "HTTP 500 Internal Server Error"

    receiver.answer = lambda _: 200  # back
    assert run_once(runner) == 7
    assert receiver.by_ask() == asks.order()  # each once, in order
    assert sorted(receiver.accepted_ids()) == sorted(asks.every_event())
    assert pending_count(engine) == 0


@pytest.mark.parametrize(
    ("status", "retry_after", "wait"),
    [
        (429, "30", 30),  # seconds
        (503, "date", 20),  # an HTTP date, 20 s from now
        (429, "soon", 2),  # unreadable: the backoff
        (500, "30", 2),  # only 429 and 503 say when
    ],
)
def test_a_receivers_retry_after_is_honoured(
    asks: Asks,
    clock: Clock,
    receiver: Receiver,
    runners: Runners,
    status: int,
    retry_after: str,
    wait: int,
) -> None:
    asks.create("PLAT-1")
    asks.change("PLAT-1")
    receiver.answer = lambda _: status
    if retry_after == "date":
        retry_after = email.utils.format_datetime(clock.now() + timedelta(seconds=20), usegmt=True)
    receiver.retry_after = retry_after
    runner = runners(receiver.url)
    assert run_once(runner) == 0
    receiver.answer = lambda _: 200
    clock.advance(wait - 1)
    assert run_once(runner) == 0
    assert len(receiver.requests) == 1
    clock.advance(1)
    assert run_once(runner) == 1


def test_a_receiver_that_is_down_gets_everything_when_it_comes_back(
    engine: Engine, asks: Asks, clock: Clock, runners: Runners
) -> None:
    interleaved(asks)
    port = free_port()  # nothing listens here yet
    runner = runners(f"http://127.0.0.1:{port}/hooks")
    assert run_once(runner) == 0
    clock.advance(2)
    assert run_once(runner) == 0
    errors = {item.last_error for item in items(engine).values() if item.attempts}
    assert len(errors) == 1 and errors.pop().startswith("connection failed")

    receiver = Receiver(port)
    try:
        assert run_once(runner) == 0  # backing off: 4 s after the second failure
        assert receiver.requests == []
        clock.advance(4)
        assert run_once(runner) == 7
        assert receiver.by_ask() == asks.order()
        assert len(receiver.requests) == 7
        assert all(request.signed for request in receiver.requests)
    finally:
        receiver.close()


def test_a_later_event_waits_while_an_earlier_one_keeps_failing(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver, runners: Runners
) -> None:
    interleaved(asks)
    stuck = asks.order()["PLAT-1"][0]
    receiver.answer = lambda r: 500 if r.event_id == stuck else 200
    runner = runners(receiver.url)

    assert run_once(runner) == 4  # all of PLAT-2; nothing of PLAT-1
    for _ in range(12):  # about 45 minutes of retries
        clock.advance(600)
        assert run_once(runner) == 0
    assert receiver.by_ask() == {"PLAT-2": asks.order()["PLAT-2"]}
    assert {r.event_id for r in receiver.requests if r.ask == "PLAT-1"} == {stuck}
    assert items(engine)[stuck].attempts == 13
    assert items(engine)[stuck].gave_up_at is None  # never given up
    assert pending_count(engine) == 3

    asks.change("PLAT-2")  # other asks keep flowing meanwhile
    assert run_once(runner) == 1

    receiver.answer = lambda _: 200
    clock.advance(600)
    assert run_once(runner) == 3
    assert receiver.by_ask() == asks.order()


@pytest.mark.parametrize(
    ("status", "taken"), [(200, True), (202, True), (204, True), (302, False), (404, False)]
)
def test_only_2xx_counts_as_delivered(
    engine: Engine,
    asks: Asks,
    receiver: Receiver,
    runners: Runners,
    status: int,
    taken: bool,
) -> None:
    asks.create("PLAT-1")
    asks.change("PLAT-1")
    receiver.answer = lambda _: status
    assert run_once(runners(receiver.url)) == (1 if taken else 0)
    assert len(receiver.requests) == 1  # a redirect is not followed
    assert pending_count(engine) == (0 if taken else 1)


def test_a_timeout_is_a_failure_and_the_retry_carries_the_same_event_id(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver, runners: Runners
) -> None:
    asks.create("PLAT-1")
    (event,) = asks.change("PLAT-1")
    receiver.delay = 1.0
    runner = runners(receiver.url, timeout=0.2)
    assert run_once(runner) == 0
    assert items(engine)[event["id"]].last_error == "timed out after 0.2 s"

    receiver.delay = 0
    clock.advance(2)
    assert run_once(runner) == 1
    # The receiver may have taken the slow one after all: it de-duplicates on the event id.
    assert [r.event_id for r in receiver.requests] == [event["id"], event["id"]]


def test_two_runners_at_once_deliver_each_event_once(
    engine: Engine, asks: Asks, receiver: Receiver, runners: Runners
) -> None:
    for n in range(1, 6):
        asks.create(f"PLAT-{n}")
    for round_ in range(4):
        for n in range(1, 6):
            asks.change(f"PLAT-{n}", note=f"r{round_}")
    receiver.delay = 0.005
    both = [runners(receiver.url, poll_s=0.01) for _ in range(2)]
    for runner in both:
        runner.start()
    deadline = time.monotonic() + 60
    while pending_count(engine) and time.monotonic() < deadline:
        time.sleep(0.02)
    for runner in both:
        assert runner.stop(time.monotonic() + 10)
    assert pending_count(engine) == 0
    assert all(sum(runner.finished.values()) > 0 for runner in both), "both took a share"
    assert len(receiver.requests) == 20  # nothing sent twice
    assert receiver.by_ask() == asks.order()  # in order per ask
    assert receiver.overlaps == []  # never two events of one ask in flight at once
    assert all(request.signed for request in receiver.requests)


def test_a_restarted_runner_resumes_where_the_last_one_stopped(
    engine: Engine, asks: Asks, clock: Clock, receiver: Receiver, runners: Runners
) -> None:
    interleaved(asks)
    receiver.answer = lambda r: 500 if r.ask == "PLAT-1" else 200
    first = runners(receiver.url)
    assert run_once(first) == 4
    assert first.stop(time.monotonic() + 5)
    # A runner that died holding PLAT-1's head: claimed and started, no outcome recorded.
    clock.advance(2)
    (held,) = queue.claim(engine, clock.now(), 10)
    assert held.payload["id"] == asks.order()["PLAT-1"][0]

    receiver.answer = lambda _: 200
    second = runners(receiver.url)  # as after a restart
    assert run_once(second) == 0  # its lease still runs: nobody else sends it
    clock.advance(queue.LEASE.total_seconds())
    assert run_once(second) == 3  # handed out again (in doubt) and sent, then the rest
    assert receiver.by_ask() == asks.order()
    assert pending_count(engine) == 0


def test_the_runner_is_woken_by_commits(
    engine: Engine, clock: Clock, receiver: Receiver, runners: Runners
) -> None:
    in_flight = InFlight()
    runner = runners(receiver.url, poll_s=300, in_flight=in_flight)  # no polling in time
    asks = Asks(SqlUnitOfWorkFactory(engine, event_kinds=[WEBHOOK], on_queued=runner.notify), clock)
    asks.create("PLAT-1")
    runner.start()
    # The first round found nothing; from here on only a notify starts another.
    assert runner.rounds.wait_for(1, timeout=20), "the first round never ended"
    asks.change("PLAT-1", count=2)
    # The work the commit set off is in flight until both events are delivered and recorded.
    assert in_flight.wait_idle(20)
    assert receiver.by_ask() == asks.order()
    assert pending_count(engine) == 0


def test_logs_name_events_not_payloads_or_secrets(
    asks: Asks,
    clock: Clock,
    receiver: Receiver,
    runners: Runners,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asks.create("PLAT-1")
    (event,) = asks.change("PLAT-1", note="top-secret-note-4711")
    receiver.answer = lambda _: 503
    runner = runners(receiver.url)
    with caplog.at_level(logging.INFO):
        run_once(runner)
        receiver.answer = lambda _: 200
        clock.advance(2)
        run_once(runner)
    messages = [record.getMessage() for record in caplog.records]
    assert any(
        "failed" in m and event["id"] in m and "PLAT-1" in m and "503" in m for m in messages
    ), messages
    assert any("next try in 2 s" in m for m in messages), messages  # the runner's backoff
    assert any("delivered" in m and event["id"] in m and "200" in m for m in messages), messages
    text = "\n".join(messages) + repr(runner.kinds[WEBHOOK].handler)
    assert "top-secret-note-4711" not in text
    assert SECRET not in text
    assert receiver.url not in text


def test_bad_configuration_is_refused(clock: Clock) -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookDelivery("ftp://example.com/x", SECRET, clock)
    with pytest.raises(ValueError, match="http"):
        WebhookDelivery("/relative", SECRET, clock)
    with pytest.raises(ValueError, match="secret"):
        WebhookDelivery("https://example.com/hook", "", clock)
