"""The milestone use cases (intake.milestone_service) over the in-memory store: status updates,
due dates, adding and removing, who may, and the requester's confirmation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from intake import milestones
from intake.conversation import Conversation, Source, Thread
from intake.lifecycle import AlreadyDone
from intake.milestone_service import AUTO_COMPLETE_NOTE, MilestoneService
from intake.milestones import (
    MilestoneDenied,
    MilestoneRefusal,
    StalePlan,
)
from intake.review import ReviewService
from intake.service import BOT
from intake.ticket import Milestone, Status, Ticket
from tests.fakes.memory_store import InMemoryStore
from tests.unit.milestone_asks import HELPER, LEAD, OTHER, OWNER, REQUESTER, T0, M, accepted, name


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(store: InMemoryStore, clock: Clock) -> MilestoneService:
    return MilestoneService(store, clock)


def stored(store: InMemoryStore) -> int:
    """An accepted ask in the store (PLAT-1, PLAT-2, ... each in its own thread)."""
    with store() as uow:
        number = len(uow.asks.list()) + 1
        ticket = accepted()
        ticket.key = f"PLAT-{number}"
        conversation = Conversation(ticket, Source.DM, thread=Thread("DU0ALICE", f"100.{number}"))
        uow.asks.add(conversation)
        uow.commit()
    assert conversation.ticket.id is not None
    return conversation.ticket.id


def load(store: InMemoryStore, ask_id: int) -> Ticket:
    with store() as uow:
        conversation = uow.asks.get(ask_id)
    assert conversation is not None
    return conversation.ticket


def audit(store: InMemoryStore, ask_id: int) -> list[tuple[str, str, str]]:
    with store() as uow:
        return [(a.actor, a.action, a.outcome) for a in uow.audit(ask_id)]


def finish_all(service: MilestoneService, ask_id: int, count: int = 3) -> None:
    for index in range(count):
        service.update_status(ask_id=ask_id, index=index, status=M.DONE, actor=LEAD, is_lead=True)


def test_the_first_update_starts_the_work_by_the_updater(
    service: MilestoneService, store: InMemoryStore
) -> None:
    ask_id = stored(store)
    update = service.update_status(
        ask_id=ask_id, index=1, status=M.ON_TRACK, actor=HELPER, is_lead=False
    )
    assert update.started is not None and update.started.actor == HELPER
    ticket = load(store, ask_id)
    assert ticket.status is Status.IN_PROGRESS
    assert (ticket.history[-1].from_status, ticket.history[-1].actor) == (Status.ACCEPTED, HELPER)
    assert ticket.milestones[1].status is M.ON_TRACK
    started = [e for e in store.events(ask_id) if e["type"] == "ask.status_changed"]
    assert [e["change"]["to"] for e in started] == ["in_progress"]
    again = service.update_status(
        ask_id=ask_id, index=0, status=M.AT_RISK, actor=OWNER, is_lead=False, reason="quota"
    )
    assert again.started is None
    # Each status change of a milestone is an event too (a tracker mirrors it): no more starts.
    assert [(e["type"], e.get("milestone", {}).get("to")) for e in store.events(ask_id)] == [
        ("ask.milestone_changed", "on_track"),
        ("ask.status_changed", None),
        ("ask.milestone_changed", "at_risk"),
    ]
    assert audit(store, ask_id) == [
        (HELPER, "milestone_status", "ok"),
        (HELPER, "start", "ok"),
        (OWNER, "milestone_status", "ok"),
    ]


def test_a_due_date_change_alone_does_not_start_the_work(
    service: MilestoneService, store: InMemoryStore
) -> None:
    ask_id = stored(store)
    service.change_due(
        ask_id=ask_id, index=0, due=date(2026, 12, 9), reason="later", actor=LEAD, is_lead=True
    )
    ticket = load(store, ask_id)
    assert ticket.status is Status.ACCEPTED and ticket.milestones[0].due == date(2026, 12, 9)
    assert ticket.milestones[0].log[-1].old == "2026-12-01"


def test_refusals_are_recorded_and_change_nothing(
    service: MilestoneService, store: InMemoryStore
) -> None:
    ask_id = stored(store)
    with pytest.raises(MilestoneDenied):
        service.update_status(ask_id=ask_id, index=0, status=M.DONE, actor=OTHER, is_lead=False)
    with pytest.raises(MilestoneRefusal, match="Say why it is blocked"):
        service.update_status(ask_id=ask_id, index=0, status=M.BLOCKED, actor=OWNER, is_lead=False)
    with pytest.raises(MilestoneDenied):
        service.check(ask_id=ask_id, actor=REQUESTER, is_lead=False, index=0)
    tag = milestones.fingerprint(accepted().milestones[2])
    with pytest.raises(StalePlan):
        service.update_status(
            ask_id=ask_id, index=1, status=M.DONE, actor=OWNER, is_lead=False, tag=tag
        )
    assert load(store, ask_id).status is Status.ACCEPTED
    assert all(m.status is M.NOT_STARTED for m in load(store, ask_id).milestones)
    assert audit(store, ask_id) == [
        (OTHER, "milestone_status", "denied"),
        (OWNER, "milestone_status", "refused"),
        (REQUESTER, "milestone_status", "denied"),
        (OWNER, "milestone_status", "refused"),
    ]


def test_every_milestone_done_asks_the_requester_once(
    service: MilestoneService, store: InMemoryStore, clock: Clock
) -> None:
    ask_id = stored(store)
    finish_all(service, ask_id, 2)
    assert load(store, ask_id).done_requested_at is None
    clock.at += timedelta(hours=1)
    last = service.update_status(ask_id=ask_id, index=2, status=M.DONE, actor=OWNER, is_lead=False)
    assert last.ask_requester and not last.withdrawn
    ticket = load(store, ask_id)
    assert ticket.done_requested_at == clock.at and ticket.status is Status.IN_PROGRESS
    # Something turns out unfinished: the request is withdrawn; done again: asked again.
    back = service.update_status(
        ask_id=ask_id,
        index=0,
        status=M.BLOCKED,
        actor=OWNER,
        is_lead=False,
        reason="restore failed",
    )
    assert back.withdrawn and load(store, ask_id).done_requested_at is None
    again = service.update_status(ask_id=ask_id, index=0, status=M.DONE, actor=OWNER, is_lead=False)
    assert again.ask_requester


def test_removing_the_last_open_milestone_asks_the_requester(
    service: MilestoneService, store: InMemoryStore
) -> None:
    ask_id = stored(store)
    finish_all(service, ask_id, 2)
    removed = service.remove(ask_id=ask_id, index=2, actor=OWNER, is_lead=False)
    assert removed.index is None and removed.milestone.title == "Production cutover"
    assert removed.ask_requester
    with store() as uow:
        notes = [a.note for a in uow.audit(ask_id) if a.action == "milestone_remove"]
    assert notes == ["removed Production cutover"]
    added = service.add(ask_id=ask_id, milestone=Milestone("Docs"), actor=LEAD, is_lead=True)
    assert added.withdrawn and added.index == 2


def test_the_requester_confirms_and_the_ask_is_done(
    service: MilestoneService, store: InMemoryStore, clock: Clock
) -> None:
    ask_id = stored(store)
    finish_all(service, ask_id)
    with pytest.raises(MilestoneDenied, match="Only the requester"):
        service.confirm_done(ask_id, OWNER)
    clock.at += timedelta(hours=2)
    decision = service.confirm_done(ask_id, REQUESTER)
    ticket = load(store, ask_id)
    assert ticket.status is Status.DONE and decision.entry.actor == REQUESTER
    assert ticket.history[-1].note == "confirmed done by the requester"
    assert store.events(ask_id)[-1]["change"] == {
        "from": "in_progress",
        "to": "done",
        "actor": REQUESTER,
        "note": "confirmed done by the requester",
    }
    with pytest.raises(AlreadyDone) as again:
        service.confirm_done(ask_id, REQUESTER)
    assert again.value.message(name, clock.at) == "Marked done by @U0ALICE just now."
    assert audit(store, ask_id)[-4:] == [
        (OWNER, "confirm_done", "denied"),
        (REQUESTER, "confirm_done", "ok"),
        (REQUESTER, "complete", "ok"),
        (REQUESTER, "confirm_done", "no-op"),
    ]


def test_nothing_to_confirm_until_every_milestone_is_done(
    service: MilestoneService, store: InMemoryStore
) -> None:
    ask_id = stored(store)
    with pytest.raises(MilestoneRefusal, match="nothing to confirm yet"):
        service.confirm_done(ask_id, REQUESTER)
    assert load(store, ask_id).status is Status.ACCEPTED


def test_not_done_reopens_a_milestone_or_leaves_a_note(
    service: MilestoneService, store: InMemoryStore
) -> None:
    ask_id = stored(store)
    finish_all(service, ask_id)
    with pytest.raises(MilestoneRefusal, match="Say what is still missing"):
        service.not_done(ask_id, REQUESTER, "  ")
    answer = service.not_done(ask_id, REQUESTER, "backups never ran", milestone=1)
    ticket = load(store, ask_id)
    assert answer.reopened == 1 and ticket.done_requested_at is None
    assert ticket.status is Status.IN_PROGRESS
    assert ticket.milestones[1].status is M.ON_TRACK
    assert ticket.milestones[1].log[-1].reason == "not done yet: backups never ran"
    assert ticket.history[-1].note == "Not done yet: backups never ran (reopened: Backups restore)"
    assert store.events(ask_id)[-1]["change"]["note"].startswith("Not done yet")
    with pytest.raises(MilestoneRefusal, match="nothing to confirm"):
        service.not_done(ask_id, REQUESTER, "still")
    service.update_status(ask_id=ask_id, index=1, status=M.DONE, actor=HELPER, is_lead=False)
    service.not_done(ask_id, REQUESTER, "the runbook is missing")
    ticket = load(store, ask_id)
    assert all(m.status is M.DONE for m in ticket.milestones)
    assert ticket.history[-1].note == "Not done yet: the runbook is missing"
    assert ticket.done_requested_at is None


def test_a_milestone_reopened_by_not_done_is_queued_for_the_tracker(
    service: MilestoneService, store: InMemoryStore
) -> None:
    ask_id = stored(store)
    finish_all(service, ask_id)
    service.not_done(ask_id, REQUESTER, "backups never ran", milestone=1)
    *_, changed, status = store.events(ask_id)
    assert changed["type"] == "ask.milestone_changed"
    assert changed["milestone"] == {
        "index": 1,
        "title": "Backups restore",
        "from": "done",
        "to": "on_track",
        "actor": REQUESTER,
    }
    assert status["type"] == "ask.status_changed"
    count = len(store.events(ask_id))
    service.update_status(ask_id=ask_id, index=1, status=M.DONE, actor=HELPER, is_lead=False)
    service.not_done(ask_id, REQUESTER, "the runbook is missing")
    kinds = [e["type"] for e in store.events(ask_id)[count:]]
    assert kinds.count("ask.milestone_changed") == 1, "no milestone named: none reopened"


def test_no_answer_for_seven_days_completes_the_ask_and_says_so(
    service: MilestoneService, store: InMemoryStore, clock: Clock
) -> None:
    waiting, answered, fresh = stored(store), stored(store), stored(store)
    for ask_id in (waiting, answered):
        finish_all(service, ask_id)
    service.not_done(answered, REQUESTER, "docs missing", milestone=0)
    clock.at += timedelta(days=3)
    service.update_status(ask_id=answered, index=0, status=M.DONE, actor=OWNER, is_lead=False)
    finish_all(service, fresh)
    assert service.auto_complete(T0 + timedelta(days=6, hours=23)) == []
    done = service.auto_complete(T0 + timedelta(days=7))
    assert [d.ticket.id for d in done] == [waiting]
    ticket = load(store, waiting)
    assert ticket.status is Status.DONE
    assert (ticket.history[-1].actor, ticket.history[-1].note) == (BOT, AUTO_COMPLETE_NOTE)
    assert store.events(waiting)[-1]["change"]["note"] == AUTO_COMPLETE_NOTE
    assert audit(store, waiting)[-1] == (BOT, "complete", "ok")
    assert service.auto_complete(T0 + timedelta(days=8)) == [], "once only"
    later = service.auto_complete(T0 + timedelta(days=10, minutes=1))
    assert sorted(d.ticket.id or 0 for d in later) == sorted([answered, fresh])


def test_auto_complete_uses_the_clock_by_default(
    service: MilestoneService, store: InMemoryStore, clock: Clock
) -> None:
    ask_id = stored(store)
    finish_all(service, ask_id)
    assert service.auto_complete() == []
    clock.at += timedelta(days=7)
    assert [d.ticket.id for d in service.auto_complete()] == [ask_id]


def test_a_request_from_before_a_reopen_is_not_answered_or_auto_completed(
    service: MilestoneService, store: InMemoryStore, clock: Clock
) -> None:
    ask_id = stored(store)
    finish_all(service, ask_id)
    service.confirm_done(ask_id, REQUESTER)
    clock.at += timedelta(days=1)
    ReviewService(store, clock).reopen(ask_id=ask_id, actor=LEAD, is_lead=True)
    assert load(store, ask_id).status is Status.IN_PROGRESS
    assert service.auto_complete(clock.at + timedelta(days=30)) == []
    with pytest.raises(MilestoneRefusal, match="nothing to confirm"):
        service.confirm_done(ask_id, REQUESTER)
    # The owner reopens a milestone and finishes it: a new request, answered as before.
    service.update_status(ask_id=ask_id, index=0, status=M.ON_TRACK, actor=OWNER, is_lead=False)
    done = service.update_status(ask_id=ask_id, index=0, status=M.DONE, actor=OWNER, is_lead=False)
    assert done.ask_requester
    assert service.confirm_done(ask_id, REQUESTER).ticket.status is Status.DONE


@pytest.mark.parametrize("plan_changed", [False, True])
def test_a_lead_who_changes_the_plan_drops_the_drafts_warning_about_it(
    store: InMemoryStore, clock: Clock, plan_changed: bool
) -> None:
    """The draft's "too tight for 3 milestones" was about the draft's plan: a lead who
    approves another plan no longer gets it shown above theirs (owner's DM, /intake show)."""
    ask_id = stored(store)
    with store() as uow:
        conversation = uow.asks.get(ask_id)
        assert conversation is not None
        conversation.ticket.status = Status.SUBMITTED
        conversation.ticket.plan_warning = "Too tight for 3 milestones by Mon 23 Nov."
        uow.asks.save(conversation)
        uow.commit()
    plan = list(load(store, ask_id).milestones)
    if plan_changed:
        plan = [*plan[:1], Milestone("Billing team signs off", date(2026, 12, 4))]
    ReviewService(store, clock).approve(
        ask_id=ask_id, actor=LEAD, is_lead=True, owner=OWNER, priority=None, size=None,
        milestones=plan,
    )  # fmt: skip
    warning = load(store, ask_id).plan_warning
    assert (warning == "") is plan_changed
