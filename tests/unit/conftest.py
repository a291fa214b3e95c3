"""What the unit tests share: the built-in request types and one field of one of them, and the
rule-based engine with an intake started on it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake.assistant import RuleAssistant
from intake.conversation import Conversation, Source
from intake.engine import IntakeEngine
from intake.replies import Reply
from intake.templates import FieldSpec, TemplateSet, load_templates


@pytest.fixture(scope="module")
def templates() -> TemplateSet:
    """The built-in request types (one load a test module)."""
    return load_templates()


def spec(templates: TemplateSet, template_id: str, name: str) -> FieldSpec:
    """The field ``name`` of the request type ``template_id`` (it must exist)."""
    found = templates.get(template_id).field(name)
    assert found is not None
    return found


NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="module")
def engine(templates: TemplateSet) -> IntakeEngine:
    """The rule-based intake engine on the built-in request types."""
    return IntakeEngine(templates, RuleAssistant())


def start(
    engine: IntakeEngine, text: str, tz: str = "Europe/Berlin"
) -> tuple[Conversation, list[Reply]]:
    """An intake U1 opens with ``text`` in a DM with the bot, at NOW."""
    return engine.start(text, "U1", Source.DM, tz, NOW)


def asked_about(engine: IntakeEngine, text: str, field: str) -> Conversation:
    """An intake opened with ``text`` (as ``start``) whose first question is about ``field``."""
    conversation, _ = start(engine, text)
    assert conversation.pending == field
    return conversation


def skip_to(engine: IntakeEngine, conversation: Conversation, field: str) -> None:
    """Skip the questions until the engine asks for ``field``."""
    while conversation.pending != field:
        engine.answer(conversation, "skip", NOW)
