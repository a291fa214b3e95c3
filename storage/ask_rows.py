"""Ask rows to domain objects and back, for ``storage.repository``.

Rows map to fresh domain objects on every read (changing a returned object changes nothing
until it is written back), and ``write_ask`` writes a conversation into its rows:

* every ticket and conversation field is written; ``updated_at`` advances;
* milestones are replaced by position (rows at kept positions are updated in place, so their
  ids stay; extra rows are deleted, new ones inserted);
* history is append-only: entries beyond those stored are inserted, stored ones never change;
* a milestone's change log is a JSON list (``at`` as an ISO UTC time) read back as
  ``MilestoneChange`` objects with aware UTC times;
* ``number`` is the numeric suffix of ``key`` (``PLAT-12`` -> 12).

``fields`` values (and the conversation's ``seen`` snapshot) may hold dates and datetimes;
they are stored as tagged ISO strings (``{"$date": "2025-03-01"}``) and come back as
``date`` / ``datetime``. The review card is stored as ``card_channel`` / ``card_ts``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm.attributes import flag_modified

from intake.conversation import Conversation, Phase, Source, Thread
from intake.extraction import Urgency
from intake.ticket import (
    HistoryEntry,
    LlmUsage,
    Milestone,
    MilestoneChange,
    MilestoneStatus,
    Priority,
    Size,
    Status,
    Ticket,
    TrackerLink,
)
from storage.models import AskRow, ConversationRow, HistoryRow, MilestoneRow
from storage.statements import from_row

_NUMBER = re.compile(r"(\d+)$")


def key_number(key: str | None) -> int | None:
    """The number of a human ID: ``PLAT-12`` -> 12; None without a numeric suffix."""
    if key is None:
        return None
    match = _NUMBER.search(key)
    return int(match.group(1)) if match else None


# -- JSON encoding of ``fields`` ----------------------------------------------------------------


def encode_json(value: Any) -> Any:
    """``value`` with dates and datetimes as tagged ISO strings (reversed by ``decode_json``).
    Dicts with a ``$``-key of their own are wrapped so they are never mistaken for a tag."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        encoded = {str(k): encode_json(v) for k, v in value.items()}
        if any(k.startswith("$") for k in encoded):
            return {"$dict": encoded}
        return encoded
    if isinstance(value, list | tuple):
        return [encode_json(v) for v in value]
    return value


def decode_json(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, inner),) = value.items()
            if tag == "$date":
                return date.fromisoformat(inner)
            if tag == "$datetime":
                return datetime.fromisoformat(inner)
            if tag == "$dict":
                return {k: decode_json(v) for k, v in inner.items()}
        return {k: decode_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_json(v) for v in value]
    return value


# -- milestone change logs ------------------------------------------------------------------


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: storage needs timezone-aware times")
    return at.astimezone(UTC)


def encode_milestone_log(log: Sequence[MilestoneChange]) -> list[dict[str, str]]:
    """A milestone's change log as plain JSON (times as ISO UTC strings); ValueError for a
    naive time."""
    return [
        {
            "at": _utc(change.at).isoformat(),
            "actor": change.actor,
            "what": change.what,
            "old": change.old,
            "new": change.new,
            "reason": change.reason,
        }
        for change in log
    ]


def decode_milestone_log(log: Sequence[dict[str, Any]] | None) -> list[MilestoneChange]:
    """The reverse of ``encode_milestone_log``: aware UTC times."""
    changes = []
    for entry in log or ():
        at = datetime.fromisoformat(entry["at"])
        changes.append(
            MilestoneChange(
                at=at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC),
                actor=str(entry.get("actor", "")),
                what=str(entry.get("what", "")),
                old=str(entry.get("old", "")),
                new=str(entry.get("new", "")),
                reason=str(entry.get("reason", "")),
            )
        )
    return changes


# -- rows -> domain ---------------------------------------------------------------------------


def to_ticket(row: AskRow, *, brief: bool = False) -> Ticket:
    """The row's ticket; ``brief``: without milestones and history (left empty, not read)."""
    return from_row(
        Ticket,
        row,
        status=Status(row.status),
        acceptance_criteria=list(row.acceptance_criteria),
        out_of_scope=list(row.out_of_scope),
        environment=list(row.environment),
        services=list(row.services),
        links=list(row.links),
        fields=decode_json(row.fields),
        priority=Priority(row.priority) if row.priority is not None else None,
        size=Size(row.size) if row.size is not None else None,
        risks=list(row.risks or []),
        rationale=row.rationale or "",
        plan_warning=row.plan_warning or "",
        watchers=list(row.watchers or []),
        tracker=(
            TrackerLink(
                row.tracker_issue.label or "",
                row.tracker_issue.url or "",
                row.tracker_issue.tracker,
            )
            if row.tracker_issue is not None
            else None
        ),
        answer_notes=dict(row.answer_notes or {}),
        usage=LlmUsage(**(row.usage or {})),
        milestones=[] if brief else [_milestone(m) for m in row.milestones],
        history=[] if brief else [_history_entry(h) for h in row.history],
    )


