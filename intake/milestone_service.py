"""Use cases of follow-through: the owner (or a lead) updates milestones, and the requester
confirms the work is done.

Each runs in one transaction, as ``ReviewService`` does: the change is made on fresh data, the
attempt lands in the audit trail (refused and denied ones too), every status change of the ask
is queued as an integration event, and a conflicting concurrent change makes it run again.

* The first status update of an accepted ask starts the work (lifecycle START, by the updater).
* When every milestone is done, ``done_requested_at`` is set and the caller asks the requester
  to confirm; a change that un-does a milestone withdraws that request.
* ``confirm_done`` (the requester) completes the ask; ``not_done`` puts it back to work, with a
  milestone reopened or a note; ``auto_complete`` completes asks whose requester has not
  answered for ``AUTO_COMPLETE_AFTER``, and says so in the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from intake import events, lifecycle, milestones
from intake.clock import Clock
from intake.conflicts import retry_on_conflict
from intake.conversation import AboutAsk, Conversation
from intake.lifecycle import Action, Refusal, Role
from intake.milestones import MilestoneRefusal
from intake.ports import UnitOfWork, UnitOfWorkFactory
from intake.review import Decision, load_ask, record_attempt, refusals_recorded
from intake.scoping import TeamScoped
from intake.service import BOT
from intake.ticket import (
    HistoryEntry,
    Milestone,
    MilestoneChange,
    MilestoneStatus,
    Status,
    Ticket,
)

AUTO_COMPLETE_AFTER = timedelta(days=7)
AUTO_COMPLETE_NOTE = "completed automatically: no answer in 7 days"
CONFIRMED_NOTE = "confirmed done by the requester"
STARTED_NOTE = "first milestone update"

# Audit trail action names (lifecycle moves use their own: "start", "complete").
STATUS = "milestone_status"
DUE = "milestone_due"
ADD = "milestone_add"
REMOVE = "milestone_remove"
CONFIRM = "confirm_done"
NOT_DONE = "not_done"

# The requester completes the ask by answering the owner's question: on their behalf the move
# is the owner's (lifecycle COMPLETE is for owners and leads).
_ON_THE_OWNERS_REQUEST = frozenset({Role.OWNER})
# What a change refuses with: the lifecycle's refusals and the milestones' own.
_BOTH = (Refusal, MilestoneRefusal)


@dataclass
class MilestoneUpdate(AboutAsk):
    """What a milestone change did. ``index`` is where the milestone is now (None: removed);
    ``started`` is set when it moved the ask to in progress; ``ask_requester`` when every
    milestone is now done and the requester must be asked to confirm; ``withdrawn`` when a
    pending done request no longer stands."""

    conversation: Conversation
    milestone: Milestone
    change: MilestoneChange
    index: int | None
    started: HistoryEntry | None = None
    ask_requester: bool = False
    withdrawn: bool = False


@dataclass
class NotDone(AboutAsk):
    """The requester says it is not done: the note in the history, and the reopened milestone
    (None when they did not name one)."""

    conversation: Conversation
    entry: HistoryEntry
    reopened: int | None = None


Change = Callable[[Ticket, datetime], tuple[Milestone, MilestoneChange, int | None]]


@dataclass(eq=False)
class MilestoneService(TeamScoped):
    uow_factory: UnitOfWorkFactory
    clock: Clock

    # -- before opening a form ---------------------------------------------------------------

    def check(
        self,
        *,
        ask_id: int,
        actor: str,
        is_lead: bool,
        index: int | None = None,
        tag: str | None = None,
        what: str = STATUS,
    ) -> Conversation:
        """The ask if ``actor`` may update milestone ``index`` (or, with no index, add one);
        else the refusal, recorded in the audit trail as an attempt at ``what``."""

        def may(ticket: Ticket) -> None:
            if index is None:
                milestones.check_may_replan(ticket, actor, is_lead=is_lead)
                milestones.check_editable(ticket)
            else:
                _check_may_update(ticket, index, actor, is_lead, tag)

        return self._check(ask_id, actor, ADD if index is None else what, may)

    def check_answer(self, *, ask_id: int, actor: str) -> Conversation:
        """The ask if ``actor`` may answer its done request (before the "Not yet" form)."""
        return self._check(ask_id, actor, NOT_DONE, lambda t: _check_answer(t, actor))

    # -- milestone changes -------------------------------------------------------------------

    def update_status(
        self,
        *,
        ask_id: int,
        index: int,
        status: MilestoneStatus,
        actor: str,
        is_lead: bool,
        reason: str = "",
        tag: str | None = None,
    ) -> MilestoneUpdate:
        def change(ticket: Ticket, now: datetime) -> tuple[Milestone, MilestoneChange, int]:
            _check_may_update(ticket, index, actor, is_lead, tag)
            made = milestones.update_status(ticket, index, status, actor, now, reason)
            return ticket.milestones[index], made, index

        return self._change(ask_id, actor, STATUS, change, start_as_lead=is_lead)

    def change_due(
        self,
        *,
        ask_id: int,
        index: int,
        due: date | None,
        reason: str,
        actor: str,
        is_lead: bool,
        tag: str | None = None,
    ) -> MilestoneUpdate:
        def change(ticket: Ticket, now: datetime) -> tuple[Milestone, MilestoneChange, int]:
            _check_may_update(ticket, index, actor, is_lead, tag)
            made = milestones.change_due(ticket, index, due, reason, actor, now)
            return ticket.milestones[index], made, index

        return self._change(ask_id, actor, DUE, change)

    def add(
        self, *, ask_id: int, milestone: Milestone, actor: str, is_lead: bool
    ) -> MilestoneUpdate:
        def change(ticket: Ticket, now: datetime) -> tuple[Milestone, MilestoneChange, int]:
            milestones.check_may_replan(ticket, actor, is_lead=is_lead)
            made = milestones.add(ticket, milestone, actor, now)
            return ticket.milestones[-1], made, len(ticket.milestones) - 1

        return self._change(ask_id, actor, ADD, change)

    def remove(
        self,
        *,
        ask_id: int,
        index: int,
        actor: str,
        is_lead: bool,
        reason: str = "",
        tag: str | None = None,
    ) -> MilestoneUpdate:
        def change(ticket: Ticket, now: datetime) -> tuple[Milestone, MilestoneChange, None]:
            milestones.check_may_replan(ticket, actor, is_lead=is_lead)
            milestones.check_editable(ticket)
            milestones.find(ticket, index, tag)
            removed, made = milestones.remove(ticket, index, actor, now, reason)
            return removed, made, None

        return self._change(ask_id, actor, REMOVE, change)

    # -- the requester's answer --------------------------------------------------------------

    @retry_on_conflict
    def confirm_done(self, ask_id: int, actor: str) -> Decision:
        """The requester confirms the work is done: the ask is done (lifecycle COMPLETE)."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = load_ask(uow, ask_id)
            ticket = conversation.ticket
            with refusals_recorded(uow, ask_id, now, actor, CONFIRM, _BOTH):
                if ticket.requester != actor:
                    raise milestones.MilestoneDenied(
                        "Only the requester can confirm that this ask is done."
                    )
                if ticket.status is not Status.DONE:  # done: the lifecycle says by whom
                    _check_answer(ticket, actor)
                entry = lifecycle.apply(
                    ticket, Action.COMPLETE, actor, _ON_THE_OWNERS_REQUEST, now, CONFIRMED_NOTE
                )
            record_attempt(uow, ask_id, now, actor, CONFIRM, "ok", "")
            record_attempt(uow, ask_id, now, actor, Action.COMPLETE.value, "ok", CONFIRMED_NOTE)
            uow.enqueue_event(ask_id, events.status_changed(ticket, entry), now)
            uow.asks.save(conversation)
            uow.commit()
        return Decision(conversation, Action.COMPLETE, entry)

    @retry_on_conflict
    def not_done(
        self, ask_id: int, actor: str, reason: str, *, milestone: int | None = None
    ) -> NotDone:
        """The requester says it is not done yet: the done request is withdrawn, the named
        milestone (if any) is back on track, and the reason is in the history as a note."""
        now = self.clock.now()
        reason = reason.strip()[: milestones.REASON_MAX]
        with self.uow_factory() as uow:
            conversation = load_ask(uow, ask_id)
            ticket = conversation.ticket
            with refusals_recorded(uow, ask_id, now, actor, NOT_DONE, (MilestoneRefusal,)):
                _check_answer(ticket, actor)
                if not reason:
                    raise MilestoneRefusal("Say what is still missing, so the owner knows.")
                made = None
                if milestone is not None:
                    why = f"not done yet: {reason}"
                    made = milestones.update_status(
                        ticket, milestone, MilestoneStatus.ON_TRACK, actor, now, why
                    )
            ticket.done_requested_at = None
            reopened = ticket.milestones[milestone].title if milestone is not None else ""
            note = f"Not done yet: {reason}" + (f" (reopened: {reopened})" if reopened else "")
            entry = HistoryEntry(now, actor, ticket.status, ticket.status, note[:1000])
            ticket.history.append(entry)
            record_attempt(uow, ask_id, now, actor, NOT_DONE, "ok", note)
            _queue_milestone_changed(uow, ask_id, ticket, milestone, made, now)
            uow.enqueue_event(ask_id, events.status_changed(ticket, entry), now)
            uow.asks.save(conversation)
            uow.commit()
        return NotDone(conversation, entry, milestone)

    def auto_complete(self, now: datetime | None = None) -> list[Decision]:
        """Complete every ask whose requester was asked to confirm it is done at least
        ``AUTO_COMPLETE_AFTER`` before ``now`` and has not answered. Safe to run on several
        replicas at once: an ask completed elsewhere meanwhile is skipped."""
        now = now or self.clock.now()
        with self.uow_factory() as uow:
            waiting = uow.asks.list(statuses=[Status.IN_PROGRESS])
        decisions = []
        for ticket in waiting:
            if ticket.id is not None and _overdue_answer(ticket, now):
                decision = self._auto_complete(ticket.id, now)
                if decision is not None:
                    decisions.append(decision)
        return decisions

    # -- internals ---------------------------------------------------------------------------

    @retry_on_conflict
    def _auto_complete(self, ask_id: int, now: datetime) -> Decision | None:
        with self.uow_factory() as uow:
            conversation = uow.asks.get(ask_id)
            if conversation is None:
                return None
            ticket = conversation.ticket
            if ticket.status is not Status.IN_PROGRESS or not _overdue_answer(ticket, now):
                return None  # answered, changed or completed since the list was read
            roles = lifecycle.RULES[Action.COMPLETE].roles
            entry = lifecycle.apply(ticket, Action.COMPLETE, BOT, roles, now, AUTO_COMPLETE_NOTE)
            record_attempt(uow, ask_id, now, BOT, Action.COMPLETE.value, "ok", AUTO_COMPLETE_NOTE)
            uow.enqueue_event(ask_id, events.status_changed(ticket, entry), now)
            uow.asks.save(conversation)
            uow.commit()
        return Decision(conversation, Action.COMPLETE, entry)

    def _check(
        self, ask_id: int, actor: str, action: str, may: Callable[[Ticket], None]
    ) -> Conversation:
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = load_ask(uow, ask_id)
            with refusals_recorded(uow, ask_id, now, actor, action, (MilestoneRefusal,)):
                may(conversation.ticket)
        return conversation

    @retry_on_conflict
    def _change(
        self,
        ask_id: int,
        actor: str,
        action: str,
        change: Change,
        *,
        start_as_lead: bool | None = None,
    ) -> MilestoneUpdate:
        """Make ``change``; with ``start_as_lead`` set (a status update), an accepted ask
        moves to in progress, by the same person."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = load_ask(uow, ask_id)
            ticket = conversation.ticket
            seen = len(ticket.history)
            with refusals_recorded(uow, ask_id, now, actor, action, _BOTH):
                milestone, made, index = change(ticket, now)
                started = None
                if start_as_lead is not None and ticket.status is Status.ACCEPTED:
                    roles = lifecycle.roles_of(ticket, actor, is_lead=start_as_lead)
                    started = lifecycle.apply(ticket, Action.START, actor, roles, now, STARTED_NOTE)
            ask_requester = withdrawn = False
            if milestones.all_done(ticket):
                if ticket.done_requested_at is None:
                    ticket.done_requested_at = now
                    ask_requester = True
            elif ticket.done_requested_at is not None:
                ticket.done_requested_at = None
                withdrawn = True
            record_attempt(
                uow, ask_id, now, actor, action, "ok", milestones.describe(made, milestone.title)
            )
            if started is not None:
                record_attempt(uow, ask_id, now, actor, Action.START.value, "ok", STARTED_NOTE)
            _queue_milestone_changed(uow, ask_id, ticket, index, made, now)
            for entry in ticket.history[seen:]:
                uow.enqueue_event(ask_id, events.status_changed(ticket, entry), now)
            uow.asks.save(conversation)
            uow.commit()
        return MilestoneUpdate(
            conversation, milestone, made, index, started, ask_requester, withdrawn
        )


def _queue_milestone_changed(
    uow: UnitOfWork,
    ask_id: int,
    ticket: Ticket,
    index: int | None,
    made: MilestoneChange | None,
    now: datetime,
) -> None:
    """Queue the event a tracker mirrors (closing or reopening the milestone's sub-issue)
    when ``made`` moved the status of the milestone now at ``index``."""
    if index is not None and made is not None and made.what == "status" and made.old != made.new:
        uow.enqueue_event(ask_id, events.milestone_changed(ticket, index, made), now)


def pending_confirmation(ticket: Ticket) -> bool:
    """Every milestone is done and the requester was asked, during the current stretch of
    work (a request from before a lead reopened the ask does not count)."""
    asked = ticket.done_requested_at
    if asked is None or ticket.status is not Status.IN_PROGRESS:
        return False
    last = lifecycle.last_change(ticket)
    return milestones.all_done(ticket) and (last is None or last.at <= asked)


def _check_may_update(
    ticket: Ticket, index: int, actor: str, is_lead: bool, tag: str | None
) -> None:
    """``actor`` may update milestone ``index`` of ``ticket``, which is still the one ``tag``
    names (else MilestoneRefusal)."""
    milestones.check_may_update(ticket, index, actor, is_lead=is_lead)
    milestones.check_editable(ticket)
    milestones.find(ticket, index, tag)


def _check_answer(ticket: Ticket, actor: str) -> None:
    """The requester may answer while their confirmation is pending."""
    if ticket.requester != actor:
        raise milestones.MilestoneDenied("Only the requester can answer whether this is done.")
    if ticket.status is Status.DONE:
        raise milestones.MilestoneUnchanged(f"{ticket.key or 'This ask'} is already done.")
    if not pending_confirmation(ticket):
        raise MilestoneRefusal(
            "Not every milestone is done any more, so there is nothing to confirm yet. "
            "I will ask you again when they are."
        )


def _overdue_answer(ticket: Ticket, now: datetime) -> bool:
    asked = ticket.done_requested_at
    return asked is not None and now - asked >= AUTO_COMPLETE_AFTER and pending_confirmation(ticket)
