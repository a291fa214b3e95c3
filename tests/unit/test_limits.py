"""Per-person and per-workspace token buckets (bot.limits)."""

from __future__ import annotations

from bot.limits import Kind, Limits, LimitSettings, Rate


class Clock:
    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at


def test_a_person_gets_half_a_minute_at_once_then_the_rate() -> None:
    clock = Clock()
    limits = Limits(LimitSettings(person_intakes=Rate(6)), now=clock)
    allowed = [limits.allow(Kind.INTAKE, "T1", "U1") for _ in range(5)]
    assert allowed == [None, None, None, "person", "person"]
    clock.at += 10  # one a minute every 10 s
    assert limits.allow(Kind.INTAKE, "T1", "U1") is None
    assert limits.allow(Kind.INTAKE, "T1", "U1") == "person"


def test_one_persons_limit_is_not_anothers_nor_another_kinds() -> None:
    limits = Limits(LimitSettings(person_intakes=Rate(2)), now=Clock())
    assert limits.allow(Kind.INTAKE, "T1", "U1") is None
    assert limits.allow(Kind.INTAKE, "T1", "U1") == "person"
    assert limits.allow(Kind.INTAKE, "T1", "U2") is None
    assert limits.allow(Kind.INTAKE, "T2", "U1") is None, "the same ID in another workspace"
    assert limits.allow(Kind.ACTION, "T1", "U1") is None


def test_a_workspace_limit_covers_everyone_in_it_and_a_refusal_takes_nothing() -> None:
    limits = Limits(LimitSettings(person_actions=Rate(2), workspace_actions=Rate(6)), now=Clock())
    assert [limits.allow(Kind.ACTION, "T1", f"U{n}") for n in range(3)] == [None, None, None]
    assert limits.allow(Kind.ACTION, "T1", "U0") == "person"
    assert limits.allow(Kind.ACTION, "T1", "U3") == "workspace"
    assert limits.allow(Kind.ACTION, "T2", "U3") is None
    # U3 was refused by the workspace: its own token is still there.
    limits.settings = LimitSettings(person_actions=Rate(2), workspace_actions=Rate(0))
    assert limits.allow(Kind.ACTION, "T1", "U3") is None


def test_zero_a_minute_is_no_limit() -> None:
    limits = Limits(LimitSettings(person_intakes=Rate(0), workspace_intakes=Rate(0)), now=Clock())
    assert all(limits.allow(Kind.INTAKE, "T1", "U1") is None for _ in range(1000))
