"""The canonical scoped ticket: one schema for the bot, the terminal chat, export and storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_INFO = "needs_info"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Size(StrEnum):
    S = "S"
    M = "M"
    L = "L"
    XL = "XL"


class MilestoneStatus(StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"
    DONE = "done"


@dataclass(frozen=True)
class MilestoneChange:
    """One update of a milestone, kept so that old due dates and reasons are never lost.
    ``what`` is "status", "due", "added" or "removed"; ``old``/``new`` are the values as text
    (a status value, an ISO date, or a title)."""

    at: datetime
    actor: str
    what: str
    old: str
    new: str
    reason: str = ""


@dataclass
class Milestone:
    title: str
    due: date | None = None
    done_criterion: str = ""
    status: MilestoneStatus = MilestoneStatus.NOT_STARTED
    owner: str | None = None
    reason: str = ""  # why it is at risk or blocked (required for blocked)
    log: list[MilestoneChange] = field(default_factory=list)


@dataclass(frozen=True)
class TrackerLink:
    """Where an accepted ask (or one of its milestones) is tracked outside Slack: a GitHub
    issue, a Jira issue. Shown on the ask's card and Home tab."""

    label: str  # how the tracker names it: "acme/platform#12", "DBA-7"
    url: str
    tracker: str  # which: "github", "jira" (``intake.tracker.TrackerKind``'s values)


@dataclass
class LlmUsage:
    """What calls to an LLM cost: counted per ask, shown in the export and the log."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: LlmUsage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd = round(self.cost_usd + other.cost_usd, 6)


@dataclass
class HistoryEntry:
    """One change of an ask's status (``from_status == to_status`` for an assignment)."""

    at: datetime
    actor: str
    from_status: Status | None
    to_status: Status
    note: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """Every action someone tried on an ask, allowed or not: the audit trail.
    ``outcome`` is "ok", "denied" (not allowed for this person), "refused" (not possible in the
    ask's current status) or "no-op" (already done)."""

    at: datetime
    actor: str
    action: str
    outcome: str
    note: str = ""


# Fields of the canonical schema that a conversation can fill. Request types add their own
# fields on top of these (kept in ``Ticket.fields``).
CORE_FIELDS: tuple[str, ...] = (
    "title",
    "problem",
    "impact",
    "desired_outcome",
    "acceptance_criteria",
    "out_of_scope",
    "deadline",
    "environment",
    "services",
    "priority",
    "size",
)

LIST_FIELDS: frozenset[str] = frozenset(
    {"acceptance_criteria", "out_of_scope", "environment", "services"}
)


@dataclass
class Ticket:
    """A platform ask, from its first words to done.

    ``key`` is the short human ID (``PLAT-12``) given on submit; ``id`` is the storage row id.
    ``no_deadline`` records an explicit "no deadline" answer, which the definition of ready
    accepts in place of a date. ``fields`` holds what the request type adds (engine, role, ...).
    """

    requester: str
    category: str = "other"
    title: str = ""
    status: Status = Status.DRAFT
    problem: str = ""
    impact: str = ""
    desired_outcome: str = ""
    acceptance_criteria: list[str] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)
    deadline: date | None = None
    no_deadline: bool = False
    environment: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    priority: Priority | None = None
    size: Size | None = None
    milestones: list[Milestone] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    team_id: str = ""
    id: int | None = None
    key: str | None = None
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    owner: str | None = None  # the platform engineer who owns the accepted work
    decided_at: datetime | None = None  # first approve or decline after the last submit
    done_requested_at: datetime | None = None  # all milestones done: requester asked to confirm
    risks: list[str] = field(default_factory=list)
    rationale: str = ""  # one line for the lead: why this type, priority and size
    plan_warning: str = ""  # why the milestone plan was merged: a deadline too tight for it
    watchers: list[str] = field(default_factory=list)  # people who joined this ask as theirs too
    tracker: TrackerLink | None = None  # the tracker issue an accepted ask became (issue 19)
    # What the requester said in place of a value, by field: "not sure — “whatever you
    # recommend”". Shown to the lead; the definition of ready counts the field as answered.
    answer_notes: dict[str, str] = field(default_factory=dict)
    usage: LlmUsage = field(default_factory=LlmUsage)

    def get(self, name: str) -> Any:
        """The value of a core or request-type field, by name."""
        if name in CORE_FIELDS:
            return getattr(self, name)
        return self.fields.get(name)

    def set(self, name: str, value: Any) -> None:
        """Set a field; a value replaces what the requester had said instead of one."""
        if name in CORE_FIELDS:
            setattr(self, name, value)
        else:
            self.fields[name] = value
        if value not in (None, "", []):
            self.answer_notes.pop(name, None)

    def has(self, name: str) -> bool:
        """Whether a field holds an answer (a deadline counts as answered by "no deadline")."""
        if name == "deadline":
            return self.deadline is not None or self.no_deadline
        value = self.get(name)
        if value is None:
            return False
        if isinstance(value, str | list | tuple | dict):
            return len(value) > 0
        return True

    @property
    def label(self) -> str:
        """How people refer to the ask: its key once submitted, else "draft"."""
        return self.key or "draft"
