"""Where an accepted ask lives in a tracker (GitHub, Jira): one row for the issue and one per
milestone sub-item (``storage.tracker_links``).

A row is written **before** the tracker is called, with the idempotency key the adapter puts
in what it creates (``issue_key``: ``intake-T123-42`` for the issue, ``intake-T123-42.m1`` for
a sub-item); the tracker's reference (``ref_key``, ``ref_id``, ``url``) is filled in once the
call returned. A worker that dies in between leaves the key, so the next attempt finds the
issue by it instead of creating a second one.

``suffix`` names a sub-item for good ("m1", "m2", ... in the order they were first planned;
"" is the issue itself); ``title`` is the milestone it was made for (milestones are known by
their title, as their buttons are: ``intake.milestones.fingerprint``), so removing or adding a
milestone never moves a sub-item onto another one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.columns import Base, UTCDateTime

ISSUE = ""  # the suffix of the issue's own row


class TrackerLinkRow(Base):
    __tablename__ = "tracker_links"
    __table_args__ = (
        UniqueConstraint("ask_id", "suffix"),
        UniqueConstraint("issue_key"),
        Index(None, "team_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(64))
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"))
    suffix: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    tracker: Mapped[str] = mapped_column(String(16))  # "github" or "jira"
    project: Mapped[str] = mapped_column(String(255))  # "acme/ci" or "DBA"
    issue_key: Mapped[str] = mapped_column(String(128))  # the idempotency key
    ref_key: Mapped[str | None] = mapped_column(String(64))  # "42" or "DBA-7"; None: not yet
    ref_id: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(255))  # "acme/ci#42", "DBA-7"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the link was posted in the requester's thread (the issue's row only).
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the tracker refused it (shown to leads), until a later attempt succeeds.
    refused: Mapped[str | None] = mapped_column(Text)
