"""The tables of asks: the ask itself, its conversation, milestones, history, transcript,
audit trail, embedding and the Slack messages that show it, and the per-workspace counter
that numbers asks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from storage.models.columns import Base, JSONType, NullableJSONType, UTCDateTime
from storage.models.trackers import TrackerLinkRow


class AskRow(Base):
    """One ask: the ticket's fields. ``number`` is the numeric part of ``key`` (``PLAT-12`` ->
    12), set on submit; ``version_id`` is the optimistic-concurrency counter."""

    __tablename__ = "asks"
    __table_args__ = (
        UniqueConstraint("team_id", "number"),
        UniqueConstraint("team_id", "key"),
        Index(None, "team_id"),
        Index(None, "requester"),
        # Ids appear in Slack buttons: never hand out one again (PostgreSQL sequences don't).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int | None] = mapped_column(Integer)
    key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    requester: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    problem: Mapped[str] = mapped_column(Text)
    impact: Mapped[str] = mapped_column(Text)
    desired_outcome: Mapped[str] = mapped_column(Text)
    acceptance_criteria: Mapped[list[str]] = mapped_column(JSONType)
    out_of_scope: Mapped[list[str]] = mapped_column(JSONType)
    environment: Mapped[list[str]] = mapped_column(JSONType)
    services: Mapped[list[str]] = mapped_column(JSONType)
    links: Mapped[list[str]] = mapped_column(JSONType)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    deadline: Mapped[date | None] = mapped_column(Date)
    no_deadline: Mapped[bool] = mapped_column(Boolean)
    priority: Mapped[str | None] = mapped_column(String(8))
    size: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # All milestones done: when the requester was asked to confirm the ask is done.
    done_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    risks: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default=text("'[]'"))
    rationale: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    # Why the draft's milestone plan was merged: a deadline too tight for it (empty: it fit).
    plan_warning: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    watchers: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default=text("'[]'"))
    # What the requester said in place of a value, by field name (see Ticket.answer_notes).
    answer_notes: Mapped[dict[str, str]] = mapped_column(
        JSONType, default=dict, server_default=text("'{}'")
    )
    # LLM calls made for this ask: {"calls", "prompt_tokens", "completion_tokens", "cost_usd"}.
    usage: Mapped[dict[str, Any]] = mapped_column(
        JSONType, default=dict, server_default=text("'{}'")
    )
    version_id: Mapped[int] = mapped_column(Integer)

    # Every ask has its conversation row: loaded in the same query (an inner join).
    conversation: Mapped[ConversationRow] = relationship(
        back_populates="ask", cascade="all, delete-orphan", lazy="joined", innerjoin=True
    )
    milestones: Mapped[list[MilestoneRow]] = relationship(
        back_populates="ask",
        cascade="all, delete-orphan",
        order_by="MilestoneRow.position",
        lazy="selectin",
    )
    history: Mapped[list[HistoryRow]] = relationship(
        back_populates="ask",
        cascade="all, delete-orphan",
        order_by=lambda: [HistoryRow.at, HistoryRow.id],
        lazy="selectin",
    )

    # The tracker issue the ask became (written by storage.tracker_links), read with it.
    tracker_issue: Mapped[TrackerLinkRow | None] = relationship(
        primaryjoin="and_(AskRow.id == foreign(TrackerLinkRow.ask_id), "
        "TrackerLinkRow.suffix == '', TrackerLinkRow.url.is_not(None))",
        viewonly=True,
        uselist=False,
        lazy="selectin",
    )

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012


class ConversationRow(Base):
    """Where the intake conversation stands (1:1 with its ask). ``team_id`` repeats the ask's
    so a thread is unique per workspace: ``(team_id, channel, thread_ts)``."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("team_id", "channel", "thread_ts"),)

    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    tz: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(64))
    thread_ts: Mapped[str | None] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(32))
    pending: Mapped[str | None] = mapped_column(String(255))
    asked: Mapped[list[str]] = mapped_column(JSONType)
    skipped: Mapped[list[str]] = mapped_column(JSONType)
    urgency: Mapped[str] = mapped_column(String(32))
    question_ts: Mapped[str | None] = mapped_column(String(64))
    draft_ts: Mapped[str | None] = mapped_column(String(64))
    # The review card in the review channel (both set, or both NULL).
    card_channel: Mapped[str | None] = mapped_column(String(64))
    card_ts: Mapped[str | None] = mapped_column(String(64))
    # The ticket as leads last saw it (JSON, encoded like ``asks.fields``).
    seen: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONType)
    dismissed: Mapped[list[str]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )

    ask: Mapped[AskRow] = relationship(back_populates="conversation")


class MilestoneRow(Base):
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("ask_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    due: Mapped[date | None] = mapped_column(Date)
    done_criterion: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str | None] = mapped_column(String(255))
    # Why it is at risk or blocked.
    reason: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    # Every change, oldest first: [{"at": ISO UTC, "actor", "what", "old", "new", "reason"}].
    log: Mapped[list[dict[str, str]]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )

    ask: Mapped[AskRow] = relationship(back_populates="milestones")


class _AskLog:
    """The first columns of an ask's append-only logs (history, transcript, audit): the line,
    its ask (indexed) and when it happened."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index]:
        return (Index(None, "ask_id"),)

    # Mixin columns would come last; sort_order keeps them first, as the migrations made them.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-3)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"), sort_order=-2)
    at: Mapped[datetime] = mapped_column(UTCDateTime, sort_order=-1)


class HistoryRow(_AskLog, Base):
    """Status changes; append-only."""

    __tablename__ = "history"

    actor: Mapped[str] = mapped_column(String(255))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)

    ask: Mapped[AskRow] = relationship(back_populates="history")


class TranscriptRow(_AskLog, Base):
    """Every line said in an intake, verbatim and whole."""

    __tablename__ = "transcript"

    author: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)


class AuditRow(_AskLog, Base):
    """Every action someone tried on an ask, allowed or not; append-only."""

    __tablename__ = "audit"

    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)


class AskEmbeddingRow(Base):
    """An ask's embedding vector (when an LLM is configured), for similar-ask detection.
    ``source`` is the text that was embedded, so a changed ask is embedded again."""

    __tablename__ = "ask_embeddings"

    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    vector: Mapped[list[float]] = mapped_column(JSONType)


class AskMessageRow(Base):
    """A Slack message the bot posted that shows an ask (its review card, the requester's
    "Submitted" message, the owner's DM, a weekly nudge): the registry ``bot.refresh`` reads
    to re-render each of them when the ask changes (``storage.ask_messages``). ``viewer`` is
    whom the message is for (their time zone and role), None for a channel's card."""

    __tablename__ = "ask_messages"
    __table_args__ = (
        UniqueConstraint("ask_id", "channel", "ts"),
        Index(None, "channel", "ts"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(64))
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))  # the channel ID Slack answered (D… for a DM)
    ts: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    viewer: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A digest of what the bot last showed in it (None: unknown): a re-render that would show
    # the same is not sent again (chat.update is rate-limited).
    shown: Mapped[str | None] = mapped_column(String(64))


class CounterRow(Base):
    """Per-workspace human ID counter: ``next_number`` is the number the next submit gets."""

    __tablename__ = "counters"

    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_number: Mapped[int] = mapped_column(Integer)
