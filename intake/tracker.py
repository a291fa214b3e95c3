"""The tracker port: an accepted ask becomes an issue in GitHub or Jira, its milestones sub-items.

Pure domain: what we create (``TrackerIssue`` with ``SubItem``s), what we get back
(``TrackerRef``, ``EnsuredIssue``), what the tracker says later (``TrackerState`` from a
``fetch``, ``TrackerChange`` from a webhook), and the ``Tracker`` protocol the adapters in
``trackers/`` implement.

Exactly once: every call that creates something takes an **idempotency key** (``issue_key``:
``intake-T123-42``; a sub-item's is ``sub_item_key(issue_key, "m1")``) and the adapter stores it
in what it creates (a label, a hidden marker). ``ensure_issue`` first looks for an issue that
carries the key and creates one only when there is none, so a second call — a retry, a second
replica, or a worker that created the issue and died before recording the ref — returns the
same issue. Errors are typed so that the job queue can tell "later" from "never".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

from intake.ticket import Ticket


class TrackerKind(StrEnum):
    GITHUB = "github"
    JIRA = "jira"


@dataclass(frozen=True)
class SubItem:
    """One milestone, created as a GitHub sub-issue or a Jira sub-task. ``suffix`` names it
    within its ask ("m1"); it must stay the same for the same milestone across retries."""

    suffix: str
    title: str
    due: date | None = None
    done_criterion: str = ""
    assignee_email: str | None = None


@dataclass(frozen=True)
class TrackerIssue:
    """What an ask becomes in a tracker, before it is rendered for that tracker."""

    title: str
    ask_key: str  # PLAT-12, the ask's human ID
    requester: str  # how the requester is shown (a name or e-mail)
    slack_url: str  # the requester's thread
    problem: str = ""
    impact: str = ""
    desired_outcome: str = ""
    acceptance_criteria: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    deadline: date | None = None
    environment: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    category: str = "other"
    priority: str | None = None  # P1..P4
    size: str | None = None  # S, M, L, XL
    assignee_email: str | None = None
    sub_items: tuple[SubItem, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels for type, priority and size (the idempotency label is added by the adapter)."""
        found = ["intake", f"type:{_label_part(self.category)}"]
        if self.priority:
            found.append(f"priority:{self.priority}")
        if self.size:
            found.append(f"size:{self.size}")
        return tuple(found)


@dataclass(frozen=True)
class TrackerRef:
    """Where an issue lives. ``key`` is what people say: the number on GitHub ("42"), the issue
    key in Jira ("DBA-7"); ``id`` is the tracker's own ID (GitHub's sub-issues API needs it)."""

    kind: TrackerKind
    project: str  # "acme/ci" or "DBA"
    key: str
    id: str
    url: str

    @property
    def label(self) -> str:
        """The link text: "acme/ci#42" or "DBA-7"."""
        return f"{self.project}#{self.key}" if self.kind is TrackerKind.GITHUB else self.key


@dataclass(frozen=True)
class EnsuredIssue:
    """The issue and, by suffix, the sub-item of each milestone."""

    ref: TrackerRef
    sub_items: dict[str, TrackerRef] = field(default_factory=dict)
    created: bool = False  # False when an earlier call had created it


@dataclass(frozen=True)
class ItemState:
    """An issue or sub-item as the tracker has it now (for the periodic reconcile)."""

    ref: TrackerRef
    closed: bool
    assignee: str | None = None  # the tracker's user: a GitHub login, a Jira account ID
    assignee_email: str | None = None  # when the tracker tells it
    suffix: str | None = None  # a sub-item's suffix, when its key is found on it


@dataclass(frozen=True)
class TrackerState:
    issue: ItemState
    sub_items: tuple[ItemState, ...] = ()


class ChangeKind(StrEnum):
    CLOSED = "closed"
    REOPENED = "reopened"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class TrackerChange:
    """Something a person did in the tracker, from a webhook. ``issue_key`` is the idempotency
    key found on the item (None: not one of ours); ``suffix`` says which sub-item (None: the
    issue itself)."""

    kind: ChangeKind
    ref: TrackerRef
    issue_key: str | None
    suffix: str | None = None
    assignee: str | None = None
    assignee_email: str | None = None
    actor: str = ""


class TrackerError(Exception):
    """A tracker call failed. ``retry`` says whether the same call may succeed later."""

    retry = False


