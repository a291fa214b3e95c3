"""Use cases of the platform team: approve, request changes, decline, assign, start, complete,
reopen; and the requester's cancel after submit.

Each runs in one transaction: the lifecycle decides, the ask and its history are saved, the
attempt lands in the audit trail (refused and denied ones too) and an integration event is
queued. When two leads act at the same moment, the loser's transaction conflicts, is run
again on fresh data, and is refused with the decision that won.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from intake import events, lifecycle
from intake.clock import Clock
from intake.conflicts import retry_on_conflict
from intake.conversation import AboutAsk, Conversation, Thread
from intake.export import to_dict
from intake.lifecycle import Action, Refusal
from intake.milestones import MilestoneRefusal
from intake.ports import UnitOfWork, UnitOfWorkFactory
from intake.scoping import TeamScoped
from intake.service import NotFound
from intake.ticket import AuditEntry, HistoryEntry, Milestone, Priority, Size, Status, Ticket

# What a lead compares when an ask comes back: the fields of the scoped ticket.
COMPARED = (
    ("title", "Title"),
    ("problem", "Problem"),
    ("impact", "Impact"),
    ("desired_outcome", "Desired outcome"),
    ("acceptance_criteria", "Acceptance criteria"),
    ("out_of_scope", "Out of scope"),
    ("deadline", "Deadline"),
    ("no_deadline", "Deadline"),
    ("environment", "Environment"),
    ("services", "Services"),
    ("priority", "Priority"),
    ("size", "Size"),
    ("milestones", "Milestones"),
    ("fields", "Details"),
)


@dataclass
class Decision(AboutAsk):
    """What an action changed: the ask after it, and the history entry it added."""

    conversation: Conversation
    action: Action
    entry: HistoryEntry
    previous_owner: str | None = None


@dataclass(eq=False)
class ReviewService(TeamScoped):
    uow_factory: UnitOfWorkFactory
    clock: Clock

    def check(self, *, ask_id: int, actor: str, is_lead: bool, action: Action) -> Conversation:
        """Before opening a form for ``action``: the ask, or the Refusal the action would get
        (recorded in the audit trail)."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = load_ask(uow, ask_id)
            roles = lifecycle.roles_of(conversation.ticket, actor, is_lead=is_lead)
            with refusals_recorded(uow, ask_id, now, actor, action.value):
                lifecycle.check(conversation.ticket, action, roles)
        return conversation

    def approve(
        self,
        *,
        ask_id: int,
        actor: str,
        is_lead: bool,
        owner: str,
        priority: Priority | None,
        size: Size | None,
        milestones: list[Milestone],
    ) -> Decision:
        def accept(ticket: Ticket) -> None:
            ticket.owner = owner
            ticket.priority = priority or ticket.priority
            ticket.size = size or ticket.size
            if [(m.title, m.due) for m in milestones] != [
                (m.title, m.due) for m in ticket.milestones
            ]:
                ticket.plan_warning = ""  # the lead's plan: the draft's warning was about another
            ticket.milestones = [
                Milestone(m.title, m.due, m.done_criterion, m.status, m.owner or owner)
                for m in milestones
            ]

        return self._act(ask_id, actor, is_lead, Action.APPROVE, "", accept)

    def request_changes(
        self, *, ask_id: int, actor: str, is_lead: bool, questions: str
    ) -> Decision:
        return self._act(ask_id, actor, is_lead, Action.REQUEST_CHANGES, questions, remember=True)

    def decline(self, *, ask_id: int, actor: str, is_lead: bool, reason: str) -> Decision:
        return self._act(ask_id, actor, is_lead, Action.DECLINE, reason)

    def assign(self, *, ask_id: int, actor: str, is_lead: bool, owner: str) -> Decision:
        def reassign(ticket: Ticket) -> None:
            for milestone in ticket.milestones:
                if milestone.owner in (None, ticket.owner):
                    milestone.owner = owner
            ticket.owner = owner

        return self._act(ask_id, actor, is_lead, Action.ASSIGN, f"owner: {owner}", reassign)

    def start(self, *, ask_id: int, actor: str, is_lead: bool) -> Decision:
        return self._act(ask_id, actor, is_lead, Action.START, "")

    def complete(self, *, ask_id: int, actor: str, is_lead: bool) -> Decision:
        return self._act(ask_id, actor, is_lead, Action.COMPLETE, "")

    def reopen(self, *, ask_id: int, actor: str, is_lead: bool, reason: str = "") -> Decision:
        return self._act(ask_id, actor, is_lead, Action.REOPEN, reason)

    def cancel(self, *, ask_id: int, actor: str) -> Decision:
        return self._act(ask_id, actor, False, Action.CANCEL, "Cancelled by the requester")

    def attach_card(self, ask_id: int, card: Thread) -> None:
        """Where the ask's review card is, to update it in place."""
        self._update(ask_id, lambda c: setattr(c, "card", card))

    def audit(self, ask_id: int) -> list[AuditEntry]:
        with self.uow_factory() as uow:
            return uow.audit(ask_id)

    def find_visible(
        self, key: str, *, team_id: str, user: str, is_lead: bool
    ) -> Conversation | None:
        """The ask with this ID if ``user`` may see it (requester, owners, leads); None when
        it does not exist or they may not: the two look the same from outside."""
        with self.uow_factory() as uow:
            conversation = uow.asks.by_key(key, team_id)
        if conversation is None or not visible_to(conversation.ticket, user, is_lead=is_lead):
            return None
        return conversation

    # -- internals --------------------------------------------------------------------------

    @retry_on_conflict
    def _act(
        self,
        ask_id: int,
        actor: str,
        is_lead: bool,
        action: Action,
        note: str,
        change: Callable[[Ticket], None] | None = None,
        *,
        remember: bool = False,
    ) -> Decision:
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = load_ask(uow, ask_id)
            ticket = conversation.ticket
            previous_owner = ticket.owner
            roles = lifecycle.roles_of(ticket, actor, is_lead=is_lead)
            if remember:  # what the lead saw when asking: to show what changed when it returns
                conversation.seen = snapshot(ticket)
            with refusals_recorded(uow, ask_id, now, actor, action.value):
                entry = lifecycle.apply(ticket, action, actor, roles, now, note)
            if change is not None:
                change(ticket)
            record_attempt(uow, ask_id, now, actor, action.value, "ok", note)
            uow.enqueue_event(ask_id, events.status_changed(ticket, entry), now)
            uow.asks.save(conversation)
            uow.commit()
        return Decision(conversation, action, entry, previous_owner)

    @retry_on_conflict
    def _update(self, ask_id: int, change: Callable[[Conversation], None]) -> None:
        with self.uow_factory() as uow:
            conversation = load_ask(uow, ask_id)
            change(conversation)
            uow.asks.save(conversation)
            uow.commit()


