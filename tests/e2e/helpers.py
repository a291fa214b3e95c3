"""Reading a conversation the way a person sees it in Slack."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.work_slots import SLOTS, WorkSlots
from tests.e2e.conftest import LEAD, OWNER, REVIEW_CHANNEL
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import DriverResponse, SlackDriver

ASK = "we need a postgres db for billing asap"
T = TypeVar("T")


def text_of(message: dict[str, Any]) -> str:
    """Everything readable in a message: its blocks' texts, or its fallback text."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts) or message.get("text", "")


def bot_thread(slack: FakeSlack, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in slack.thread(channel, thread_ts) if m.get("bot_id") and m["ts"] != thread_ts]


def buttons(message: dict[str, Any]) -> list[str]:
    found = []
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            found += [e["text"]["text"] for e in block["elements"] if e.get("type") == "button"]
    return found


@dataclass(eq=False)
class Conversation:
    """A requester talking to the bot in one intake thread."""

    driver: SlackDriver
    slack: FakeSlack
    user: str
    channel: str
    thread_ts: str

    @property
    def bot_messages(self) -> list[dict[str, Any]]:
        return bot_thread(self.slack, self.channel, self.thread_ts)

    @property
    def last(self) -> dict[str, Any]:
        return self.bot_messages[-1]

    def say(self, text: str) -> DriverResponse:
        """Reply in the thread and wait until the bot has answered."""
        before = len(self.slack.calls)
        if self.channel.startswith("D"):
            response, _ = self.driver.message_im(
                self.user, text, channel=self.channel, thread_ts=self.thread_ts
            )
        else:
            response, _ = self.driver.channel_message(
                self.user, text, self.channel, thread_ts=self.thread_ts
            )
        wait_for_bot(self.slack, before)
        return response

    def click(
        self, prefix: str, value: str | None = None, message: dict[str, Any] | None = None
    ) -> DriverResponse:
        before = len(self.slack.calls)
        response = self.driver.click(self.user, message or self.last, prefix, value)
        wait_for_bot(self.slack, before)
        return response

    def click_button(self, label: str) -> DriverResponse:
        """Click the button with this label in the newest bot message that has it."""
        for message in reversed(self.bot_messages):
            for block in message.get("blocks") or []:
                if block.get("type") != "actions":
                    continue
                for element in block["elements"]:
                    if element.get("type") == "button" and element["text"]["text"] == label:
                        return self.click(element["action_id"], element.get("value"), message)
        raise AssertionError(
            f"no button {label!r} in the thread; saw {[buttons(m) for m in self.bot_messages]}"
        )

    def draft(self) -> dict[str, Any]:
        for message in reversed(self.bot_messages):
            if any(b == "Submit" for b in buttons(message)) or text_of(message).startswith("Draft"):
                return message
        raise AssertionError(
            "no draft in the thread:\n" + "\n---\n".join(text_of(m) for m in self.bot_messages)
        )


def wait_for_bot(slack: FakeSlack, calls_before: int, timeout: float = 5.0) -> None:
    """Until the bot made at least one Web API call after ``calls_before`` and is done."""
    slack.wait_for_calls(calls_before, timeout=timeout)
    slack.wait_idle(quiet=0.25, timeout=timeout)


def start_dm(driver: DriverResponse | Any, slack: FakeSlack, user: str, text: str) -> Conversation:
    """An intake started by a DM; the thread is the DM message itself."""
    posts = len(slack.calls_to("chat.postMessage"))
    response, ts = driver.message_im(user, text)
    assert response.status == 200
    # Reading a long paste takes a moment before anything is posted: wait for the first post.
    slack.wait_for("chat.postMessage", count=posts + 1, timeout=10)
    slack.wait_idle(quiet=0.25, timeout=5)
    return Conversation(driver, slack, user, slack.dm_channel(user), ts)


def start_slash(
    driver: SlackDriver, slack: FakeSlack, user: str, text: str
) -> tuple[Conversation, DriverResponse]:
    """An intake started by /intake; the thread is rooted at the bot's message in the DM."""
    before = len(slack.calls)
    response = driver.slash_command(user, text)
    assert response.status == 200, response.body
    wait_for_bot(slack, before)
    channel = slack.dm_channel(user)
    return Conversation(driver, slack, user, channel, dm_root(slack, user)["ts"]), response