class TrackerRateLimited(TrackerError):
    """The tracker said "not now": retry after ``retry_after_s`` seconds (from Retry-After or
    the rate-limit reset time). The adapter never sleeps that long itself."""

    retry = True

    def __init__(self, retry_after_s: float, detail: str = "") -> None:
        self.retry_after_s = max(0.0, retry_after_s)
        super().__init__(f"rate limited, retry after {self.retry_after_s:.0f} s {detail}".strip())


class TrackerUnavailable(TrackerError):
    """A timeout, a dropped connection or a 5xx: retry later with backoff."""

    retry = True


class TrackerRejected(TrackerError):
    """The tracker refused the request (bad token, no such project, invalid field): retrying
    the same call will not help; a person has to fix the configuration."""


class WebhookRejected(Exception):
    """A webhook delivery that is not from the tracker (bad or missing signature) or that
    cannot be read. ``reason`` is short and safe to log."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class WebhookMalformed(WebhookRejected):
    """A signed delivery whose body cannot be read (not a JSON object)."""


class Tracker(Protocol):
    """One tracker account (a GitHub token, a Jira site). ``project`` is a repository
    ("acme/ci") or a Jira project key ("DBA")."""

    kind: TrackerKind

    def ensure_issue(self, project: str, issue: TrackerIssue, issue_key: str) -> EnsuredIssue:
        """The issue carrying ``issue_key`` with a sub-item for every ``issue.sub_items``:
        what exists is found, what is missing is created, so calling it again after adding a
        milestone creates just that sub-item. Raises ``TrackerError``."""
        ...

    def fetch(self, ref: TrackerRef) -> TrackerState:
        """The issue and its sub-items as they are now, for the reconcile."""
        ...

    def set_closed(self, ref: TrackerRef, closed: bool) -> None:
        """Close or reopen an issue or sub-item (a milestone done in Slack)."""
        ...


_KEY_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _label_part(text: str) -> str:
    return _KEY_SAFE.sub("-", text.strip().lower()).strip("-") or "other"


def issue_key(team_id: str, ask_id: int) -> str:
    """The idempotency key of an ask: ``intake-T123-42``. Safe as a GitHub or Jira label (no
    spaces, under 50 characters)."""
    return f"intake-{_KEY_SAFE.sub('', team_id) or 'local'}-{ask_id}"


def sub_item_key(key: str, suffix: str) -> str:
    """A milestone's key: ``intake-T123-42.m1``."""
    return f"{key}.{suffix}"


def split_key(key: str) -> tuple[str, str | None]:
    """``intake-T123-42.m1`` -> (``intake-T123-42``, ``m1``); an issue's key has no suffix."""
    issue, dot, suffix = key.partition(".")
    return issue, (suffix if dot else None)


def issue_from_ticket(
    ticket: Ticket,
    *,
    slack_url: str,
    requester: str,
    owner_email: str | None,
    milestone_emails: dict[str, str] | None = None,
) -> TrackerIssue:
    """The tracker issue of an accepted ask. Milestone ``i`` (from 1) gets suffix ``m<i>``;
    ``milestone_emails`` maps a milestone owner (Slack user ID) to an e-mail."""
    emails = milestone_emails or {}
    subs = tuple(
        SubItem(
            suffix=f"m{number}",
            title=milestone.title,
            due=milestone.due,
            done_criterion=milestone.done_criterion,
            assignee_email=emails.get(milestone.owner or "") or owner_email,
        )
        for number, milestone in enumerate(ticket.milestones, start=1)
    )
    return TrackerIssue(
        title=ticket.title or ticket.problem[:80] or ticket.label,
        ask_key=ticket.label,
        requester=requester,
        slack_url=slack_url,
        problem=ticket.problem,
        impact=ticket.impact,
        desired_outcome=ticket.desired_outcome,
        acceptance_criteria=tuple(ticket.acceptance_criteria),
        out_of_scope=tuple(ticket.out_of_scope),
        deadline=ticket.deadline,
        environment=tuple(ticket.environment),
        services=tuple(ticket.services),
        category=ticket.category,
        priority=ticket.priority.value if ticket.priority else None,
        size=ticket.size.value if ticket.size else None,
        assignee_email=owner_email,
        sub_items=subs,
    )
