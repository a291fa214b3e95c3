"""A worker's slots: at most ``slots`` jobs run at once, and a job that waits lends its slot."""

from __future__ import annotations

import threading
import time

import pytest

from bot.work_slots import WorkSlots
from tests.storage.threads import Overlap

TIMEOUT = 5.0


def _start(target: object) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_no_more_jobs_run_at_once_than_there_are_slots() -> None:
    slots = WorkSlots(3)
    overlap = Overlap()

    def job() -> None:
        with slots.hold():
            overlap.busy()

    threads = [_start(job) for _ in range(10)]
    for thread in threads:
        thread.join(TIMEOUT)
    assert overlap.most == 3


def test_a_job_that_waits_lets_another_run_meanwhile() -> None:
    slots = WorkSlots(1)
    in_wait, other_done, resumed = threading.Event(), threading.Event(), threading.Event()

    def waiting_job() -> None:
        with slots.hold():
            with slots.waiting():  # e.g. the model thinking for seconds
                in_wait.set()
                other_done.wait(TIMEOUT)
            resumed.set()

    def other_job() -> None:
        with slots.hold():
            other_done.set()

    first = _start(waiting_job)
    assert in_wait.wait(TIMEOUT)
    _start(other_job)
    assert other_done.wait(TIMEOUT), "the only slot was not lent while its job waited"
    first.join(TIMEOUT)
    assert resumed.is_set()


def test_a_job_back_from_its_wait_goes_on_only_when_a_slot_is_free() -> None:
    slots = WorkSlots(1)
    in_wait, taken, release, resumed = (threading.Event() for _ in range(4))

    def waiting_job() -> None:
        with slots.hold():
            with slots.waiting():
                in_wait.set()
                taken.wait(TIMEOUT)  # the answer comes while another job holds the slot
            resumed.set()

    def other_job() -> None:
        with slots.hold():
            taken.set()
            release.wait(TIMEOUT)

    first = _start(waiting_job)
    assert in_wait.wait(TIMEOUT)
    _start(other_job)
    assert taken.wait(TIMEOUT)
    assert not resumed.wait(0.2)  # both would be running Python at once
    release.set()
    first.join(TIMEOUT)
    assert resumed.is_set()


def test_waiting_outside_a_job_lends_nothing() -> None:
    slots = WorkSlots(1)
    holding, release, other_ran = (threading.Event() for _ in range(3))

    def job() -> None:
        with slots.hold():
            holding.set()
            release.wait(TIMEOUT)

    def other_job() -> None:
        with slots.hold():
            other_ran.set()

    _start(job)
    assert holding.wait(TIMEOUT)
    with slots.waiting():  # serve's listener or the scheduler: it holds no slot
        _start(other_job)
        assert not other_ran.wait(0.2)
    release.set()
    assert other_ran.wait(TIMEOUT)


def test_a_job_inside_a_job_uses_the_slot_it_has() -> None:
    slots = WorkSlots(1)
    done = threading.Event()

    def job() -> None:
        with slots.hold(), slots.hold():
            done.set()

    _start(job)
    assert done.wait(TIMEOUT)
    with slots.hold():  # and the slot was given back once
        pass


def test_a_worker_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        WorkSlots(0)


def test_turns_go_round_robin_over_people_so_a_burst_waits_behind_itself() -> None:
    slots = WorkSlots(1)
    order: list[str] = []
    lock = threading.Lock()

    def job(key: str) -> None:
        with slots.hold(key), lock:
            order.append(key)

    with slots.hold("holder"):
        flood = [_start(lambda: job("flood")) for _ in range(5)]
        while slots.queued < 5:
            time.sleep(0.005)
        other = _start(lambda: job("other"))
        while slots.queued < 6:
            time.sleep(0.005)
    for thread in [*flood, other]:
        thread.join(TIMEOUT)
    assert order == ["flood", "other", "flood", "flood", "flood", "flood"]


def test_a_job_back_from_its_wait_goes_before_new_ones() -> None:
    slots = WorkSlots(1)
    order: list[str] = []
    in_wait, back = threading.Event(), threading.Event()

    def waiting_job() -> None:
        with slots.hold("a"):
            with slots.waiting():
                in_wait.set()
                back.wait(TIMEOUT)
            order.append("resumed")

    def new_job() -> None:
        with slots.hold("b"):
            order.append("new")

    first = _start(waiting_job)
    assert in_wait.wait(TIMEOUT)  # it holds no slot while it waits
    with slots.hold("holder"):
        back.set()
        while slots.queued < 1:  # the job is back and waits for the slot again
            time.sleep(0.005)
        newcomer = _start(new_job)
        while slots.queued < 2:
            time.sleep(0.005)
    first.join(TIMEOUT)
    newcomer.join(TIMEOUT)
    assert order == ["resumed", "new"]
