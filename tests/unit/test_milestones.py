"""Milestone follow-through: status updates, due dates, adding and removing, who may, and the
requester's confirmation (the domain, then the use cases over the in-memory store)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.blocks import milestones as render
from bot.blocks.milestones import milestone_blocks, refresh
from bot.blocks.review import owner_message
from intake import milestones
from intake.conversation import Conversation, Source, Thread
from intake.lifecycle import AlreadyDone
from intake.milestone_service import AUTO_COMPLETE_NOTE, MilestoneService
from intake.milestones import (
    MilestoneDenied,
    MilestoneRefusal,
    MilestoneUnchanged,
    StalePlan,
)
from intake.review import ReviewService
from intake.service import BOT
from intake.templates import load_templates
from intake.ticket import HistoryEntry, Milestone, MilestoneStatus, Status, Ticket
from tests.fakes.blockkit import validate_message, validate_view
from tests.fakes.memory_store import InMemoryStore

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REQUESTER, OWNER, HELPER, LEAD, OTHER = "U0ALICE", "U0OWEN", "U0HELEN", "U0LEE", "U0BOB"
M = MilestoneStatus


def name(user: str) -> str:
    return f"@{user}"


def accepted(*, plan: int = 3) -> Ticket:
    ticket = Ticket(
        requester=REQUESTER,
        title="PostgreSQL database for billing",
        status=Status.ACCEPTED,
        key="PLAT-1",
        owner=OWNER,
        team_id="T1",
        history=[
            HistoryEntry(T0, REQUESTER, Status.DRAFT, Status.SUBMITTED),
            HistoryEntry(T0, LEAD, Status.SUBMITTED, Status.ACCEPTED),
        ],
    )
    titles = ["Staging database", "Backups restore", "Production cutover", "Load test"]
    for i in range(plan):
        owner = HELPER if i == 1 else OWNER
        ticket.milestones.append(Milestone(titles[i], date(2026, 12, 1 + i), "", owner=owner))
    return ticket


# -- the domain ------------------------------------------------------------------------------


def test_a_status_update_is_logged_with_its_reason() -> None:
    ticket = accepted()
    change = milestones.update_status(ticket, 0, M.AT_RISK, OWNER, T0, "  quota request pending ")
    m = ticket.milestones[0]
    assert (m.status, m.reason) == (M.AT_RISK, "quota request pending")
    assert m.log == [change]
    assert (change.what, change.old, change.new, change.actor, change.reason) == (
        "status",
        "not_started",
        "at_risk",
        OWNER,
        "quota request pending",
    )
    milestones.update_status(ticket, 0, M.ON_TRACK, OWNER, T0 + timedelta(hours=1))
    assert m.reason == "" and [c.new for c in m.log] == ["at_risk", "on_track"]
    assert m.log[0].reason == "quota request pending", "the old reason stays in the log"


def test_blocked_needs_a_reason_at_risk_does_not() -> None:
    ticket = accepted()
    with pytest.raises(MilestoneRefusal, match="Say why it is blocked") as refused:
        milestones.update_status(ticket, 0, M.BLOCKED, OWNER, T0, "   ")
    assert refused.value.outcome == "refused"
    assert ticket.milestones[0].status is M.NOT_STARTED and ticket.milestones[0].log == []
    milestones.update_status(ticket, 0, M.AT_RISK, OWNER, T0)
    assert ticket.milestones[0].status is M.AT_RISK and ticket.milestones[0].reason == ""


def test_the_same_status_again_says_who_set_it_and_when() -> None:
    ticket = accepted()
    milestones.update_status(ticket, 0, M.ON_TRACK, OWNER, T0)
    with pytest.raises(MilestoneUnchanged) as again:
        milestones.update_status(ticket, 0, M.ON_TRACK, LEAD, T0 + timedelta(minutes=5))
    assert again.value.outcome == "no-op"
    assert again.value.message(name, T0 + timedelta(minutes=5)) == (
        "It is already on track: set by @U0OWEN 5 minutes ago."
    )
    assert "U0OWEN" in str(again.value) and "{who}" not in str(again.value)
    # A new reason for the same trouble is an update, not a repeat.
    milestones.update_status(ticket, 0, M.BLOCKED, OWNER, T0, "waiting for network team")
    milestones.update_status(ticket, 0, M.BLOCKED, OWNER, T0, "waiting for the VPC peering")
    assert ticket.milestones[0].reason == "waiting for the VPC peering"
    with pytest.raises(MilestoneUnchanged):
        milestones.update_status(ticket, 0, M.BLOCKED, OWNER, T0, "waiting for the VPC peering")


def test_a_due_date_change_keeps_the_old_date_and_the_reason() -> None:
    ticket = accepted()
    with pytest.raises(MilestoneRefusal, match="Say why the date moves"):
        milestones.change_due(ticket, 0, date(2026, 12, 8), "", OWNER, T0)
    change = milestones.change_due(ticket, 0, date(2026, 12, 8), "vendor delay", OWNER, T0)
    assert ticket.milestones[0].due == date(2026, 12, 8)
    assert (change.what, change.old, change.new, change.reason) == (
        "due",
        "2026-12-01",
        "2026-12-08",
        "vendor delay",
    )
    with pytest.raises(MilestoneUnchanged, match="already 2026-12-08"):
        milestones.change_due(ticket, 0, date(2026, 12, 8), "again", OWNER, T0)
    milestones.change_due(ticket, 0, None, "no date until the vendor answers", OWNER, T0)
    assert ticket.milestones[0].due is None and ticket.milestones[0].log[-1].new == ""


def test_adding_and_removing_milestones() -> None:
    ticket = accepted(plan=2)
    milestones.add(ticket, Milestone("  Load test at 2x peak  ", date(2026, 12, 10)), LEAD, T0)
    added = ticket.milestones[-1]
    assert (added.title, added.owner, added.status) == (
        "Load test at 2x peak",
        OWNER,
        M.NOT_STARTED,
    )
    assert [(c.what, c.new) for c in added.log] == [("added", "Load test at 2x peak")]
    with pytest.raises(MilestoneRefusal, match="title"):
        milestones.add(ticket, Milestone(" "), LEAD, T0)
    removed, change = milestones.remove(ticket, 0, OWNER, T0, "merged into cutover")
    assert removed.title == "Staging database" and removed.log[-1] == change
    assert (change.what, change.old, change.reason) == (
        "removed",
        "Staging database",
        "merged into cutover",
    )
    assert [m.title for m in ticket.milestones] == ["Backups restore", "Load test at 2x peak"]
    milestones.remove(ticket, 0, OWNER, T0)
    with pytest.raises(MilestoneRefusal, match="only milestone"):
        milestones.remove(ticket, 0, OWNER, T0)


def test_a_plan_holds_at_most_twelve_milestones() -> None:
    ticket = accepted(plan=1)
    for n in range(milestones.MAX_MILESTONES - 1):
        milestones.add(ticket, Milestone(f"Step {n}"), OWNER, T0)
    with pytest.raises(MilestoneRefusal, match="at most 12"):
        milestones.add(ticket, Milestone("One too many"), OWNER, T0)


def test_who_may_update_a_milestone() -> None:
    ticket = accepted()
    milestones.check_may_update(ticket, 0, OWNER, is_lead=False)  # the ask's owner
    milestones.check_may_update(ticket, 1, HELPER, is_lead=False)  # the milestone's owner
    milestones.check_may_update(ticket, 0, LEAD, is_lead=True)
    for index, user in ((0, HELPER), (0, REQUESTER), (1, OTHER), (9, HELPER)):
        with pytest.raises(MilestoneDenied, match="Only the milestone's owner") as denied:
            milestones.check_may_update(ticket, index, user, is_lead=False)
        assert denied.value.outcome == "denied"
    milestones.check_may_replan(ticket, OWNER, is_lead=False)
    milestones.check_may_replan(ticket, LEAD, is_lead=True)
    with pytest.raises(MilestoneDenied, match="add or remove"):
        milestones.check_may_replan(ticket, HELPER, is_lead=False)


def test_milestones_change_only_while_the_work_is_open() -> None:
    ticket = accepted()
    for status, words in (
        (Status.DONE, "PLAT-1 is done, so its milestones can't change. A platform lead can"),
        (Status.CANCELLED, "PLAT-1 is cancelled"),
        (Status.SUBMITTED, "PLAT-1 is not approved yet"),
    ):
        ticket.status = status
        with pytest.raises(MilestoneRefusal, match=words):
            milestones.update_status(ticket, 0, M.ON_TRACK, OWNER, T0)
    ticket.status = Status.IN_PROGRESS
    milestones.update_status(ticket, 0, M.ON_TRACK, OWNER, T0)


def test_a_click_on_an_old_message_never_changes_another_milestone() -> None:
    ticket = accepted()
    tag = milestones.fingerprint(ticket.milestones[1])
    assert milestones.find(ticket, 1, tag).title == "Backups restore"
    milestones.remove(ticket, 0, OWNER, T0)
    with pytest.raises(StalePlan, match="no longer in the plan"):
        milestones.find(ticket, 1, tag)  # index 1 is now "Production cutover"
    with pytest.raises(StalePlan):
        milestones.find(ticket, 7)


def test_all_done() -> None:
    ticket = accepted(plan=2)
    assert not milestones.all_done(ticket)
    for m in ticket.milestones:
        m.status = M.DONE
    assert milestones.all_done(ticket)
    assert not milestones.all_done(accepted(plan=0))


# -- the use cases ---------------------------------------------------------------------------


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
    assert [e["change"]["to"] for e in store.events(ask_id)] == ["in_progress"]
    again = service.update_status(
        ask_id=ask_id, index=0, status=M.AT_RISK, actor=OWNER, is_lead=False, reason="quota"
    )
    assert again.started is None and len(store.events(ask_id)) == 1
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


# -- in Slack: within Block Kit's limits however long the plan -----------------------------


def test_the_owners_message_fits_slack_with_a_full_plan_of_long_texts() -> None:
    ticket = accepted(plan=1)
    ticket.id = 7
    long = "x & <y> " * 400
    ticket.problem = ticket.impact = ticket.desired_outcome = long
    ticket.acceptance_criteria = [long] * 5
    ticket.out_of_scope = [long] * 3
    for n in range(milestones.MAX_MILESTONES - 1):
        milestones.add(ticket, Milestone(f"Step {n} {long}", done_criterion=long), OWNER, T0)
        milestones.update_status(ticket, n, M.BLOCKED, OWNER, T0, long)
    message = owner_message(ticket, load_templates().get("database"), date(2026, 12, 25))
    assert validate_message(message["text"], message["blocks"]) == []
    assert len(ticket.milestones) == 12 and "Step 10" in str(message["blocks"])


def test_a_line_is_found_again_after_a_milestone_above_it_is_removed() -> None:
    ticket = accepted(plan=3)
    ticket.id = 7
    other = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}, "block_id": "x"}
    message = [other, *milestone_blocks(ticket, 1), *milestone_blocks(ticket, 2)]
    milestones.remove(ticket, 0, OWNER, T0)
    milestones.update_status(ticket, 1, M.DONE, OWNER, T0)  # "Production cutover", was 2
    shown = refresh(message, ticket)
    assert shown[0] == other and len(shown) == 5
    assert shown[1]["block_id"].startswith("milestone:7:0:") and "Backups" in str(shown[1])
    assert shown[3]["block_id"].startswith("milestone:7:1:") and "— done" in str(shown[3])
    assert [b["value"] for b in shown[4]["elements"]][:1] == ["7:1"]
    milestones.remove(ticket, 0, OWNER, T0)
    assert len(refresh(message, ticket)) == 3, "the removed milestone's line goes"


def test_the_requesters_and_owners_messages_are_valid_and_escaped() -> None:
    ticket = accepted(plan=2)
    ticket.id = 7
    entry = HistoryEntry(T0, REQUESTER, Status.IN_PROGRESS, Status.IN_PROGRESS, "Not done: <!here>")
    change = milestones.update_status(ticket, 0, M.BLOCKED, OWNER, T0, "<!channel> & co")
    built = [
        render.change_note(ticket, ticket.milestones[0], change),
        render.confirm_request(ticket),
        render.confirmed(ticket, REQUESTER),
        render.answered_not_done(ticket, entry),
        render.owner_not_done(ticket, entry, 0),
        render.owner_not_done(ticket, entry, None),
        render.owner_confirmed(ticket, REQUESTER),
        render.auto_completed(ticket),
    ]
    for message in built:
        assert validate_message(message["text"], message["blocks"]) == []
        assert "<!" not in str(message["blocks"])
    assert "&lt;!channel&gt; &amp; co" in str(built[0]["blocks"])
    views = [
        render.reason_form(ticket, 0, M.BLOCKED, {"ask": 7}),
        render.due_form(ticket, 0, {"ask": 7}),
        render.add_form(ticket, {"ask": 7}),
        render.not_done_form(ticket, {"ask": 7}),
    ]
    for view in views:
        assert validate_view(view) == []
