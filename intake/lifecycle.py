"""The ask lifecycle: which action may move an ask from which status, and who may take it.

draft -> submitted -> (needs_info -> submitted)* -> accepted -> in_progress -> done,
with declined, cancelled, and reopen (declined -> submitted, done -> in_progress).

``apply`` is the only way a status changes. It refuses with a ``Refusal`` that says why in
words for people, and tells repeated clicks apart ("Approved by @lee 2 minutes ago").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from intake.ticket import HistoryEntry, Status, Ticket


class Action(StrEnum):
    SUBMIT = "submit"
    REQUEST_CHANGES = "request_changes"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    DECLINE = "decline"
    ASSIGN = "assign"
    START = "start"
    COMPLETE = "complete"
    REOPEN = "reopen"
    CANCEL = "cancel"


class Role(StrEnum):
    REQUESTER = "requester"
    LEAD = "lead"
    OWNER = "owner"
    WATCHER = "watcher"  # joined the ask as theirs too: sees it, takes no action


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | None  # None: the status stays (assign) or depends on the source (reopen)
    roles: frozenset[Role]
    done: str  # how people say it happened: "Approved"
    verb: str  # how people say the action: "approve"


S = Status


def _from(*statuses: Status) -> frozenset[Status]:
    return frozenset(statuses)


_IN_REVIEW = _from(S.SUBMITTED, S.NEEDS_INFO)
_WORKING = _from(S.ACCEPTED, S.IN_PROGRESS)
_OPEN = _IN_REVIEW | _WORKING  # submitted and not closed yet
_REQUESTER = frozenset({Role.REQUESTER})
_LEAD = frozenset({Role.LEAD})
_LEAD_OR_OWNER = frozenset({Role.LEAD, Role.OWNER})

RULES: dict[Action, Rule] = {
    Action.SUBMIT: Rule(_from(S.DRAFT), S.SUBMITTED, _REQUESTER, "Submitted", "submit"),
    Action.REQUEST_CHANGES: Rule(
        _from(S.SUBMITTED), S.NEEDS_INFO, _LEAD, "Changes requested", "request changes to"
    ),
    Action.RESUBMIT: Rule(_from(S.NEEDS_INFO), S.SUBMITTED, _REQUESTER, "Resubmitted", "resubmit"),
    Action.APPROVE: Rule(_IN_REVIEW, S.ACCEPTED, _LEAD, "Approved", "approve"),
    Action.DECLINE: Rule(_IN_REVIEW, S.DECLINED, _LEAD, "Declined", "decline"),
    Action.ASSIGN: Rule(_OPEN, None, _LEAD, "Assigned", "assign"),
    Action.START: Rule(_from(S.ACCEPTED), S.IN_PROGRESS, _LEAD_OR_OWNER, "Started", "start"),
    Action.COMPLETE: Rule(_WORKING, S.DONE, _LEAD_OR_OWNER, "Marked done", "mark done"),
    Action.REOPEN: Rule(_from(S.DECLINED, S.DONE), None, _LEAD, "Reopened", "reopen"),
    Action.CANCEL: Rule(_IN_REVIEW | {S.DRAFT}, S.CANCELLED, _REQUESTER, "Cancelled", "cancel"),
}
REOPENED_TO = {S.DECLINED: S.SUBMITTED, S.DONE: S.IN_PROGRESS}
ROLE_NAMES = {
    Role.REQUESTER: "the requester",
    Role.LEAD: "a platform lead",
    Role.OWNER: "the owner",
}
STATUS_WORDS = {
    S.DRAFT: "a draft",
    S.SUBMITTED: "waiting for review",
    S.NEEDS_INFO: "waiting for the requester's answers",
    S.ACCEPTED: "accepted",
    S.IN_PROGRESS: "in progress",
    S.DONE: "done",
    S.DECLINED: "declined",
    S.CANCELLED: "cancelled",
}

# A person's name as the adapter shows it (a Slack mention, or the plain ID in a terminal).
Namer = Callable[[str], str]


class Refusal(Exception):
    """An action that did not happen, and why. ``outcome`` is what the audit trail records."""

    outcome = "refused"

    def __init__(self, action: Action, reason: str, entry: HistoryEntry | None = None) -> None:
        super().__init__(reason)
        self.action = action
        self.reason = reason
        self.entry = entry  # the change that explains it, when there is one
        self.at: datetime | None = None  # when it was refused (set by the use case)

    def message(self, name: Namer, now: datetime | None = None) -> str:
        """For the person who tried: names and times filled in, "when" counted up to ``now``
        (default: when the use case refused it)."""
        if self.entry is None:
            return self.reason
        when = now or self.at or self.entry.at
        return self.reason.format(who=name(self.entry.actor), when=ago(self.entry.at, when))


class NotPermitted(Refusal):
    outcome = "denied"


class AlreadyDone(Refusal):
    outcome = "no-op"


class InvalidTransition(Refusal):
    outcome = "refused"


def roles_of(ticket: Ticket, user: str, *, is_lead: bool) -> frozenset[Role]:
    roles = set()
    if ticket.requester == user:
        roles.add(Role.REQUESTER)
    if is_lead:
        roles.add(Role.LEAD)
    if ticket.owner == user or any(m.owner == user for m in ticket.milestones):
        roles.add(Role.OWNER)
    if user in ticket.watchers:
        roles.add(Role.WATCHER)
    return frozenset(roles)


def check(ticket: Ticket, action: Action, roles: frozenset[Role]) -> None:
    """Raise the Refusal ``apply`` would raise, without changing anything (to decide whether
    to open a form at all)."""
    rule = RULES[action]
    if not roles & rule.roles:
        who = " or ".join(ROLE_NAMES[r] for r in sorted(rule.roles))
        raise NotPermitted(action, f"Only {who} can {rule.verb} this ask.")
    if ticket.status in rule.sources:
        return
    last = last_change(ticket)
    if rule.target is not None and ticket.status is rule.target and last is not None:
        raise AlreadyDone(action, f"{rule.done} by {{who}} {{when}}.", last)
    state = STATUS_WORDS[ticket.status]
    if last is not None and last.to_status is ticket.status:
        raise InvalidTransition(
            action,
            f"This ask is {state} ({RULE_DONE[ticket.status]} by {{who}} {{when}}), so it "
            f"can't be {_participle(rule)} now.",
            last,
        )
    raise InvalidTransition(action, f"This ask is {state}, so it can't be {_participle(rule)} now.")


def apply(
    ticket: Ticket,
    action: Action,
    actor: str,
    roles: frozenset[Role],
    now: datetime,
    note: str = "",
) -> HistoryEntry:
    """Take ``action`` on ``ticket``: change its status, record the history entry, keep the
    decision time. Raises a Refusal when the action is not allowed or not possible."""
    check(ticket, action, roles)
    source = ticket.status
    target = _target(action, source)
    entry = HistoryEntry(now, actor, source, target, note)
    ticket.history.append(entry)
    ticket.status = target
    if action is Action.SUBMIT:
        ticket.submitted_at = now
    if action in (Action.APPROVE, Action.DECLINE) and ticket.decided_at is None:
        ticket.decided_at = now
    if action is Action.REOPEN and target is S.SUBMITTED:
        ticket.submitted_at, ticket.decided_at = now, None  # a new review round
    return entry


def last_change(ticket: Ticket) -> HistoryEntry | None:
    """The entry that put the ask in its current status."""
    for entry in reversed(ticket.history):
        if entry.to_status is ticket.status and entry.from_status is not entry.to_status:
            return entry
    return None


def ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def _target(action: Action, source: Status) -> Status:
    rule = RULES[action]
    if action is Action.REOPEN:
        return REOPENED_TO[source]
    return rule.target if rule.target is not None else source


def _participle(rule: Rule) -> str:
    return {
        "request changes to": "sent back for changes",
        "mark done": "marked done",
        "submit": "submitted",
        "resubmit": "resubmitted",
    }.get(rule.verb, rule.done.lower())


RULE_DONE = {
    S.DRAFT: "started",
    S.SUBMITTED: "submitted",
    S.NEEDS_INFO: "sent back for changes",
    S.ACCEPTED: "approved",
    S.IN_PROGRESS: "started",
    S.DONE: "marked done",
    S.DECLINED: "declined",
    S.CANCELLED: "cancelled",
}
