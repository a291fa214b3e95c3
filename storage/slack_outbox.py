"""Queued Slack messages (nudges, progress notes, weekly digests, ...): items of kind
``slack.message`` in the one durable queue (``storage.queue``), each sent exactly once by
``bot.sender``.

Follow a weekly nudge: decided in ``bot.followthrough``, queued here (``enqueue_message``) in
the transaction that claims the week's run (``storage.job_runs``), sent by ``bot.sender``.
The message's key is the item's (unique: a re-run queues nothing twice), ``not_before`` its
``run_at``, the interactive lane its higher ``priority``; once sent, the item's result is
``{"ts", "channel"}``. Also the reads monitoring and the digest show. Times are
timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, cast

from sqlalchemy import Engine, Table, and_, func, select
from sqlalchemy.orm import Session

from storage import queue
from storage.models import QueueItemRow
from storage.statements import require_aware

KIND: Final = "slack.message"
MAX_ATTEMPTS: Final = 8
PRIORITY: Final = {"bulk": 0, "interactive": 10}  # a person waiting goes first

_ITEMS = cast(Table, QueueItemRow.__table__)
_due_at = _ITEMS.c.payload["due"].as_string()  # when it became sendable: UTC ISO text, sortable


def due_text(at: datetime) -> str:
    """``at`` as the payload's ``due``: UTC ISO text of fixed width, so text order is time
    order in SQL on both dialects."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def enqueue_message(
    session: Session,
    *,
    key: str,
    kind: str,
    team_id: str,
    channel: str,
    payload: dict[str, Any],
    at: datetime,
    not_before: datetime | None = None,
    thread_ts: str | None = None,
    lane: str = "bulk",
    order_key: str | None = None,
) -> bool:
    """Queue a message in the session's transaction (``storage.queue.enqueue``: False when
    ``key``, e.g. ``"nudge:T1:U123:2026-W48"``, exists). ``kind``: nudge, progress, digest...;
    ``channel``: a channel, or a user ID for a DM; ``payload``: ``text`` and ``blocks``, plus
    ``tz`` for a person's waking hours and ``thread`` for replies posted under it once sent;
    ``lane``: "bulk" or "interactive"; ``order_key``: such messages go out one at a time."""
    if lane not in PRIORITY:
        raise ValueError(f"lane must be one of {tuple(PRIORITY)}, not {lane!r}")
    require_aware(at)
    if not_before is not None:
        require_aware(not_before, "not_before")
    due = max(at, not_before) if not_before is not None else at
    return queue.enqueue(
        session,
        KIND,
        {
            "what": kind,
            "channel": channel,
            "thread_ts": thread_ts,
            "message": payload,
            "due": due_text(due),
        },
        at=at,
        key=key,
        run_at=due,
        order_key=order_key,
        team_id=team_id,
        priority=PRIORITY[lane],
        max_attempts=MAX_ATTEMPTS,
    )


def given_up(engine: Engine, since: datetime, *, team_id: str | None = None) -> list[queue.GivenUp]:
    """Messages given up since ``since`` (``storage.queue.given_up``): the weekly digest's."""
    return queue.given_up(engine, [KIND], since, team_id=team_id)


def given_up_count(engine: Engine) -> int:
    """How many messages were ever given up (and kept)."""
    query = select(func.count()).where(_ITEMS.c.kind == KIND, _ITEMS.c.gave_up_at.is_not(None))
    with engine.connect() as connection:
        return int(connection.scalar(query) or 0)


def outbox_depth(engine: Engine, now: datetime) -> tuple[int, float | None]:
    """``(pending, oldest age)`` for monitoring: how many messages are sendable now (queued,
    and past their ``not_before``) and not sent or given up, and the seconds since the oldest
    became sendable (None: none). A growing age: the sender is stuck or Slack keeps refusing."""
    require_aware(now)
    query = select(func.count(), func.min(_due_at)).where(
        _ITEMS.c.kind == KIND,
        and_(_ITEMS.c.done_at.is_(None), _ITEMS.c.gave_up_at.is_(None)),
        _due_at <= due_text(now),
    )
    with engine.connect() as connection:
        count, oldest = connection.execute(query).one()
    if not count or oldest is None:
        return 0, None
    age = (now - datetime.fromisoformat(str(oldest))).total_seconds()
    return int(count), max(age, 0.0)
