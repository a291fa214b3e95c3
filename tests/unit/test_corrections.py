"""Corrections typed in the conversation: which field a message names (the way people name
fields), and what the engine then changes, says and asks next."""

from __future__ import annotations

from datetime import date

import pytest

from intake import corrections
from intake.conversation import Phase
from intake.engine import IntakeEngine
from intake.readiness import VERIFIABLE_LABEL
from intake.replies import Corrected, Draft, Question, Reply
from intake.templates import TemplateSet
from intake.ticket import Priority
from tests.unit.conftest import NOW, asked_about, skip_to, start

TODAY = date(2026, 11, 23)


def verifiable(draft: Draft) -> bool:
    return next(i.ok for i in draft.readiness.items if i.label == VERIFIABLE_LABEL)


def said(replies: list[Reply]) -> list[tuple[str, object, object]]:
    found = [r for r in replies if isinstance(r, Corrected)]
    assert found, f"nothing was said to have changed: {replies}"
    return [(c.label, c.old, c.new) for c in found[0].changes]


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("actually the deadline is Friday", "deadline", "Friday"),
        ("deadline: next Friday", "deadline", "next Friday"),
        ("the due date is 2026-12-20", "deadline", "2026-12-20"),
        ("criteria: X works and Y is deployed", "acceptance_criteria", "X works and Y is deployed"),
        ("acceptance criteria are p99 under 200ms; no 5xx", "acceptance_criteria",
         "p99 under 200ms; no 5xx"),
        ("env is staging only", "environment", "staging only"),
        ("env staging", "environment", "staging"),
        ("priority high", "priority", "high"),
        ("make it urgent priority", "priority", "urgent"),
        ("pipeline link: https://ci.example.com/run/1", "pipeline_url", "https://ci.example.com/run/1"),
        ("the pipeline url is https://ci.example.com/run/2", "pipeline_url", "https://ci.example.com/run/2"),
        ("services: billing-api, payments", "services", "billing-api, payments"),
        ("change the title to Speed up checkout CI", "title", "Speed up checkout CI"),
        ("type: access request", "category", "access request"),
    ],
)  # fmt: skip
def test_fields_are_named_the_way_people_name_them(
    templates: TemplateSet, text: str, field: str, value: str
) -> None:
    found = corrections.find(text, templates.get("ci_cd"), TODAY)
    assert found == corrections.Correction(field, value)


@pytest.mark.parametrize(
    "text",
    [
        "the service is down",
        "services are down without it",
        "we need it by friday",
        "the deadline",
        "customers can't pay invoices",
        "edit pipeline link",
        "link is in the channel",
        "deadline is flexible",
        "not sure tbh",  # "X, not Y" in shape, but a person who doesn't know
        "not sure, whatever you recommend",
        "no idea, you pick",
    ],
)
def test_ordinary_answers_are_not_corrections(templates: TemplateSet, text: str) -> None:
    assert corrections.find(text, templates.get("ci_cd"), TODAY) is None


def test_a_rename_says_which_value_it_replaces(templates: TemplateSet) -> None:
    found = corrections.find("it's for billing-api, not billing", templates.get("database"), TODAY)
    assert found == corrections.Correction("", "billing-api", replaced="billing")


def test_a_correction_during_the_questions_changes_the_field_and_asks_again(
    engine: IntakeEngine,
) -> None:
    conversation = asked_about(engine, "we need a postgres db for billing asap", "environment")
    replies = engine.answer(conversation, "actually the deadline is next Friday", NOW)
    assert said(replies) == [("Deadline", date(2026, 11, 25), date(2026, 12, 4))]
    assert conversation.ticket.deadline == date(2026, 12, 4)
    last = replies[-1]
    assert isinstance(last, Question) and last.spec.name == "environment", "then it goes on"
    assert conversation.pending == "environment" and conversation.questions_asked == 1


