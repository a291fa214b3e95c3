"""Retrying a use case when another replica or thread changed the same ask between its read
and its write (``intake.ports.ConcurrentUpdate``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from intake.ports import ConcurrentUpdate

ATTEMPTS = 3

P = ParamSpec("P")
R = TypeVar("R")


def retry_on_conflict(use_case: Callable[P, R]) -> Callable[P, R]:
    """Run a use case again, on fresh data, when another replica or thread changed the same
    ask between our read and our write (nothing was committed by the losing attempt)."""

    @functools.wraps(use_case)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return use_case(*args, **kwargs)
            except ConcurrentUpdate:
                if attempt == ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    return run
