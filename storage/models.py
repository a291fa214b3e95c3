"""The database schema as typed SQLAlchemy ORM models.

Rows are a storage detail: the repository maps them to and from the domain objects in
``intake`` (``Conversation``, ``Ticket``, ...), which never see SQLAlchemy. Enumerations are
stored as their string values. Every timestamp is timezone-aware UTC on the way out, on
PostgreSQL (``timestamptz``) and on SQLite (which keeps no offset) alike.

Any change here needs a migration in ``storage/migrations/versions``; the drift test
(tests/storage/test_migrations.py) fails while models and migrations disagree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Explicit, predictable constraint names so both databases (and every migration) agree.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Longest processed key stored as given; longer ones are stored as their SHA-256.
PROCESSED_KEY_MAX = 255
# Longest key of an outgoing Slack message.
MESSAGE_KEY_MAX = 255


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that only accepts aware datetimes and always returns aware
    UTC ones. SQLite stores no offset, so values are converted to UTC on the way in and marked
    UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: storage needs timezone-aware times")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")
# The same for nullable columns: Python None is SQL NULL (not the JSON value ``null``).
NullableJSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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


class HistoryRow(Base):
    """Status changes; append-only."""

    __tablename__ = "history"
    __table_args__ = (Index(None, "ask_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(255))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)

    ask: Mapped[AskRow] = relationship(back_populates="history")


class TranscriptRow(Base):
    """Every line said in an intake, verbatim and whole."""

    __tablename__ = "transcript"
    __table_args__ = (Index(None, "ask_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)


class AuditRow(Base):
    """Every action someone tried on an ask, allowed or not; append-only."""

    __tablename__ = "audit"
    __table_args__ = (Index(None, "ask_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)


class OutboxRow(Base):
    """Integration events (webhooks) waiting for, or done with, delivery: the transactional
    outbox. Written in the transaction of the change it reports; ``id`` (never reused) is the
    order of delivery within an ask. Undelivered while ``delivered_at`` is NULL;
    ``next_attempt_at`` is when it may be tried (again), also pushed forward while a sender
    holds it (see ``storage.outbox``)."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        UniqueConstraint("event_id"),
        Index(None, "next_attempt_at"),
        Index(None, "ask_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class JobRunRow(Base):
    """One run of a scheduled job (a weekly digest, the nudges of a week, ...) for one period,
    claimed by exactly one replica: the unique ``(job, period)`` is the claim (see
    ``storage.job_runs.claim_run``)."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(255))  # the replica's id
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SlackOutboxRow(Base):
    """Slack messages waiting for, or done with, sending: the transactional outbox of the
    follow-through jobs (``storage.slack_outbox``). ``key`` (``kind:team:recipient:period``)
    makes each message exist once. Unsent while ``sent_at`` is NULL; ``next_attempt_at`` is
    when it may be tried (again), also pushed forward while a sender holds it;
    ``not_before`` is the earliest send time (a person's local morning). ``sending_at`` is
    set when a send starts: set without ``ts`` it means the outcome is unknown (a crash
    between sending and recording). Past the retry limit ``gave_up_at`` is set and the row
    is kept, to be reported."""

    __tablename__ = "slack_outbox"
    __table_args__ = (
        UniqueConstraint("key"),
        Index(None, "next_attempt_at"),
        Index(None, "sent_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(MESSAGE_KEY_MAX))
    kind: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))  # a channel ID, or a user ID for a DM
    thread_ts: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)  # {"text": ..., "blocks": [...]}
    lane: Mapped[str] = mapped_column(String(16), default="bulk", server_default=text("'bulk'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ts: Mapped[str | None] = mapped_column(String(64))  # the message's ts, as Slack answered
    channel_id_sent: Mapped[str | None] = mapped_column(String(64))  # e.g. the DM's D… id
    last_error: Mapped[str | None] = mapped_column(Text)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PersonRow(Base):
    """What the bot keeps about a person: their time zone (as Slack gave it, and when) and
    until when they snoozed follow-up nudges."""

    __tablename__ = "people"

    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tz: Mapped[str | None] = mapped_column(String(64))
    tz_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaceRow(Base):
    """The token bucket of one Web API method (or method and channel), shared by replicas
    (``storage.pace.SqlPaceStore``)."""

    __tablename__ = "pace"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    rate_per_minute: Mapped[float] = mapped_column(Float)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    successes_since_429: Mapped[int] = mapped_column(Integer)


class ProcessedKeyRow(Base):
    """Inbound deliveries (events, messages, clicks) already handled, for idempotency."""

    __tablename__ = "processed_keys"

    key: Mapped[str] = mapped_column(String(PROCESSED_KEY_MAX), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CounterRow(Base):
    """Per-workspace human ID counter: ``next_number`` is the number the next submit gets."""

    __tablename__ = "counters"

    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_number: Mapped[int] = mapped_column(Integer)


__all__ = [
    "MESSAGE_KEY_MAX",
    "NAMING_CONVENTION",
    "PROCESSED_KEY_MAX",
    "SLACK_BOTS",
    "SLACK_INSTALLATIONS",
    "SLACK_OAUTH_STATES",
    "AskMessageRow",
    "AskRow",
    "AuditRow",
    "Base",
    "ConversationRow",
    "CounterRow",
    "HistoryRow",
    "JSONType",
    "JobRunRow",
    "MilestoneRow",
    "NullableJSONType",
    "OutboxRow",
    "PaceRow",
    "PersonRow",
    "ProcessedKeyRow",
    "SlackOutboxRow",
    "TranscriptRow",
    "UTCDateTime",
]


class AskEmbeddingRow(Base):
    """An ask's embedding vector (when an LLM is configured), for similar-ask detection.
    ``source`` is the text that was embedded, so a changed ask is embedded again."""

    __tablename__ = "ask_embeddings"

    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    vector: Mapped[list[float]] = mapped_column(JSONType)


class SlackJobRow(Base):
    """A Slack request acknowledged by ``serve`` whose work waits for a worker
    (``INTAKE_DEFER_WORK``; see ``storage.jobs``). Deleted once done. ``claimed_at`` is NULL
    while queued; a claim older than the lease may be taken again."""

    __tablename__ = "slack_jobs"
    __table_args__ = (Index(None, "claimed_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    body: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


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


class LlmDayRow(Base):
    """LLM tokens spent per UTC day, shared by every replica (the per-day budget)."""

    __tablename__ = "llm_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tokens: Mapped[int] = mapped_column(Integer)


# -- multi-workspace install (SLACK_CLIENT_ID / SLACK_CLIENT_SECRET) ------------------------------
#
# The tables of slack_sdk's SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore
# (slack_sdk/oauth/installation_store/sqlalchemy and .../state_store/sqlalchemy), which read and
# write them through their own Table objects. Mirrored here column for column (names, types,
# lengths, nullability, index) so that migration 0005 creates them and the drift test covers
# them; tests/multiworkspace/test_stores.py checks the mirror against slack_sdk's definitions.
# storage does not import slack_sdk (one-way layers), hence the copy. Unlike the rest of the
# schema their times are naive UTC (``timestamp without time zone``): slack_sdk writes them so.

SLACK_INSTALLATIONS = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

SLACK_BOTS = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

SLACK_OAUTH_STATES = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
