"""The per-process buffer in front of the shared per-day token count."""

from __future__ import annotations

from datetime import date

from llm.ledger import BufferedTokenLedger, ProcessTokenLedger

DAY = date(2026, 11, 23)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FailingLedger(ProcessTokenLedger):
    def __init__(self) -> None:
        super().__init__()
        self.failing = True

    def add(self, day: date, tokens: int) -> None:
        if self.failing:
            raise OSError("database unavailable")
        super().add(day, tokens)


def test_additions_reach_the_shared_count_once_per_interval() -> None:
    shared, clock = ProcessTokenLedger(), Clock()
    ledger = BufferedTokenLedger(shared, flush_every_s=2, refresh_every_s=2, clock=clock)
    ledger.add(DAY, 100)
    ledger.add(DAY, 50)
    assert shared.spent(DAY) == 0  # not written yet...
    assert ledger.spent(DAY) == 150  # ...but this process's budget check counts it
    clock.now = 2.5
    ledger.add(DAY, 10)
    assert shared.spent(DAY) == 160


def test_other_replicas_spending_is_seen_after_the_refresh_interval() -> None:
    shared, clock = ProcessTokenLedger(), Clock()
    ledger = BufferedTokenLedger(shared, flush_every_s=2, refresh_every_s=2, clock=clock)
    assert ledger.spent(DAY) == 0
    shared.add(DAY, 1_000)  # another replica
    assert ledger.spent(DAY) == 0  # cached
    clock.now = 2.0
    assert ledger.spent(DAY) == 1_000


def test_reading_the_shared_count_writes_this_process_first() -> None:
    shared, clock = ProcessTokenLedger(), Clock()
    ledger = BufferedTokenLedger(shared, flush_every_s=60, refresh_every_s=1, clock=clock)
    ledger.spent(DAY)
    ledger.add(DAY, 30)
    clock.now = 1.0
    assert ledger.spent(DAY) == 30
    assert shared.spent(DAY) == 30  # written, and not counted twice


def test_a_failed_write_keeps_the_tokens_for_the_next_one() -> None:
    shared, clock = FailingLedger(), Clock()
    ledger = BufferedTokenLedger(shared, flush_every_s=1, refresh_every_s=60, clock=clock)
    clock.now = 1.0
    ledger.add(DAY, 40)  # the write fails; the call that spent them is not failed for it
    assert shared.spent(DAY) == 0
    shared.failing = False
    ledger.flush()
    assert shared.spent(DAY) == 40
