"""Milestones in the domain (intake.milestones): status updates, due dates, adding and removing,
who may; and the milestone messages within Block Kit's limits. The use cases:
test_milestone_service.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.blocks import milestone_forms
from bot.blocks import milestones as render
from bot.blocks.milestones import milestone_blocks, refresh
from bot.blocks.review import owner_message
from intake import milestones
from intake.milestones import (
    MilestoneDenied,
    MilestoneRefusal,
    MilestoneUnchanged,
    StalePlan,
)
from intake.templates import load_templates
from intake.ticket import HistoryEntry, Milestone, Status
from tests.fakes.blockkit import validate_message, validate_view
from tests.unit.milestone_asks import HELPER, LEAD, OTHER, OWNER, REQUESTER, T0, M, accepted, name

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
        milestone_forms.reason_form(ticket, 0, M.BLOCKED, {"ask": 7}),
        milestone_forms.due_form(ticket, 0, {"ask": 7}),
        milestone_forms.add_form(ticket, {"ask": 7}),
        milestone_forms.not_done_form(ticket, {"ask": 7}),
    ]
    for view in views:
        assert validate_view(view) == []
