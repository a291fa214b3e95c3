"""The count of work in flight that the tests, the sandbox page and /metrics wait on: it must
not report "idle" while a listener or an asked-for background round is still running."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bot.in_flight import InFlight, TrackedExecutor, Wakeups


def test_a_submitted_call_is_in_flight_until_it_has_run() -> None:
    in_flight = InFlight()
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=2) as pool:
        executor = TrackedExecutor(pool, in_flight)
        future = executor.submit(release.wait, 5)
        assert in_flight.count == 1
        assert in_flight.wait_idle(0.05) is False  # still running: not idle
        release.set()
        assert in_flight.wait_idle(5) is True
        assert future.result() is True
    assert in_flight.count == 0


def test_a_call_that_raises_still_ends_its_count() -> None:
    in_flight = InFlight()

    def fails() -> None:
        raise RuntimeError("boom")

    with ThreadPoolExecutor(max_workers=1) as pool:
        TrackedExecutor(pool, in_flight).submit(fails)
        assert in_flight.wait_idle(5) is True


def test_notifies_before_a_round_count_once_and_the_round_settles_them() -> None:
    in_flight = InFlight()
    wakeups = Wakeups(in_flight)
    wakeups.notify()
    wakeups.notify()
    assert in_flight.count == 1 and wakeups.event.is_set()
    with wakeups.round():
        assert in_flight.count == 1  # the round that answers them is running
    assert in_flight.count == 0


def test_a_notify_during_a_round_is_owed_to_the_next_round() -> None:
    in_flight = InFlight()
    wakeups = Wakeups(in_flight)
    with wakeups.round():  # a polling round nobody asked for
        wakeups.notify()
    assert in_flight.count == 1 and wakeups.event.is_set()
    with wakeups.round():
        pass
    assert in_flight.count == 0


def test_idle_waits_return_at_once_when_nothing_runs() -> None:
    assert InFlight().wait_idle(0) is True
