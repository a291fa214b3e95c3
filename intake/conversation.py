"""The state of one intake conversation: the draft ticket plus where the questioning stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from intake.extraction import Urgency
from intake.ticket import Ticket


class Phase(StrEnum):
    ASKING = "asking"  # questions still open
    DRAFTED = "drafted"  # the draft ticket is shown; Submit / Edit / Cancel
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


class Source(StrEnum):
    SLASH_COMMAND = "slash_command"
    MENTION = "mention"
    DM = "dm"
    SHORTCUT = "shortcut"
    HOME = "home"
    CLI = "cli"


@dataclass(frozen=True)
class Thread:
    """Where the conversation happens: a channel (or DM) and the root message's ts."""

    channel: str
    ts: str


@dataclass
class Conversation:
    """One intake. ``pending`` is the field of the question last asked and not yet answered;
    ``asked`` every field asked so far (in order), ``skipped`` the ones the requester skipped.
    ``question_ts`` / ``draft_ts`` are the bot's messages to update in place."""

    ticket: Ticket
    source: Source
    tz: str = "UTC"
    thread: Thread | None = None
    phase: Phase = Phase.ASKING
    pending: str | None = None
    asked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    urgency: Urgency = Urgency.NONE
    question_ts: str | None = None
    draft_ts: str | None = None
    card: Thread | None = None  # the review card in the review channel
    seen: dict[str, Any] | None = None  # the ticket as leads last saw it (to show changes)
    dismissed: list[str] = field(default_factory=list)  # similar asks marked "not the same"

    @property
    def questions_asked(self) -> int:
        return len(self.asked)


class AboutAsk:
    """A use case's outcome about one ask: its conversation, and the ticket in it."""

    conversation: Conversation

    @property
    def ticket(self) -> Ticket:
        return self.conversation.ticket