def dm_root(slack: FakeSlack, user: str) -> dict[str, Any]:
    """The newest thread the bot opened in the person's DM (a parent's thread_ts is its ts)."""
    channel = slack.dm_channel(user)
    roots = [
        m
        for m in slack.messages(channel)
        if m.get("bot_id") and m.get("thread_ts", m["ts"]) == m["ts"]
    ]
    assert roots, "the bot opened no DM thread"
    return roots[-1]


def answer_database_questions(c: Conversation) -> None:
    """The questions a database ask leaves open after ASK, answered the way people do."""
    assert "environment" in text_of(c.last).lower()
    c.click_button("production")
    assert "storage" in text_of(c.last).lower()
    c.say("about 200 GB")
    c.say("invoices can't be generated without it, finance closes the month on it")
    c.say("billing-api connects to it from production; nightly backups restore in under 1 hour")


def review_posts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in slack.messages(REVIEW_CHANNEL) if m.get("bot_id")]


def buttons_value(message: dict[str, Any]) -> str:
    """The value of the message's Submit button (the ask's id)."""
    return next(
        e["value"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "intake_submit"
    )


def submit_ready_ask(
    driver: SlackDriver, slack: FakeSlack, user: str
) -> tuple[Conversation, dict[str, Any]]:
    """A database ask answered in full and submitted; returns its thread and review card."""
    c = start_dm(driver, slack, user, ASK)
    answer_database_questions(c)
    c.click_button("Submit")
    return c, review_card(slack)


def answered(slack: FakeSlack, send: Callable[[], T]) -> T:
    """What ``send()`` returned, once the bot has finished answering it."""
    before = len(slack.calls)
    result = send()
    wait_for_bot(slack, before)
    return result


def click_and_wait(
    driver: SlackDriver, slack: FakeSlack, user: str, message: dict[str, Any], action_id: str
) -> None:
    """``user`` clicks a button on ``message`` and the bot has finished answering."""
    before = len(slack.calls)
    driver.click(user, message, action_id)
    wait_for_bot(slack, before)


def decide(
    driver: SlackDriver,
    slack: FakeSlack,
    card: dict[str, Any],
    action_id: str = "review_approve",
    **form: Any,
) -> None:
    """The lead clicks ``action_id`` on the review card, fills in the form it opens with
    ``form`` (an owner, a reason, questions) and submits it."""
    click_and_wait(driver, slack, LEAD, card, action_id)
    before = len(slack.calls)
    driver.submit_view(LEAD, slack.current_view(LEAD), **form)
    wait_for_bot(slack, before)


def approve(driver: SlackDriver, slack: FakeSlack, card: dict[str, Any]) -> None:
    """The lead approves the ask on ``card`` with Owen as its owner."""
    decide(driver, slack, card, owner=OWNER)


def eventually(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    """``check()`` once it is truthy (AssertionError naming ``what`` after ``timeout`` s). The
    bot paces its Web API calls (about one post a second per channel) and a queued item runs
    a moment later, so a reply may come after the bot looked idle."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def review_card(slack: FakeSlack, timeout: float = 10.0) -> dict[str, Any]:
    """The newest review card (posted after the Submit click's other replies)."""
    slack.wait_idle(timeout=timeout)
    cards = review_posts(slack)
    assert cards, "no review card in the review channel"
    current = slack.find_message(cards[-1]["ts"])
    assert current is not None
    return current


@contextmanager
def every_work_slot_held(slots: WorkSlots) -> Iterator[None]:
    """Inside the block every work slot is taken (a thread per slot, as each run holds one);
    they are given back when it ends."""
    release = threading.Event()
    holding = threading.Barrier(SLOTS + 1)

    def hold_a_slot(n: int) -> None:
        with slots.hold(f"T0001:U0BUSY{n}"):
            holding.wait(5)
            release.wait(10)

    holders = [threading.Thread(target=hold_a_slot, args=(n,)) for n in range(SLOTS)]
    for holder in holders:
        holder.start()
    try:
        holding.wait(5)
        yield
    finally:
        release.set()
        for holder in holders:
            holder.join()
