"""The database schema as typed SQLAlchemy ORM models, one module per group of tables:
``asks`` (the asks and what hangs off them), ``background`` (outboxes, job runs, people,
pacing, ...), ``slack_install`` (slack_sdk's install tables) on the shared ``columns``.

Rows are a storage detail: the repository maps them to and from the domain objects in
``intake`` (``Conversation``, ``Ticket``, ...), which never see SQLAlchemy. Enumerations are
stored as their string values. Every timestamp is timezone-aware UTC on the way out, on
PostgreSQL (``timestamptz``) and on SQLite (which keeps no offset) alike.

Importing ``storage.models`` registers every table on ``Base.metadata`` (Alembic and the drift
test read it), so the names stay importable from here. Any change needs a migration in
``storage/migrations/versions``; the drift test (tests/storage/test_migrations.py) fails while
models and migrations disagree.
"""

from storage.models.asks import (
    AskEmbeddingRow,
    AskMessageRow,
    AskRow,
    AuditRow,
    ConversationRow,
    CounterRow,
    HistoryRow,
    MilestoneRow,
    TranscriptRow,
)
from storage.models.background import (
    PROCESSED_KEY_MAX,
    QUEUE_KEY_MAX,
    JobRunRow,
    LlmDayRow,
    PaceRow,
    PersonRow,
    ProcessedKeyRow,
    QueueItemRow,
)
from storage.models.columns import (
    NAMING_CONVENTION,
    Base,
    JSONType,
    NullableJSONType,
    UTCDateTime,
)
from storage.models.slack_install import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES
from storage.models.trackers import TrackerLinkRow

__all__ = [
    "NAMING_CONVENTION",
    "PROCESSED_KEY_MAX",
    "QUEUE_KEY_MAX",
    "SLACK_BOTS",
    "SLACK_INSTALLATIONS",
    "SLACK_OAUTH_STATES",
    "AskEmbeddingRow",
    "AskMessageRow",
    "AskRow",
    "AuditRow",
    "Base",
    "ConversationRow",
    "CounterRow",
    "HistoryRow",
    "JSONType",
    "JobRunRow",
    "LlmDayRow",
    "MilestoneRow",
    "NullableJSONType",
    "PaceRow",
    "PersonRow",
    "ProcessedKeyRow",
    "QueueItemRow",
    "TrackerLinkRow",
    "TranscriptRow",
    "UTCDateTime",
]
