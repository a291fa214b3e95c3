"""The registry of Slack messages that show an ask: which message (channel and ts) shows which
ask, as what kind of view, and for whom. ``bot.refresh`` reads it whenever an ask changes and
re-renders every message listed from the ask's current state, so no message the bot posted
about an ask stays stale.

A message is recorded right after Slack answered its post (before the bot replies further),
once: recording the same (ask, channel, ts) again changes nothing. ``shown`` keeps a digest of
what the bot last put in the message, so a re-render that would show the same is not sent. A
message that showed several asks (a weekly nudge) has one row per ask. A row is forgotten when
its message is gone (deleted in Slack) and goes with its ask.

Every function runs its own short transaction on the given engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import CursorResult, Engine, Table, delete, select, update

from storage.db import session_factory
from storage.models import AskMessageRow
from storage.statements import dialect_insert, from_row, inserted, require_aware

# The kinds of view (what the message is to its reader); bot.refresh renders each.
REVIEW_CARD: Final = "review_card"  # the card in the review channel
SUBMITTED: Final = "submitted"  # the requester's "Submitted as PLAT-1" in their intake thread
OWNER_DM: Final = "owner_dm"  # the ticket with its plan in the owner's DM
NUDGE: Final = "nudge"  # an owner's weekly nudge (may show milestones of several asks)
QUESTIONS: Final = "questions"  # a lead's questions in the requester's thread, with Edit ask
DONE_QUESTION: Final = "done_question"  # "Is it done for you?" to the requester, until answered
KINDS: Final = (REVIEW_CARD, SUBMITTED, OWNER_DM, NUDGE, QUESTIONS, DONE_QUESTION)

_TABLE = cast(Table, AskMessageRow.__table__)


@dataclass(frozen=True)
class AskMessage:
    team_id: str
    ask_id: int
    channel: str
    ts: str
    kind: str
    viewer: str | None
    created_at: datetime
    shown: str | None = None  # digest of what it last showed (None: unknown)


def record(
    engine: Engine,
    *,
    team_id: str,
    ask_id: int,
    channel: str,
    ts: str,
    kind: str,
    viewer: str | None,
    at: datetime,
    shown: str | None = None,
) -> bool:
    """Remember that the message ``ts`` in ``channel`` shows ask ``ask_id`` (``shown``: a
    digest of what it shows); False when it was recorded already."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of ask message {kind!r}")
    require_aware(at)
    values = {
        "team_id": team_id,
        "ask_id": ask_id,
        "channel": channel,
        "ts": ts,
        "kind": kind,
        "viewer": viewer,
        "created_at": at,
        "shown": shown,
    }
    with session_factory(engine)() as session, session.begin():
        statement = (
            dialect_insert(session, _TABLE)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["ask_id", "channel", "ts"])
        )
        return inserted(session, statement)


def of_ask(engine: Engine, ask_id: int) -> list[AskMessage]:
    """Every message recorded for the ask, oldest first."""
    query = (
        select(AskMessageRow)
        .where(AskMessageRow.ask_id == ask_id)
        .order_by(AskMessageRow.created_at, AskMessageRow.id)
    )
    with session_factory(engine)() as session:
        return [from_row(AskMessage, row) for row in session.scalars(query)]


def asks_in(engine: Engine, channel: str, ts: str) -> list[int]:
    """The asks one message shows (a nudge may show several)."""
    query = (
        select(AskMessageRow.ask_id)
        .where(AskMessageRow.channel == channel, AskMessageRow.ts == ts)
        .order_by(AskMessageRow.id)
    )
    with session_factory(engine)() as session:
        return list(session.scalars(query))


def mark_shown(engine: Engine, ask_id: int, channel: str, ts: str, shown: str | None) -> None:
    """What the message shows now, as far as the bot knows (None: unknown, e.g. after it was
    updated another way): the next re-render is compared with it."""
    with session_factory(engine)() as session, session.begin():
        session.execute(
            update(AskMessageRow)
            .where(
                AskMessageRow.ask_id == ask_id,
                AskMessageRow.channel == channel,
                AskMessageRow.ts == ts,
            )
            .values(shown=shown)
        )


def forget_older(engine: Engine, kind: str, before: datetime) -> int:
    """Stop keeping ``kind`` messages recorded before ``before`` (old weekly nudges: they stay
    as they were, and a click on one still brings it up to date). The rows removed."""
    with session_factory(engine)() as session, session.begin():
        result = cast(
            CursorResult[Any],
            session.execute(
                delete(AskMessageRow).where(
                    AskMessageRow.kind == kind, AskMessageRow.created_at < before
                )
            ),
        )
        return int(result.rowcount)


def forget(engine: Engine, channel: str, ts: str) -> int:
    """A message that is gone (deleted in Slack): it shows no ask any more. The rows removed."""
    with session_factory(engine)() as session, session.begin():
        result = cast(
            CursorResult[Any],
            session.execute(
                delete(AskMessageRow).where(
                    AskMessageRow.channel == channel, AskMessageRow.ts == ts
                )
            ),
        )
        return int(result.rowcount)
