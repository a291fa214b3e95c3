"""Milestones of accepted work: status updates, due-date changes, adding and removing one, and
who may make them. Pure Python; ``intake.milestone_service`` runs these in a transaction.

Every change is appended to the milestone's ``log`` (a ``MilestoneChange``), so an old due date
and the reason it moved, or why something was blocked, are never lost. A change that is not
possible raises a ``MilestoneRefusal`` whose message says why and what to do instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, datetime

from intake.lifecycle import Namer, ago
from intake.service import NotAllowed
from intake.ticket import Milestone, MilestoneChange, MilestoneStatus, Status, Ticket

MAX_MILESTONES = 12  # as many as the approve form holds
REASON_MAX = 500
TITLE_MAX = 150
CRITERION_MAX = 500
EDITABLE = frozenset({Status.ACCEPTED, Status.IN_PROGRESS})
NEEDS_REASON = frozenset({MilestoneStatus.BLOCKED})
KEEPS_REASON = frozenset({MilestoneStatus.AT_RISK, MilestoneStatus.BLOCKED})

M = MilestoneStatus
STATUS_WORDS = {
    M.NOT_STARTED: "not started",
    M.ON_TRACK: "on track",
    M.AT_RISK: "at risk",
    M.BLOCKED: "blocked",
    M.DONE: "done",
}


class MilestoneRefusal(NotAllowed):
    """A milestone change that did not happen, and why, in words for the person who tried.
    ``outcome`` is what the audit trail records. Like ``lifecycle.Refusal``, ``message`` fills
    in who made the change that explains it, and when."""

    outcome = "refused"

    def __init__(self, reason: str, change: MilestoneChange | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.change = change

    def message(self, name: Namer, now: datetime) -> str:
        if self.change is None:
            return self.reason
        return self.reason.format(who=name(self.change.actor), when=ago(self.change.at, now))

    def __str__(self) -> str:  # without a namer or a clock (logs, the terminal)
        if self.change is None:
            return self.reason
        when = f"on {self.change.at:%Y-%m-%d at %H:%M %Z}".rstrip()
        return self.reason.format(who=self.change.actor, when=when)


class MilestoneDenied(MilestoneRefusal):
    """The person may not make this change."""

    outcome = "denied"


class MilestoneUnchanged(MilestoneRefusal):
    """It already is that way (a second click)."""

    outcome = "no-op"


class StalePlan(MilestoneRefusal):
    """The message that was clicked shows a plan that has changed since (a milestone removed)."""


# -- who may change what ---------------------------------------------------------------------


def milestone_owner(ticket: Ticket, milestone: Milestone) -> str | None:
    """Who answers for a milestone: its own owner, else the ask's owner."""
    return milestone.owner or ticket.owner


def check_may_update(ticket: Ticket, index: int, actor: str, *, is_lead: bool) -> None:
    """The ask's owner, the milestone's owner or a platform lead may update a milestone."""
    if is_lead or actor == ticket.owner:
        return
    mine = 0 <= index < len(ticket.milestones) and (
        actor == milestone_owner(ticket, ticket.milestones[index])
    )
    if mine:
        return
    raise MilestoneDenied(
        "Only the milestone's owner, the ask's owner or a platform lead can update it."
    )


def check_may_replan(ticket: Ticket, actor: str, *, is_lead: bool) -> None:
    """The ask's owner or a platform lead may add or remove milestones."""
    if is_lead or actor == ticket.owner:
        return
    raise MilestoneDenied("Only the ask's owner or a platform lead can add or remove milestones.")


def check_editable(ticket: Ticket) -> None:
    """Milestones change while the work is accepted or in progress, not before or after."""
    if ticket.status in EDITABLE:
        return
    key = ticket.key or "This ask"
    if ticket.status is Status.DONE:
        raise MilestoneRefusal(
            f"{key} is done, so its milestones can't change. A platform lead can reopen it."
        )
    if ticket.status in (Status.DECLINED, Status.CANCELLED):
        raise MilestoneRefusal(
            f"{key} is {ticket.status.value}, so its milestones can't change any more."
        )
    raise MilestoneRefusal(
        f"{key} is not approved yet: its milestone plan is set when a platform lead approves it."
    )


def fingerprint(milestone: Milestone) -> str:
    """A short tag of a milestone's identity (its title), carried by its buttons so that a click
    on an old message never changes a different milestone after one was removed."""
    return hashlib.sha1(milestone.title.encode(), usedforsecurity=False).hexdigest()[:8]


def find(ticket: Ticket, index: int, tag: str | None = None) -> Milestone:
    """The milestone at ``index``, checked against the ``tag`` (fingerprint) its button had."""
    if not 0 <= index < len(ticket.milestones) or (
        tag is not None and fingerprint(ticket.milestones[index]) != tag
    ):
        raise StalePlan(
            "That milestone is no longer in the plan (it was removed or moved). "
            "Use the latest message about this ask."
        )
    return ticket.milestones[index]


