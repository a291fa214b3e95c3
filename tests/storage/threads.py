"""Running a piece of work in several real threads at once, for the storage tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")


def in_threads(count: int, work: Callable[[], R]) -> list[R]:
    """Run ``work`` in ``count`` real threads released together; their results."""
    return in_numbered_threads(count, lambda _n: work())


def in_numbered_threads(count: int, work: Callable[[int], R]) -> list[R]:
    """Run ``work(n)`` for n in 0..count-1 in real threads released together; their results."""
    barrier = threading.Barrier(count)
    results: list[R] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = work(n)
            with lock:
                results.append(result)
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == count
    return results
