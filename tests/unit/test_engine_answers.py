"""The question flow with answers as people give them: never a loop, "not sure" kept as the
person's words (never as data), one more try for an answer the bot cannot read, and a paste
answering only the question it was sent to."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from intake.conversation import Conversation, Phase, Source
from intake.engine import IntakeEngine
from intake.replies import Draft, Question, Reply
from tests.unit.conftest import NOW, skip_to

UNSURE = [
    "not sure",
    "no idea",
    "dunno",
    "idk",
    "n/a",
    "not sure tbh",
    "you pick",
    "up to you",
    "whatever you recommend",
    "not sure, whatever you recommend",
    "no preference",
    "don't care",
    "you decide",
    "tbd",
    "?",
]


def start(engine: IntakeEngine, text: str) -> tuple[Conversation, list[Reply]]:
    return engine.start(text, "U1", Source.DM, "UTC", NOW)


def questions(replies: list[Reply]) -> list[Question]:
    return [r for r in replies if isinstance(r, Question)]


def values_of(ticket: Any) -> list[str]:
    """Every text the ticket holds as data (not its notes)."""
    texts = [ticket.title, ticket.impact, ticket.desired_outcome]
    texts += ticket.acceptance_criteria + ticket.services + ticket.environment
    for value in ticket.fields.values():
        texts += value if isinstance(value, list) else [str(value)]
    return [str(t).lower() for t in texts]


@pytest.mark.parametrize(
    "opening",
    [
        "we need a postgres db for billing",
        "CI is slow",
        "need read access to the logs",
        "we need more capacity",
        "spin up a new service",
        "add dashboards and alerts",
        "our AWS bill doubled",
        "follow-up from last week's outage",
        "need a CNAME",
        "something is off with our stuff",
    ],
)
def test_any_way_of_saying_dont_know_is_never_asked_again_nor_kept_as_data(
    engine: IntakeEngine, opening: str
) -> None:
    conversation, replies = start(engine, opening)
    phrases = itertools.cycle(UNSURE)
    asked: list[str] = []
    said: dict[str, str] = {}
    while conversation.phase is Phase.ASKING:
        pending = questions(replies)
        assert pending, f"no question and no draft: {replies}"
        field = pending[-1].spec.name
        assert field not in asked, f"asked {field} again after “{said.get(field)}”"
        asked.append(field)
        said[field] = next(phrases)
        replies = engine.answer(conversation, said[field], NOW)
    ticket = conversation.ticket
    assert isinstance(replies[-1], Draft)
    for field, phrase in said.items():
        assert f"“{phrase}”" in ticket.answer_notes[field], "kept as the person's words"
        assert all(phrase not in value for value in values_of(ticket)), "never as a value"
    missing = [item.label for item in replies[-1].readiness.missing]
    assert not any("deadline" in label.lower() for label in missing), missing


def test_an_unreadable_answer_is_asked_once_more_then_kept_as_a_note(
    engine: IntakeEngine,
) -> None:
    conversation, _ = start(engine, "CI for checkout-web is slow, no deadline")
    skip_to(engine, conversation, "build_minutes")
    again = questions(engine.answer(conversation, "purple", NOW))
    assert again[-1].spec.name == "build_minutes" and "e.g." in again[-1].text
    moved_on = questions(engine.answer(conversation, "also purple", NOW))
    assert all(q.spec.name != "build_minutes" for q in moved_on), "never a third time"
    assert conversation.ticket.answer_notes["build_minutes"] == "as typed — “also purple”"
    assert "build_minutes" not in conversation.ticket.fields


def test_a_multi_line_paste_answers_only_the_question_asked(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing")
    assert conversation.pending == "environment"
    engine.answer(conversation, "production", NOW)
    assert conversation.pending == "storage_gb"
    paste = "about 200 GB for now\nDeadline: next Friday\nImpact: invoices are late\n" + (
        "2026-12-01 12:00:01 ERROR disk full at 412 GB\n" * 20
    )
    engine.answer(conversation, paste, NOW)
    ticket = conversation.ticket
    assert ticket.fields["storage_gb"] == 200
    assert ticket.deadline is None and not ticket.impact, "other lines answer nothing else"


def test_a_value_given_later_replaces_the_note(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing")
    engine.answer(conversation, "no idea", NOW)
    assert "environment" in conversation.ticket.answer_notes
    engine.edit(conversation, {"environment": ["staging"]}, NOW)
    assert conversation.ticket.environment == ["staging"]
    assert "environment" not in conversation.ticket.answer_notes


def test_a_hedged_answer_keeps_the_answer(engine: IntakeEngine) -> None:
    conversation, _ = start(engine, "we need a postgres db for billing")
    engine.answer(conversation, "not sure, maybe staging", NOW)
    assert conversation.ticket.environment == ["staging"]
    assert "environment" not in conversation.ticket.answer_notes
