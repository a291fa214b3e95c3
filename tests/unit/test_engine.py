"""The question flow, with no I/O: what the requester is asked, in what order, and when the
draft appears."""

from __future__ import annotations

from datetime import date

from intake.conversation import Phase
from intake.engine import MAX_QUESTIONS, IntakeEngine
from intake.replies import (
    Cancelled,
    Corrected,
    Draft,
    Notice,
    NotReady,
    Question,
    Reply,
    Submitted,
    Understood,
)
from intake.ticket import Status
from tests.unit.conftest import NOW, asked_about, skip_to, start


def question(replies: list[Reply]) -> Question:
    found = [r for r in replies if isinstance(r, Question)]
    assert found, f"expected a question, got {replies}"
    return found[-1]


def test_opening_reply_says_what_was_understood_then_asks_the_first_missing_field(
    engine: IntakeEngine,
) -> None:
    conversation, replies = start(engine, "we need a postgres db for billing asap")
    understood = replies[0]
    assert isinstance(understood, Understood)
    assert understood.request_type == "Database"
    facts = {fact.name: fact.value for fact in understood.facts}
    assert facts["engine"] == "PostgreSQL"
    assert facts["services"] == ["billing"]
    assert facts["deadline"] == date(2026, 11, 25), "asap: two business days"
    first = question(replies)
    assert first.spec.name == "environment" and first.number == 1
    assert conversation.pending == "environment"


def test_never_asks_for_what_was_already_said(engine: IntakeEngine) -> None:
    conversation, replies = start(
        engine,
        "postgres db for the billing service in production and staging by 2026-12-15, about "
        "100GB, invoices can't go out without it. Done when billing-api connects from staging.",
    )
    asked = [r.spec.name for r in replies if isinstance(r, Question)]
    for said in ("engine", "environment", "deadline", "storage_gb", "services"):
        assert said not in asked
    assert conversation.ticket.deadline == date(2026, 12, 15)


def test_an_answer_that_says_more_fills_those_fields_too(engine: IntakeEngine) -> None:
    conversation = asked_about(engine, "we need a postgres db for billing", "environment")
    replies = engine.answer(conversation, "prod and staging, and we need it by 2026-12-18", NOW)
    assert conversation.ticket.environment == ["production", "staging"]
    assert conversation.ticket.deadline == date(2026, 12, 18)
    assert "deadline" not in [r.spec.name for r in replies if isinstance(r, Question)]


def test_an_unreadable_answer_is_explained_and_asked_once_more_in_other_words(
    engine: IntakeEngine,
) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production")
    skip_to(engine, conversation, "deadline")
    first = conversation.questions_asked
    again = question(engine.answer(conversation, "when the moon is blue", NOW))
    assert again.spec.name == "deadline" and again.number == first + 1
    assert "couldn't read" in again.problem
    assert again.text != again.spec.question and "e.g." in again.text
    engine.answer(conversation, "no deadline", NOW)
    assert conversation.ticket.no_deadline and conversation.ticket.deadline is None


def test_skip_moves_on_and_done_goes_straight_to_the_draft(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "CI is slow, help")
    skipped = conversation.pending
    nxt = question(engine.answer(conversation, "skip", NOW))
    assert nxt.spec.name != skipped and skipped in conversation.skipped
    replies = engine.answer(conversation, "done", NOW)
    assert isinstance(replies[-1], Draft) and conversation.phase is Phase.DRAFTED
    draft = replies[-1]
    assert not draft.readiness.ready
    assert draft.ticket.title and draft.ticket.priority and draft.ticket.size
    assert draft.ticket.milestones, "the template's milestone plan is proposed"


def test_at_most_eight_questions_before_the_draft(engine: IntakeEngine) -> None:
    conversation, replies = start(engine, "something is off with our stuff")
    count = sum(isinstance(r, Question) for r in replies)
    while conversation.phase is Phase.ASKING:
        replies = engine.answer(conversation, "skip", NOW)
        count += sum(isinstance(r, Question) for r in replies)
    assert count <= MAX_QUESTIONS
    assert isinstance(replies[-1], Draft)


def test_a_button_for_a_question_already_answered_changes_nothing(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing")
    engine.answer(conversation, "production", NOW)
    replies = engine.choose(conversation, "environment", "staging", NOW)
    assert isinstance(replies[0], Notice)
    assert conversation.ticket.environment == ["production"]


def test_submit_refuses_a_draft_that_is_not_ready_unless_forced(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing asap")
    engine.answer(conversation, "done", NOW)
    refused = engine.submit(conversation, "U1", NOW)
    assert isinstance(refused[0], NotReady)
    missing = [item.label for item in refused[0].readiness.missing]
    assert any("acceptance criterion" in label for label in missing)
    assert conversation.ticket.status is Status.DRAFT
    accepted = engine.submit(conversation, "U1", NOW, force=True)
    assert isinstance(accepted[0], Submitted)
    entry = conversation.ticket.history[-1]
    assert (entry.actor, entry.from_status, entry.to_status) == (
        "U1",
        Status.DRAFT,
        Status.SUBMITTED,
    )
    again = engine.submit(conversation, "U1", NOW)
    assert isinstance(again[0], Notice), "a second submit is a no-op"


def test_a_change_typed_under_the_draft_updates_it(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing asap")
    engine.answer(conversation, "done", NOW)
    old_plan = [m.due for m in conversation.ticket.milestones]
    replies = engine.answer(conversation, "actually the deadline is 2027-01-29", NOW)
    said, draft = replies[0], replies[-1]
    assert isinstance(said, Corrected) and isinstance(draft, Draft)
    assert [(c.label, c.old, c.new) for c in said.changes] == [
        ("Deadline", date(2026, 11, 25), date(2027, 1, 29))
    ], "the change is said with the old and the new date"
    assert conversation.ticket.deadline == date(2027, 1, 29)
    assert [m.due for m in conversation.ticket.milestones] != old_plan, "re-planned"
    assert conversation.ticket.milestones[-1].due == date(2027, 1, 29)


def test_editing_the_deadline_replans_milestones_unless_they_were_edited(
    engine: IntakeEngine,
) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing asap")
    engine.answer(conversation, "done", NOW)
    engine.edit(conversation, {"deadline": date(2027, 2, 26), "no_deadline": False}, NOW)
    assert conversation.ticket.milestones[-1].due == date(2027, 2, 26)


def test_cancel_by_typing(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing")
    replies = engine.answer(conversation, "cancel", NOW)
    assert isinstance(replies[0], Cancelled)
    assert conversation.ticket.status is Status.CANCELLED
    assert isinstance(engine.answer(conversation, "hello?", NOW)[0], Notice)