def _milestone(m: MilestoneRow) -> Milestone:
    return from_row(Milestone, m, status=MilestoneStatus(m.status), log=decode_milestone_log(m.log))


def _history_entry(h: HistoryRow) -> HistoryEntry:
    from_status = Status(h.from_status) if h.from_status is not None else None
    return from_row(HistoryEntry, h, from_status=from_status, to_status=Status(h.to_status))


def to_conversation(row: AskRow) -> Conversation:
    c = row.conversation
    thread = (
        Thread(channel=c.channel, ts=c.thread_ts)
        if c.channel is not None and c.thread_ts is not None
        else None
    )
    card = (
        Thread(channel=c.card_channel, ts=c.card_ts)
        if c.card_channel is not None and c.card_ts is not None
        else None
    )
    return Conversation(
        ticket=to_ticket(row),
        source=Source(c.source),
        tz=c.tz,
        thread=thread,
        phase=Phase(c.phase),
        pending=c.pending,
        asked=list(c.asked),
        skipped=list(c.skipped),
        urgency=Urgency(c.urgency),
        question_ts=c.question_ts,
        draft_ts=c.draft_ts,
        card=card,
        seen=decode_json(c.seen) if c.seen is not None else None,
        dismissed=list(c.dismissed or []),
    )


# -- domain -> rows ---------------------------------------------------------------------------


# Written as they are, and as a fresh list (the row never shares a mutable list with the
# domain object); ``write_ask`` converts the rest.
_TICKET_AS_IS = (
    "team_id",
    "key",
    "requester",
    "category",
    "title",
    "problem",
    "impact",
    "desired_outcome",
    "deadline",
    "no_deadline",
    "submitted_at",
    "owner",
    "decided_at",
    "done_requested_at",
    "rationale",
    "plan_warning",
)
_TICKET_LISTS = (
    "acceptance_criteria",
    "out_of_scope",
    "environment",
    "services",
    "links",
    "risks",
    "watchers",
)
_CONVERSATION_AS_IS = ("tz", "pending", "question_ts", "draft_ts")
_CONVERSATION_LISTS = ("asked", "skipped", "dismissed")
_MILESTONE_AS_IS = ("title", "due", "done_criterion", "owner", "reason")


def _copy(row: object, source: object, as_is: Sequence[str], lists: Sequence[str] = ()) -> None:
    """The attributes named in ``as_is`` and ``lists`` from ``source`` onto ``row``."""
    for name in as_is:
        setattr(row, name, getattr(source, name))
    for name in lists:
        setattr(row, name, list(getattr(source, name)))


def write_ask(row: AskRow, conversation: Conversation, now: datetime) -> None:
    t = conversation.ticket
    _copy(row, t, _TICKET_AS_IS, _TICKET_LISTS)
    row.number = key_number(t.key)
    row.status = Status(t.status).value
    row.fields = encode_json(t.fields)
    row.priority = Priority(t.priority).value if t.priority is not None else None
    row.size = Size(t.size).value if t.size is not None else None
    if t.created_at is not None:
        row.created_at = t.created_at
    row.answer_notes = dict(t.answer_notes)
    row.usage = dataclasses.asdict(t.usage)
    row.updated_at = now
    # Always part of the UPDATE, so the version advances even when only children changed.
    flag_modified(row, "updated_at")

    c = row.conversation
    if c is None:
        c = row.conversation = ConversationRow()
    _copy(c, conversation, _CONVERSATION_AS_IS, _CONVERSATION_LISTS)
    c.team_id = t.team_id
    c.source = Source(conversation.source).value
    c.channel = conversation.thread.channel if conversation.thread else None
    c.thread_ts = conversation.thread.ts if conversation.thread else None
    c.phase = Phase(conversation.phase).value
    c.urgency = Urgency(conversation.urgency).value
    c.card_channel = conversation.card.channel if conversation.card else None
    c.card_ts = conversation.card.ts if conversation.card else None
    # A new object every time: the row never shares (mutable) state with the domain object.
    c.seen = encode_json(conversation.seen) if conversation.seen is not None else None

    _write_milestones(row, t.milestones)
    _write_history(row, t.history)


def _write_milestones(row: AskRow, milestones: Sequence[Milestone]) -> None:
    rows = list(row.milestones)
    for position, milestone in enumerate(milestones):
        if position < len(rows):
            m = rows[position]
        else:
            m = MilestoneRow(position=position)
            rows.append(m)
        m.position = position
        _copy(m, milestone, _MILESTONE_AS_IS)
        m.status = MilestoneStatus(milestone.status).value
        m.log = encode_milestone_log(milestone.log)  # a new list: never shared with the domain
    row.milestones = rows[: len(milestones)]


def _write_history(row: AskRow, history: Sequence[HistoryEntry]) -> None:
    stored = len(row.history)
    if len(history) < stored:
        raise ValueError(
            f"ask {row.id}: history is append-only ({stored} entries stored, {len(history)} given)"
        )
    for entry in history[stored:]:
        row.history.append(
            HistoryRow(
                at=entry.at,
                actor=entry.actor,
                from_status=Status(entry.from_status).value if entry.from_status else None,
                to_status=Status(entry.to_status).value,
                note=entry.note,
            )
        )
