"""SQLite's writers in one process queue on a lock of ours (storage.db.WriteGate), not in
SQLite's busy handler: many threads writing at once all succeed, and the urgent ones (the
replay check before an ack, the pacer's tokens) go first."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from storage.db import WriteGate, make_engine


def test_many_threads_writing_at_once_all_succeed_without_waiting_in_sqlite(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")

    @event.listens_for(engine, "connect")
    def impatient(dbapi_connection: Any, _record: Any) -> None:
        # SQLite itself would give up on a busy database after 1 ms: only the gate queues.
        dbapi_connection.execute("PRAGMA busy_timeout = 1")

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (thread INTEGER, n INTEGER)"))
    failures: list[BaseException] = []

    def write(thread: int) -> None:
        try:
            for n in range(10):
                with engine.begin() as connection:
                    connection.execute(text("INSERT INTO t VALUES (:t, :n)"), {"t": thread, "n": n})
                    time.sleep(0.001)  # hold the write lock a little
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM t")) == 200
    engine.dispose()


def wait_until(condition: Any) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_an_urgent_transaction_goes_before_the_work_waiting_ahead_of_it() -> None:
    gate = WriteGate()
    order: list[str] = []
    gate.acquire()  # the work in progress

    def take(name: str, urgent: bool) -> None:
        gate.acquire(urgent)
        order.append(name)
        gate.release()

    work = threading.Thread(target=take, args=("work", False))
    work.start()
    wait_until(lambda: gate._normal_waiting == 1)
    ack = threading.Thread(target=take, args=("ack", True))
    ack.start()
    wait_until(lambda: gate._urgent_waiting == 1)
    gate.release()
    work.join()
    ack.join()
    assert order == ["ack", "work"]


def test_the_gate_is_reentrant_for_its_holder() -> None:
    gate = WriteGate()
    gate.acquire()
    gate.acquire(urgent=True)
    gate.release()
    other = threading.Thread(target=gate.acquire)
    other.start()
    other.join(0.05)
    assert other.is_alive()  # still held once
    gate.release()
    other.join(5)
    assert not other.is_alive()
