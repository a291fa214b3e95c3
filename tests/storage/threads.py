"""Running a piece of work in several real threads at once, and counting how many overlap."""

from __future__ import annotations

import threading
import time
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


class Overlap:
    """Counts how many threads are inside ``busy()`` at once; ``most`` is the peak seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self.most = 0

    def busy(self, seconds: float = 0.05) -> None:
        """Be one of the running threads for ``seconds``."""
        with self._lock:
            self._running += 1
            self.most = max(self.most, self._running)
        time.sleep(seconds)
        with self._lock:
            self._running -= 1
