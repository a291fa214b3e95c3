"""Work run in child processes by the cross-process tests (kept free of pytest imports)."""

from __future__ import annotations

from typing import Any

from storage.db import make_engine
from storage.uow import SqlUnitOfWorkFactory


def claim_and_number(url: str, key: str, team_id: str, barrier: Any, results: Any) -> None:
    """Wait for the others, then claim ``key`` and take a number in one unit of work."""
    engine = make_engine(url)
    try:
        uow_factory = SqlUnitOfWorkFactory(engine)
        barrier.wait(timeout=60)
        with uow_factory() as uow:
            won = uow.claim(key)
            number = uow.next_number(team_id)
            uow.commit()
        results.put((won, number))
    finally:
        engine.dispose()