def visible_to(ticket: Ticket, user: str, *, is_lead: bool) -> bool:
    return bool(lifecycle.roles_of(ticket, user, is_lead=is_lead))


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """The compared fields of a ticket as plain JSON-able data."""
    data = to_dict(ticket)
    return {name: data[name] for name, _label in COMPARED}


def changes_since_seen(conversation: Conversation) -> list[str]:
    """Labels of the fields that changed since the leads last saw the ask (empty when they
    have not asked for changes, or nothing changed)."""
    if not conversation.seen:
        return []
    now = snapshot(conversation.ticket)
    labels: list[str] = []
    for name, label in COMPARED:
        if conversation.seen.get(name) != now.get(name) and label not in labels:
            labels.append(label)
    return labels


def waiting_since(ticket: Ticket) -> datetime | None:
    """When the ask last went into review (for its age on the card and in the queue)."""
    for entry in reversed(ticket.history):
        if entry.to_status is Status.SUBMITTED:
            return entry.at
    return ticket.submitted_at


def next_milestone(ticket: Ticket, today: date) -> Milestone | None:
    pending = [m for m in ticket.milestones if m.status.value != "done"]
    dated = sorted((m for m in pending if m.due), key=lambda m: m.due or today)
    return dated[0] if dated else (pending[0] if pending else None)


def load_ask(uow: UnitOfWork, ask_id: int) -> Conversation:
    """The ask, or NotFound."""
    conversation = uow.asks.get(ask_id)
    if conversation is None:
        raise NotFound(ask_id)
    return conversation


def record_attempt(
    uow: UnitOfWork, ask_id: int, now: datetime, actor: str, action: str, outcome: str, note: str
) -> None:
    """One line of the ask's audit trail."""
    uow.record_audit(ask_id, AuditEntry(now, actor, action, outcome, note[:500]))


@contextmanager
def refusals_recorded(
    uow: UnitOfWork,
    ask_id: int,
    now: datetime,
    actor: str,
    action: str,
    kinds: tuple[type[Refusal | MilestoneRefusal], ...] = (Refusal,),
) -> Iterator[None]:
    """A refusal (one of ``kinds``) raised inside lands in the audit trail, committed, and goes
    on up to the caller; a lifecycle Refusal is told when it was refused (so "Marked done by
    @owen 2 days ago" says how long ago, not "just now")."""
    try:
        yield
    except kinds as refusal:
        if isinstance(refusal, Refusal):
            refusal.at = now
        record_attempt(uow, ask_id, now, actor, action, refusal.outcome, refusal.reason)
        uow.commit()
        raise