# -- changes -------------------------------------------------------------------------------


def update_status(
    ticket: Ticket,
    index: int,
    status: MilestoneStatus,
    actor: str,
    now: datetime,
    reason: str = "",
) -> MilestoneChange:
    """Set a milestone's status. Blocked needs a reason; at risk may have one; the reason is
    kept in the log whatever the status (and on the milestone while it is at risk or blocked)."""
    check_editable(ticket)
    milestone = find(ticket, index)
    reason = _clean(reason, REASON_MAX)
    if status in NEEDS_REASON and not reason:
        raise MilestoneRefusal(
            "Say why it is blocked, so the requester and the platform leads know what it waits for."
        )
    if status is milestone.status and (
        status not in KEEPS_REASON or not reason or reason == milestone.reason
    ):
        last = _last(milestone, "status")
        words = STATUS_WORDS[status]
        if last is not None:
            raise MilestoneUnchanged(f"It is already {words}: set by {{who}} {{when}}.", last)
        raise MilestoneUnchanged(f"It is already {words}.")
    change = MilestoneChange(now, actor, "status", milestone.status.value, status.value, reason)
    milestone.status = status
    milestone.reason = reason if status in KEEPS_REASON else ""
    milestone.log.append(change)
    return change


def change_due(
    ticket: Ticket,
    index: int,
    new_due: date | None,
    reason: str,
    actor: str,
    now: datetime,
) -> MilestoneChange:
    """Move a milestone's due date (``None`` clears it). The reason is required; the old date
    and the reason stay in the log."""
    check_editable(ticket)
    milestone = find(ticket, index)
    if new_due == milestone.due:
        shown = new_due.isoformat() if new_due else "not set"
        raise MilestoneUnchanged(f"The due date is already {shown}.")
    reason = _clean(reason, REASON_MAX)
    if not reason:
        raise MilestoneRefusal(
            "Say why the date moves: the requester sees it, and the old date is kept with it."
        )
    change = MilestoneChange(now, actor, "due", _iso(milestone.due), _iso(new_due), reason)
    milestone.due = new_due
    milestone.log.append(change)
    return change


def add(ticket: Ticket, milestone: Milestone, actor: str, now: datetime) -> MilestoneChange:
    """Append a milestone to the plan (not started; owned by the ask's owner unless said)."""
    check_editable(ticket)
    title = _clean(milestone.title, TITLE_MAX)
    if not title:
        raise MilestoneRefusal("Give the milestone a title.")
    if len(ticket.milestones) >= MAX_MILESTONES:
        raise MilestoneRefusal(
            f"A plan holds at most {MAX_MILESTONES} milestones. Remove one, or combine two first."
        )
    change = MilestoneChange(now, actor, "added", "", title)
    added = replace(
        milestone,
        title=title,
        done_criterion=_clean(milestone.done_criterion, CRITERION_MAX),
        status=MilestoneStatus.NOT_STARTED,
        owner=milestone.owner or ticket.owner,
        reason="",
        log=[change],
    )
    ticket.milestones.append(added)
    return change


def remove(
    ticket: Ticket, index: int, actor: str, now: datetime, reason: str = ""
) -> tuple[Milestone, MilestoneChange]:
    """Take a milestone out of the plan. The removed milestone (with its log and the
    "removed" change appended) is returned for the caller to record; the plan keeps at
    least one milestone."""
    check_editable(ticket)
    milestone = find(ticket, index)
    if len(ticket.milestones) == 1:
        raise MilestoneRefusal(
            "This is the only milestone of the plan. Add another one first, or mark the ask done."
        )
    change = MilestoneChange(now, actor, "removed", milestone.title, "", _clean(reason, REASON_MAX))
    milestone.log.append(change)
    del ticket.milestones[index]
    return milestone, change


def all_done(ticket: Ticket) -> bool:
    """Every milestone of the plan is done (a plan with none is not)."""
    return bool(ticket.milestones) and all(
        m.status is MilestoneStatus.DONE for m in ticket.milestones
    )


def describe(change: MilestoneChange, title: str) -> str:
    """One line for the audit trail: what changed, from what to what, and why."""
    if change.what == "status":
        text = f"{title}: {_words(change.old)} -> {_words(change.new)}"
    elif change.what == "due":
        text = f"{title}: due {change.old or 'not set'} -> {change.new or 'not set'}"
    elif change.what == "added":
        text = f"added {title}"
    else:
        text = f"removed {title}"
    return f"{text} ({change.reason})" if change.reason else text


def _words(status: str) -> str:
    try:
        return STATUS_WORDS[MilestoneStatus(status)]
    except ValueError:
        return status


def _last(milestone: Milestone, what: str) -> MilestoneChange | None:
    for change in reversed(milestone.log):
        if change.what == what:
            return change
    return None


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _clean(text: str, limit: int) -> str:
    return text.strip()[:limit]
