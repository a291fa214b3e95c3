"""Telling the requester after a decision (``bot.announcer``): in their intake thread; in a
DM when the ask has none; nothing when it has none and its requester is no Slack user (an
intake from the terminal, by a login name), where a DM fails with channel_not_found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from bot.announcer import Announcer, post_to_requester
from bot.refresh import AskViews
from intake.conversation import Conversation, Source, Thread
from intake.lifecycle import Action
from intake.review import Decision
from intake.templates import TemplateSet
from intake.ticket import HistoryEntry, Status, Ticket

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEAD = "U0LEE"


class Client:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    def chat_postMessage(self, **message: Any) -> dict[str, Any]:
        self.posted.append(message)
        return {"channel": message["channel"], "ts": f"1.{len(self.posted)}"}


class Views:
    """The views' side of a decision, recorded but not drawn."""

    def __init__(self) -> None:
        self.recorded: list[tuple[str, str]] = []

    def refresh_messages(self, *_: Any, **__: Any) -> None:
        pass

    def refresh_homes(self, *_: Any, **__: Any) -> None:
        pass

    def record(self, _ticket: Ticket, posted: dict[str, Any], kind: str, *_: Any) -> None:
        self.recorded.append((str(posted["channel"]), kind))


def questions(requester: str, thread: Thread | None) -> Decision:
    ticket = Ticket(requester=requester, title="A database", status=Status.NEEDS_INFO, key="PLAT-1")
    ticket.team_id = "T1"
    entry = HistoryEntry(NOW, LEAD, Status.SUBMITTED, Status.NEEDS_INFO, "Which region?")
    conversation = Conversation(ticket, Source.CLI, thread=thread)
    return Decision(conversation, Action.REQUEST_CHANGES, entry)


@pytest.mark.parametrize(
    ("requester", "thread", "channel"),
    [
        ("U0ALICE", Thread("D1", "1.0"), "D1"),  # in the intake thread
        ("U0ALICE", None, "U0ALICE"),  # no thread: in a DM
        ("alice", None, None),  # a login name from the terminal: nowhere
    ],
)
def test_the_requester_is_told_where_they_can_read_it(
    templates: TemplateSet, requester: str, thread: Thread | None, channel: str | None
) -> None:
    client, views = Client(), Views()
    announcer = Announcer(cast(AskViews, views), templates)
    announcer.decided(cast(Any, client), questions(requester, thread))
    assert [message["channel"] for message in client.posted] == ([channel] if channel else [])
    assert views.recorded == ([(channel, "questions")] if channel else [])


def test_a_note_about_a_terminal_intake_is_posted_nowhere() -> None:
    """A milestone's note (or a tracker's) to a requester known by a login name only."""
    client = Client()
    conversation = questions("alice", None).conversation
    assert post_to_requester(cast(Any, client), conversation, {"text": "Staging is done"}) is None
    assert client.posted == []
