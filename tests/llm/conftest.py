"""Shared set-up of the llm tests: an OpenAIAssistant wired to the fake OpenAI server
through the real ``openai`` client, with a clock the tests move."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from intake.clock import FixedClock
from intake.conversation import Conversation, Source, Thread
from intake.templates import load_templates
from intake.templates.model import TemplateSet
from intake.ticket import Ticket
from llm import LlmConfig, LlmGateway, OpenAIAssistant
from llm.ledger import ProcessTokenLedger
from tests.fakes.openai_api import FakeOpenAI

TODAY = date(2026, 11, 23)  # a Monday
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
API_KEY = "sk-test-0123456789abcdef"


class MonotonicClock:
    """A monotonic clock that only moves when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Rig:
    assistant: OpenAIAssistant
    gateway: LlmGateway
    ledger: ProcessTokenLedger
    clock: MonotonicClock
    fake: FakeOpenAI


@pytest.fixture(scope="session")
def templates() -> TemplateSet:
    return load_templates(None)


@pytest.fixture
def make_rig(fake_openai: FakeOpenAI) -> Callable[..., Rig]:
    def make(**overrides: Any) -> Rig:
        settings: dict[str, Any] = {
            "api_key": API_KEY,
            "base_url": fake_openai.base_url,
            "model": "fake-gpt",
            "embedding_model": "fake-embedding",
            "timeout_s": 2.0,
        }
        settings.update(overrides)
        ledger = ProcessTokenLedger()
        clock = MonotonicClock()
        gateway = LlmGateway(LlmConfig(**settings), ledger, clock=clock, wall_clock=FixedClock(NOW))
        return Rig(OpenAIAssistant(gateway), gateway, ledger, clock, fake_openai)

    return make


@pytest.fixture
def rig(make_rig: Callable[..., Rig]) -> Rig:
    return make_rig()


def conversation(problem: str, category: str = "database", **fields: Any) -> Conversation:
    """A conversation whose ticket carries IDs that must never reach the model."""
    ticket = Ticket(
        requester="U0REQUESTR1",
        team_id="T0TEAMID001",
        category=category,
        problem=problem,
        owner="U0OWNERID01",
    )
    for name, value in fields.items():
        ticket.set(name, value)
    return Conversation(
        ticket=ticket, source=Source.DM, thread=Thread("D0CHANNEL01", "1700000000.000100")
    )


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The WARNING messages ``caplog`` captured."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
