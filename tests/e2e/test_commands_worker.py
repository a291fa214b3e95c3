"""Deferred commands (``INTAKE_DEFER_WORK``) between a real ``serve`` app and the worker's
side (``bot.commands_worker`` on the one ``bot.runner.Runner``), in one process on a clock the
test moves, on SQLite and PostgreSQL:

* serve acks and queues: the reply comes from the worker, nothing is lost in between;
* a worker that dies mid-command leaves it to another, which runs it once the lease is out
  (in doubt) and the person gets one answer, not two;
* a command that fails tells the person, privately, and is done (not tried again);
* a command whose work slot comes after the worker began stopping is handed back unstarted.

The same through real ``serve`` and ``worker`` processes: test_deferred_work.py and
test_shutdown_jobs.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, select

from bot.app import make_client
from bot.commands import KIND, Later, to_json
from bot.commands_worker import command_kind
from bot.errors import GONE
from bot.listeners.actions import Decide
from bot.oauth import OneWorkspace
from bot.runner import Runner
from bot.where import Where
from storage import queue
from storage.db import transaction
from storage.models import QueueItemRow
from tests.e2e.conftest import (
    OWNER,
    REQUESTER,
    SIGNING_SECRET,
    BotServer,
    MovableClock,
    unhurried_pacer,
)
from tests.e2e.helpers import ASK, every_work_slot_held, text_of
from tests.e2e.test_milestones import Ask
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


@pytest.fixture
def serve(make_bot: Callable[..., BotServer], database_url: str) -> BotServer:
    return make_bot(database_url, intake_defer_work=True, intake_run_scheduler=False)


@pytest.fixture
def start_worker(serve: BotServer, clock: MovableClock) -> Iterator[Callable[[], Runner]]:
    """Workers on serve's database: the command kind only, looking every 20 ms."""
    container = serve.container
    assert container is not None
    runners: list[Runner] = []

    def start() -> Runner:
        clients = OneWorkspace(make_client(container, unhurried_pacer()))
        kinds = {KIND: command_kind(container, clients)}
        runner = Runner(container.db_engine, clock, kinds, poll_s=0.02)
        runner.start()
        runners.append(runner)
        return runner

    yield start
    for runner in runners:
        runner.stop(time.monotonic() + 10)


def items(engine: Engine) -> list[QueueItemRow]:
    with transaction(engine) as session:
        rows = session.scalars(select(QueueItemRow).where(QueueItemRow.kind == KIND)).all()
        session.expunge_all()
        return list(rows)


def wait_done(engine: Engine, timeout: float = 20) -> list[QueueItemRow]:
    deadline = time.monotonic() + timeout
    while not (rows := items(engine)) or any(row.done_at is None for row in rows):
        assert time.monotonic() < deadline, [(r.payload, r.attempts, r.done_at) for r in rows]
        time.sleep(0.02)
    return rows