def test_a_correction_replaces_the_not_sure_said_before(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production")
    skip_to(engine, conversation, "deadline")
    engine.answer(conversation, "whatever you recommend", NOW)
    assert "deadline" in conversation.ticket.answer_notes
    engine.answer(conversation, "actually the deadline is next Friday", NOW)
    assert conversation.ticket.deadline == date(2026, 12, 4)
    assert "deadline" not in conversation.ticket.answer_notes, "no 'left to the team' beside it"


def test_renaming_a_service_keeps_the_rest_and_the_title_follows(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production, no deadline")
    engine.answer(conversation, "done", NOW)
    assert conversation.ticket.title == "PostgreSQL database for billing"
    replies = engine.answer(conversation, "it's for billing-api, not billing", NOW)
    assert ("Services", ["billing"], ["billing-api"]) in said(replies)
    assert conversation.ticket.title == "PostgreSQL database for billing-api"
    assert isinstance(replies[-1], Draft), "the refreshed draft"


def test_a_title_a_person_wrote_stays_when_fields_change(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production, no deadline")
    engine.answer(conversation, "done", NOW)
    engine.answer(conversation, "title: Ledger database", NOW)
    engine.answer(conversation, "it's for billing-api, not billing", NOW)
    assert conversation.ticket.title == "Ledger database"
    assert conversation.ticket.services == ["billing-api"]


def test_priority_and_environment_by_name_after_the_draft(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production and staging")
    engine.answer(conversation, "done", NOW)
    assert said(engine.answer(conversation, "priority high", NOW))[0][2] is Priority.P2
    replies = engine.answer(conversation, "env is staging only", NOW)
    assert said(replies) == [("Environments", ["production", "staging"], ["staging"])]


def test_checks_typed_after_the_draft_become_acceptance_criteria(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production")
    engine.answer(conversation, "done", NOW)
    services = list(conversation.ticket.services)
    replies = engine.answer(
        conversation,
        "billing-api connects to it from staging; backups restore in under 1 hour",
        NOW,
    )
    assert conversation.ticket.acceptance_criteria == [
        "billing-api connects to it from staging",
        "backups restore in under 1 hour",
    ]
    assert conversation.ticket.services == services, "the check names a service: not a new one"
    assert said(replies)[0][0] == "Acceptance criteria"
    draft = replies[-1]
    assert isinstance(draft, Draft) and verifiable(draft)


def test_criteria_by_name_replace_and_split_where_listed(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production")
    engine.answer(conversation, "done", NOW)
    engine.answer(conversation, "criteria: billing-api connects from staging", NOW)
    engine.answer(conversation, "acceptance criteria are p99 under 200 ms; no 5xx for a week", NOW)
    assert conversation.ticket.acceptance_criteria == ["p99 under 200 ms", "no 5xx for a week"]


def test_a_vague_criterion_gets_one_follow_up_then_is_kept(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production by 2026-12-18")
    skip_to(engine, conversation, "acceptance_criteria")
    replies = engine.answer(conversation, "it works well", NOW)
    follow_up = replies[-1]
    assert isinstance(follow_up, Question) and follow_up.spec.name == "acceptance_criteria"
    assert follow_up.text.startswith("What would you check to know it works? e.g. “")
    replies = engine.answer(conversation, "it's fast", NOW)
    assert not any(isinstance(r, Question) for r in replies), "never a second follow-up"
    draft = replies[-1]
    assert isinstance(draft, Draft)
    assert conversation.ticket.acceptance_criteria == ["it works well", "it's fast"]
    assert not verifiable(draft), "kept as said, and the draft says it is not verifiable"


def test_a_check_after_the_follow_up_is_added(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production by 2026-12-18")
    skip_to(engine, conversation, "acceptance_criteria")
    engine.answer(conversation, "looks good", NOW)
    replies = engine.answer(conversation, "billing-api connects to it from staging", NOW)
    assert conversation.ticket.acceptance_criteria == [
        "looks good",
        "billing-api connects to it from staging",
    ]
    assert isinstance(replies[-1], Draft) and verifiable(replies[-1])


def test_vague_criteria_named_after_the_draft_get_the_follow_up_too(
    engine: IntakeEngine,
) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production")
    engine.answer(conversation, "done", NOW)
    replies = engine.answer(conversation, "criteria: looks good", NOW)
    assert isinstance(replies[-1], Question) and conversation.phase is Phase.DRAFTED
    engine.answer(conversation, "p99 latency under 200 ms", NOW)
    assert conversation.ticket.acceptance_criteria == ["looks good", "p99 latency under 200 ms"]
    assert conversation.pending is None


def test_a_value_that_cannot_be_read_is_explained_and_nothing_changes(
    engine: IntakeEngine,
) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production")
    engine.answer(conversation, "done", NOW)
    before = conversation.ticket.deadline
    replies = engine.answer(conversation, "deadline: whenever the moon is full", NOW)
    assert conversation.ticket.deadline == before
    assert not any(isinstance(r, Corrected) for r in replies)


def test_an_answer_given_by_its_name_is_the_answer_without_the_name(
    engine: IntakeEngine,
) -> None:
    conversation = asked_about(engine, "our checkout-web pipeline is slow", "pipeline_url")
    replies = engine.answer(conversation, "pipeline link: https://ci.example.com/runs/1", NOW)
    assert conversation.ticket.fields["pipeline_url"] == "https://ci.example.com/runs/1"
    assert not any(isinstance(r, Corrected) for r in replies), "an answer, not a correction"
    assert isinstance(replies[-1], Question) and replies[-1].spec.name == "build_minutes"
    engine.answer(conversation, "skip", NOW)
    replies = engine.answer(conversation, "impact: releases wait an hour", NOW)
    assert conversation.ticket.impact == "releases wait an hour"
    assert isinstance(replies[-1], Question) and replies[-1].spec.name == "deadline"
    engine.answer(conversation, "deadline: 2026-12-18", NOW)
    replies = engine.answer(conversation, "criteria: it works well", NOW)
    assert isinstance(replies[-1], Question)
    assert replies[-1].text.startswith("What would you check"), "by name, vague: followed up"


def test_the_question_a_criteria_follow_up_interrupted_comes_back(engine: IntakeEngine) -> None:
    conversation = asked_about(engine, "our checkout-web pipeline is slow", "pipeline_url")
    replies = engine.answer(conversation, "criteria: it works well", NOW)
    assert isinstance(replies[-1], Question) and replies[-1].spec.name == "acceptance_criteria"
    replies = engine.answer(conversation, "main builds in under 10 minutes", NOW)
    assert isinstance(replies[-1], Question) and replies[-1].spec.name == "pipeline_url"


def test_criteria_listed_on_lines_and_a_day_renamed(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production")
    engine.answer(conversation, "done", NOW)
    engine.answer(
        conversation,
        "criteria:\n- billing-api connects from staging\n- backups restore in under 1 hour",
        NOW,
    )
    assert conversation.ticket.acceptance_criteria == [
        "billing-api connects from staging",
        "backups restore in under 1 hour",
    ]
    engine.answer(conversation, "deadline: Thursday", NOW)
    replies = engine.answer(conversation, "it's Friday, not Thursday", NOW)
    assert said(replies) == [("Deadline", date(2026, 11, 26), date(2026, 11, 27))]
    assert conversation.ticket.services == ["billing"], "a day is not a service"


def test_skipping_the_follow_up_after_the_draft_adds_nothing(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing in production")
    engine.answer(conversation, "done", NOW)
    engine.answer(conversation, "criteria: looks good", NOW)
    replies = engine.answer(conversation, "skip", NOW)
    assert conversation.ticket.acceptance_criteria == ["looks good"]
    assert conversation.pending is None and isinstance(replies[-1], Draft)


def test_a_long_paste_is_never_read_as_a_correction(templates: TemplateSet) -> None:
    paste = "deadline: Friday\n" + "ERROR build step failed at 412s\n" * 200
    assert corrections.find(paste, templates.get("ci_cd"), TODAY) is None


def test_a_list_answered_by_name_is_no_criterion_to_follow_up(engine: IntakeEngine) -> None:
    conversation = asked_about(engine, "we need a postgres db in production", "services")
    replies = engine.answer(conversation, "services: billing-api, ledger", NOW)
    assert conversation.ticket.services == ["billing-api", "ledger"]
    assert isinstance(replies[-1], Question) and replies[-1].spec.name == "storage_gb"
