"""A paced call waiting on a Retry-After gives up when its loop is stopping (``interruptible``,
used by the outbox sender on shutdown), and nothing changes for calls outside such a block."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.pacing import Lane, PaceInterrupted, Pacer, interruptible
from storage.pace import MemoryPaceStore

POST = "chat.postMessage"


class FakeTime:
    """A wall clock that moves only when the pacer sleeps; ``on_sleep`` runs at each sleep."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        self.slept = 0.0
        self.stop_after: float | None = None
        self.stopping = threading.Event()

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.at += timedelta(seconds=seconds)
        if self.stop_after is not None and self.slept >= self.stop_after:
            self.stopping.set()  # the shutdown signal comes while the call waits


def test_a_call_waiting_on_a_retry_after_gives_up_when_stopping() -> None:
    fake = FakeTime()
    pacer = Pacer(MemoryPaceStore(), clock=fake.now, sleep=fake.sleep)
    pacer.on_rate_limited(POST, "U1", 30)
    fake.stop_after = 1.0
    with interruptible(fake.stopping), pytest.raises(PaceInterrupted):
        pacer.acquire(POST, "U1", Lane.BULK)
    assert fake.slept == pytest.approx(1.0, abs=0.1)  # not the 30 s of the Retry-After


def test_no_call_starts_once_stopping() -> None:
    fake = FakeTime()
    pacer = Pacer(MemoryPaceStore(), clock=fake.now, sleep=fake.sleep)
    fake.stopping.set()
    with interruptible(fake.stopping), pytest.raises(PaceInterrupted):
        pacer.acquire("users.info", None, Lane.BULK)
    assert fake.slept == 0


def test_outside_the_block_a_call_waits_out_the_retry_after() -> None:
    fake = FakeTime()
    pacer = Pacer(MemoryPaceStore(), clock=fake.now, sleep=fake.sleep)
    pacer.on_rate_limited(POST, "U1", 30)
    fake.stopping.set()  # another loop's stop is no concern of this call
    pacer.acquire(POST, "U1", Lane.BULK)
    assert fake.slept == pytest.approx(30)
    with interruptible(threading.Event()):  # a loop that is not stopping: the same wait
        pacer.on_rate_limited(POST, "U1", 5)
        pacer.acquire(POST, "U1", Lane.BULK)
    assert fake.slept == pytest.approx(35)


def test_a_real_sleep_wakes_up_at_once_on_stop() -> None:
    pacer = Pacer(MemoryPaceStore())
    pacer.on_rate_limited(POST, "U1", 30)
    stopping = threading.Event()
    threading.Timer(0.2, stopping.set).start()
    started = time.monotonic()
    with interruptible(stopping), pytest.raises(PaceInterrupted):
        pacer.acquire(POST, "U1", Lane.BULK)
    assert time.monotonic() - started < 2
