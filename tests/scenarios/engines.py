"""The scenario suite through the bot with each engine: the rule engine, and the LLM path
(``OpenAIAssistant`` through the real ``openai`` client against the fake OpenAI server of
``tests/fakes/openai_api.py``, answered by the scripted model of ``fake_model.py``).

Each scenario gets a bot of its own (a fresh SQLite database, so no ask shows up as another's
similar ask); the fake Slack and the fake OpenAI server are shared by the engine's run.

    suite = run_suite("rules")     # or "llm"
    print(suite.report.format_fields())
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.db import upgrade
from tests.e2e.conftest import LEAD, REVIEW_CHANNEL, BotServer, MovableClock
from tests.fakes.openai_api import FAKE_MODEL, FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.scenarios.cast import Scenario, load_scenarios
from tests.scenarios.fake_model import ScenarioModel
from tests.scenarios.report import Report
from tests.scenarios.score import score
from tests.scenarios.slack_run import Run, run_scenario

ENGINES = ("rules", "llm")
API_KEY = "sk-scenarios-0000"  # the fake OpenAI server takes any key
# The scenarios' Monday, 09:30 in Berlin (the e2e START).
NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@dataclass
class Suite:
    engine: str
    runs: list[Run]
    report: Report
    model_calls: dict[str, int] = field(default_factory=dict)
    fallbacks: list[str] = field(default_factory=list)  # the LLM path's warnings
    unread: list[str] = field(default_factory=list)  # asks the fake model had no reading of
    violations: list[str] = field(default_factory=list)  # what the fake servers refused


class _CopiedDatabaseBot(BotServer):
    """A bot on a copy of a database migrated once for the whole suite."""

    migrate = False


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _slack() -> FakeSlack:
    slack = FakeSlack().start()
    slack.add_user(LEAD, "lee", tz="Europe/London")
    slack.add_channel(REVIEW_CHANNEL, "platform-review")
    return slack


def run_suite(engine: str, scenarios: Sequence[Scenario] | None = None) -> Suite:
    """Every scenario (all of them unless given) through the bot with ``engine``."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}")
    chosen = list(load_scenarios() if scenarios is None else scenarios)
    for scenario in chosen:
        if scenario.today != NOW.date():
            raise ValueError(f"{scenario.id}: scenarios happen on {NOW.date()}")
    slack = _slack()
    fake_openai: FakeOpenAI | None = None
    model: ScenarioModel | None = None
    settings: dict[str, Any] = {}
    if engine == "llm":
        model = ScenarioModel({s.ask: s.model_reads for s in chosen if s.model_reads})
        fake_openai = FakeOpenAI().start()
        fake_openai.responder = model
        settings = {
            "openai_api_key": API_KEY,
            "openai_base_url": fake_openai.base_url,
            "intake_llm_model": FAKE_MODEL,
            "intake_llm_timeout": 60,  # a loaded machine is slow; a fallback skews the figures
            "intake_llm_tokens_per_ask": 10**9,
            "intake_llm_tokens_per_day": 10**9,
        }
    warnings = _Warnings()
    logger = logging.getLogger("llm")
    logger.addHandler(warnings)
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="scoping-") as tmp:
            template = Path(tmp) / "template.db"
            upgrade(f"sqlite:///{template}")
            for number, scenario in enumerate(chosen):
                path = Path(tmp) / f"{number}.db"
                shutil.copyfile(template, path)

                def start(url: str = f"sqlite:///{path}") -> BotServer:
                    bot = _CopiedDatabaseBot(url, slack, MovableClock(NOW), **settings)
                    return bot.start()

                runs.append(run_scenario(scenario, start, slack))
    finally:
        logger.removeHandler(warnings)
        slack.stop()
        if fake_openai is not None:
            fake_openai.stop()
    suite = Suite(engine, runs, Report(tuple(score(run) for run in runs)))
    suite.violations = [f"{method}: {reason}" for method, reason in slack.violations]
    if model is not None and fake_openai is not None:
        suite.model_calls = dict(model.calls)
        suite.unread = list(model.unread)
        suite.violations += list(fake_openai.violations)
        suite.fallbacks = warnings.messages
    return suite
