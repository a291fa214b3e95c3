"""One scenario through the real bot, over Slack: the requester types the ask (a DM to the bot or
``/intake <ask>``), then reads the bot's newest message in the thread as rendered text and
buttons, lets ``person.decide`` choose, and types or clicks, until the ask is submitted.

The harness is the e2e one (``tests/e2e``): a ``BotServer`` (the Bolt app served over HTTP, on its
own SQLite database, with the rule engine or an OpenAI-compatible model configured), signed
requests from ``SlackDriver`` and the fake Slack Web API recording what the bot posts. After
the run the scorer may read the stored ticket (``Run.ticket``, in the export schema).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from intake.export import to_dict
from tests.e2e.conftest import SIGNING_SECRET, BotServer
from tests.e2e.helpers import Conversation, buttons, dm_root, text_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver
from tests.scenarios.cast import Scenario
from tests.scenarios.person import SUBMIT, Action, Memory, Screen, decide

MAX_TURNS = 40  # moves before a run is declared stuck
SLOW = 60.0  # seconds the bot may take to answer on a loaded machine
SUBMITTED = "Submitted as"


@dataclass(frozen=True)
class Turn:
    """One move: what the person saw, and what they did."""

    seen: str
    buttons: tuple[str, ...]
    action: Action


@dataclass
class Run:
    scenario: Scenario
    turns: list[Turn] = field(default_factory=list)
    opening_reply: str = ""  # the bot's first message
    ticket: dict[str, Any] = field(default_factory=dict)  # the stored ask, exported
    submitted: bool = False
    draft_seen: bool = False
    error: str = ""

    def transcript(self) -> list[str]:
        lines = [f"> {self.scenario.ask}"]
        for turn in self.turns:
            shown = _lines(turn.seen)
            if turn.action.question and turn.action.question not in " ".join(shown):
                shown = [*shown[:3], "…", turn.action.question]
            lines.append("  bot: " + " | ".join(shown))
            if turn.buttons:
                lines.append(f"       [{'] ['.join(turn.buttons)}]")
            lines.append(f"> {turn.action.shown()}")
        if self.error:
            lines.append(f"!! {self.error}")
        return lines


def _lines(text: str, limit: int = 6) -> list[str]:
    shown = [line.strip() for line in text.splitlines() if line.strip()]
    return shown[:limit] + ([f"… ({len(shown) - limit} more lines)"] if len(shown) > limit else [])


def _start(driver: SlackDriver, slack: FakeSlack, scenario: Scenario) -> Conversation:
    """The ask as a person starts it; the thread is the DM message itself or, for /intake, the
    bot's DM thread. Waits as long as a loaded machine needs (the e2e helpers give up at 5 s)."""
    user = scenario.user
    before = len(slack.calls)
    if scenario.via == "slash":
        response = driver.slash_command(user, scenario.ask)
        slack.wait_for_calls(before, timeout=SLOW)
        slack.wait_idle(timeout=SLOW)
        thread = dm_root(slack, user)["ts"]
    else:
        response, thread = driver.message_im(user, scenario.ask)
        slack.wait_for_calls(before, timeout=SLOW)
        slack.wait_idle(timeout=SLOW)
    assert response.status == 200, response.body
    return Conversation(driver, slack, user, slack.dm_channel(user), thread)


def _act(conversation: Conversation, action: Action) -> None:
    try:
        if action.click:
            conversation.click_button(action.click)
        else:
            conversation.say(action.text)
    except AssertionError:  # slow (a loaded machine) or silent: wait until the bot is done
        pass
    conversation.slack.wait_idle(timeout=SLOW)


def converse(driver: SlackDriver, slack: FakeSlack, scenario: Scenario, run: Run) -> None:
    """The conversation, from the ask to the submitted draft (or MAX_TURNS moves)."""
    conversation = _start(driver, slack, scenario)
    facts = scenario.person_facts()
    memory = Memory(seed=scenario.id, said=scenario.opening_facts())
    memory.corrections = [c.say for c in scenario.corrections]
    run.opening_reply = text_of(conversation.bot_messages[0]) if conversation.bot_messages else ""
    for _ in range(MAX_TURNS):
        messages = conversation.bot_messages
        if not messages:
            run.error = "the bot posted nothing in the thread"
            return
        newest = messages[-1]
        draft_above = any(SUBMIT in buttons(m) for m in messages)
        run.draft_seen = run.draft_seen or draft_above
        screen = Screen(text_of(newest), tuple(buttons(newest)), draft_above)
        if SUBMITTED in screen.text:
            run.submitted = True
            return
        action = decide(screen, facts, memory)
        run.turns.append(Turn(screen.text, screen.buttons, action))
        _act(conversation, action)
    run.error = f"not submitted after {MAX_TURNS} moves"


def run_scenario(
    scenario: Scenario,
    start_bot: Callable[[], BotServer],
    slack: FakeSlack,
) -> Run:
    """``scenario`` on a bot of its own (``start_bot``): no other ask can show up in it as a
    similar one. The bot is stopped afterwards."""
    slack.add_user(scenario.user, scenario.id[:20], tz=scenario.timezone)
    bot = start_bot()
    run = Run(scenario)
    try:
        driver = SlackDriver(bot.events_url, SIGNING_SECRET, slack)
        try:
            converse(driver, slack, scenario, run)
        except AssertionError as error:  # e.g. the bot never answered the opening ask
            run.error = str(error).splitlines()[0]
        assert bot.container is not None
        asks = bot.container.intake.list(requester=scenario.user)
        if asks:
            run.ticket = to_dict(asks[0])
            run.submitted = run.submitted or run.ticket["status"] == "submitted"
    finally:
        bot.stop()
    return run
