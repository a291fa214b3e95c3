"""The tables of work done around asks rather than the asks themselves: the durable queue
(webhook deliveries, Slack messages, deferred commands and more), scheduled job runs, people,
Web API pacing, processed inbound keys and the daily LLM token budget."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.columns import Base, JSONType, NullableJSONType, UTCDateTime

# Longest processed key stored as given; longer ones are stored as their SHA-256.
PROCESSED_KEY_MAX = 255
# Longest key (and order key) of a queued item.
QUEUE_KEY_MAX = 255


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


class LlmDayRow(Base):
    """LLM tokens spent per UTC day, shared by every replica (the per-day budget)."""

    __tablename__ = "llm_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tokens: Mapped[int] = mapped_column(Integer)


class QueueItemRow(Base):
    """One piece of work to run later, of any kind (``storage.queue``): a Slack message, a
    webhook delivery, a deferred command, a tracker sync. Written in the transaction of the
    change it follows from. Pending while ``done_at`` and ``gave_up_at`` are NULL;
    ``run_at`` is when it may run (again), pushed forward by a lease while a runner holds it.
    ``key`` (optional, unique) makes an item exist once however often it is queued;
    ``order_key`` (optional) runs items sharing it one at a time, oldest first.
    ``started_at`` is set while an attempt runs: still set when the item is handed out again,
    the earlier attempt's outcome is unknown (its runner died)."""

    __tablename__ = "queue_items"
    __table_args__ = (
        UniqueConstraint("key"),
        Index(None, "run_at"),
        Index(None, "order_key"),
        Index(None, "kind", "done_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(QUEUE_KEY_MAX))
    order_key: Mapped[str | None] = mapped_column(String(QUEUE_KEY_MAX))
    team_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONType)
