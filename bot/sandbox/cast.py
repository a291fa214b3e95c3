"""Who and what is in the sandbox's workspace: three people (one per role, in three time zones)
and the channels the bot works in."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.slack_api import FakeSlack

BOT_USER_ID = "UBOT"
BOT_NAME = "Platform Intake"
TEAM_TIMEZONE = "Europe/Berlin"  # INTAKE_TIMEZONE: the digest goes out at 09:00 here


@dataclass(frozen=True)
class Person:
    id: str
    name: str  # the handle: @alice
    real_name: str
    role: str  # what they do in the sandbox
    tz: str
    title: str  # a line under their name


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    topic: str


REQUESTER = Person(
    "U0ALICE", "alice", "Alice Berger", "requester", "Europe/Berlin", "Billing engineer · asks"
)
LEAD = Person(
    "U0LEE", "lee", "Lee Novak", "lead", "America/New_York", "Platform lead · reviews and approves"
)
OWNER = Person(
    "U0OWEN", "owen", "Owen Sato", "owner", "Asia/Tokyo", "Platform engineer · does the work"
)
PEOPLE: tuple[Person, ...] = (REQUESTER, LEAD, OWNER)

REQUESTS = Channel(
    "C0REQUESTS",
    "platform-requests",
    "Ask the platform team: /intake <what you need>, or @Platform Intake",
)
REVIEW = Channel(
    "C0REVIEW", "platform-review", "Review cards of submitted asks (leads decide here)"
)
DIGEST = Channel("C0DIGEST", "platform-digest", "The weekly digest, Mondays 09:00")
CHANNELS: tuple[Channel, ...] = (REQUESTS, REVIEW, DIGEST)


def person(user_id: str) -> Person | None:
    return next((p for p in PEOPLE if p.id == user_id), None)


def populate(fake: FakeSlack) -> None:
    """The people, the bot's profile and the channels, in the emulated workspace."""
    fake.add_user(BOT_USER_ID, "platform-intake", real_name=BOT_NAME, is_bot=True)
    for p in PEOPLE:
        fake.add_user(p.id, p.name, tz=p.tz, real_name=p.real_name)
    for c in CHANNELS:
        fake.add_channel(c.id, c.name)