def commands_done(engine: Engine) -> Callable[[float], bool]:
    """For ``FakeSlack.watch``: the bot is idle once every queued command is done."""

    def idle(timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while any(row.done_at is None for row in items(engine)):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    return idle


def said_to(slack: FakeSlack, user: str) -> str:
    return " ".join(text_of(m) for m in slack.messages(slack.dm_channel(user)))


def test_serve_acks_and_queues_and_a_worker_answers(
    serve: BotServer, slack: FakeSlack, start_worker: Callable[[], Runner]
) -> None:
    assert serve.container is not None
    driver = SlackDriver(serve.events_url, SIGNING_SECRET, slack)
    response = driver.slash_command(REQUESTER, ASK)
    assert response.status == 200 and "opening your intake" in str(response.json)
    (queued,) = items(serve.container.db_engine)
    assert queued.payload["command"] == "StartInDm" and queued.done_at is None
    assert slack.calls_to("chat.postMessage") == [], "serve only acked"
    start_worker()
    (done,) = wait_done(serve.container.db_engine)
    assert done.attempts == 1
    assert "Question 1" in said_to(slack, REQUESTER)


def test_a_command_whose_worker_died_is_run_by_another_in_doubt_and_answered_once(
    serve: BotServer, slack: FakeSlack, clock: MovableClock, start_worker: Callable[[], Runner]
) -> None:
    assert serve.container is not None
    engine = serve.container.db_engine
    driver = SlackDriver(serve.events_url, SIGNING_SECRET, slack)
    response, _ = driver.message_im(REQUESTER, ASK)
    assert response.status == 200
    (dead,) = queue.claim(engine, clock.now(), 10, kinds=[KIND])  # its worker dies here
    clock.advance(seconds=queue.LEASE.total_seconds() + 1)
    start_worker()
    (done,) = wait_done(engine)
    assert (done.id, done.attempts) == (dead.id, 2)
    said = said_to(slack, REQUESTER)
    assert said.count("Question 1") == 1, said


def test_a_failing_command_tells_the_person_and_is_done(
    serve: BotServer, slack: FakeSlack, clock: MovableClock, start_worker: Callable[[], Runner]
) -> None:
    assert serve.container is not None
    engine = serve.container.db_engine
    gone = Decide(
        Where("T0001", REQUESTER, slack.dm_channel(REQUESTER)), 999, "intake_submit", None
    )
    with transaction(engine) as session:
        queue.enqueue(session, KIND, to_json(gone), at=clock.now(), max_attempts=2)
    start_worker()
    (done,) = wait_done(engine)
    assert done.attempts == 1 and done.gave_up_at is None, "done, not tried again"
    assert [text_of(m) for m in slack.ephemerals(REQUESTER)] == [GONE]


def test_a_command_without_a_handler_is_refused_before_the_ack(serve: BotServer) -> None:
    assert serve.container is not None
    later = Later({}, serve.container.db_engine, serve.container.clock, defer=True)
    with pytest.raises(LookupError):
        later.enqueue(Decide(Where("T0001", REQUESTER), 1, "intake_submit", None))


def test_forms_decide_in_serve_and_the_worker_tells_everyone(
    serve: BotServer, slack: FakeSlack, start_worker: Callable[[], Runner]
) -> None:
    """A form's decision is made before its ack (a refusal shows under the input) and its
    announcements run in the worker: the owner's DM after an approval, the DM's line and the
    requester's thread after a milestone's reason form."""
    assert serve.container is not None
    engine = serve.container.db_engine
    unwatch = slack.watch(commands_done(engine))
    try:
        start_worker()
        ask = Ask(SlackDriver(serve.events_url, SIGNING_SECRET, slack), slack, serve)
        assert "You own" in text_of(ask.dm), "the approval was announced to the owner"
        ask.status(OWNER, 1, "blocked")
        assert ask.submit(OWNER, reason="   ").json["errors"] == {
            "reason": "Say what it is waiting for."
        }
        assert ask.submit(OWNER, reason="waiting for the network team").json is None
        assert "blocked" in ask.line(1) and "waiting for the network team" in ask.line(1)
        assert "is now *blocked*" in ask.notes()
    finally:
        unwatch()
    ran = {row.payload["command"] for row in items(engine)}
    assert {"Start", "Reply", "Choose", "Decide", "Announce", "MilestoneChanged"} <= ran, ran


def test_an_intake_command_run_again_in_doubt_starts_nothing_twice(
    serve: BotServer, slack: FakeSlack, clock: MovableClock, start_worker: Callable[[], Runner]
) -> None:
    """/intake handed back in doubt after it ran (its worker stopped at the deadline) runs
    again: the requester gets one DM thread and one draft, nothing posted the second time."""
    assert serve.container is not None
    engine = serve.container.db_engine
    driver = SlackDriver(serve.events_url, SIGNING_SECRET, slack)
    assert driver.slash_command(REQUESTER, ASK).status == 200
    start_worker()
    (first,) = wait_done(engine)
    dm = slack.dm_channel(REQUESTER)
    posted = len(slack.messages(dm))
    with transaction(engine) as session:  # the same command, queued again
        queue.enqueue(session, KIND, first.payload, at=clock.now(), max_attempts=2)
    assert len(wait_done(engine)) == 2
    assert len(slack.messages(dm)) == posted, said_to(slack, REQUESTER)
    asks = serve.container.intake.list(team_id="T0001", requester=REQUESTER)
    assert len(asks) == 1


def test_a_command_given_its_slot_after_the_worker_began_stopping_is_handed_back_unstarted(
    serve: BotServer, slack: FakeSlack, start_worker: Callable[[], Runner]
) -> None:
    assert serve.container is not None
    engine, slots = serve.container.db_engine, serve.container.work_slots
    with every_work_slot_held(slots):
        response = SlackDriver(serve.events_url, SIGNING_SECRET, slack).slash_command(
            REQUESTER, ASK
        )
        assert response.status == 200
        runner = start_worker()
        deadline = time.monotonic() + 10
        while slots.queued < 1:  # claimed, and waiting for a slot
            assert time.monotonic() < deadline
            time.sleep(0.01)
        runner.request_stop()
    assert runner.stop(time.monotonic() + 10)
    assert (runner.handed_back[KIND], runner.finished[KIND]) == (1, 0)
    (item,) = items(engine)
    assert (item.attempts, item.started_at, item.done_at) == (0, None, None), "not started"
    assert slack.calls_to("chat.postMessage") == [], "nothing went out"
