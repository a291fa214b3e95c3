"""Request types a lead would pick: the ask's request sentence decides, and a close call is asked
once, with the two likeliest types as buttons."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake.conversation import Source
from intake.engine import IntakeEngine
from intake.replies import Corrected, Question, Understood
from intake.request_types import TYPE_FIELD, classify, close_call
from intake.templates import TemplateSet

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ask", "expected"),
    [
        # Filed as CI/CD before: a quota raised for CI, and a cost cut on CI artifacts.
        ("We need the cloud quota increased for the build project, our pipelines run out of "
         "CPUs", "compute_capacity"),
        ("Our artifact storage for CI builds costs too much. Please cut the cost of old build "
         "artifacts in S3", "cost"),
        ("artifact storage is eating our budget, can we cut it? old pipeline artifacts are kept "
         "forever", "cost"),
        # Filed as Observability before: being let in to read logs is access.
        ("Could I get read access to the ci.jenkins.io build logs? I need to debug flaky tests",
         "access_request"),
        ("need read access to the logs of the prod cluster in grafana", "access_request"),
        # Someone starting something that runs as a service, whatever it is called.
        ("we're building a new invoicing api in rust, what's the process?", "new_service"),
        ("starting a small ledger service in kotlin next sprint, what do you need from us",
         "new_service"),
        # An OS or runtime at its end of life is an upgrade, even where CI runs on it.
        ("python 3.8 reaches end of life soon, our CI images still use it", "other"),
        ("debian 10 goes EOL in june, the build hosts have to move", "other"),
        # Machines joining as builders are the pipeline's.
        ("the two new arm boxes from the lab, could they join the pool as builders?", "ci_cd"),
        # Surviving a crowd is capacity.
        ("300 attendees will use the training hub during the conference, will it hold up?",
         "compute_capacity"),
        # Something already broke and the ask is to prevent it again.
        ("the queue ran out of space on friday and the app went down. please make sure it "
         "can't happen again", "incident_follow_up"),
        # Hostnames are places, not keywords: "ci.example.org" is not a CI/CD ask.
        ("new on the release team, need VPN access so I can reach ci.example.org, "
         "ci.example.net and cd.example.dev", "access_request"),
        # A sum of money stated in the ask makes it about what something costs.
        ("the build cache bucket keeps growing and costs us ~$6k a month, can we trim it?",
         "cost"),
        ("we pay about €900 a month for test runners that sit idle at night", "cost"),
        # And what was right stays right.
        ("CI is slow, help", "ci_cd"),
        ("we need a dashboard and alerts for checkout latency", "observability"),
        ("we need a postgres db for billing asap", "database"),
    ],
)  # fmt: skip
def test_types_a_lead_would_pick(templates: TemplateSet, ask: str, expected: str) -> None:
    assert classify(ask, templates) == expected


def test_hostnames_are_no_keywords(templates: TemplateSet) -> None:
    assert classify("could I get an account so I can log in to ci.example.org", templates) != (
        "ci_cd"
    )


def test_the_request_sentence_outweighs_the_context(templates: TemplateSet) -> None:
    ask = (
        "Our Jenkins pipeline builds are flaky and the CI runners are slow. "
        "Can you give me read access to the build logs?"
    )
    assert classify(ask, templates) == "access_request"


def test_submit_typed_during_the_questions_shows_the_draft(engine: IntakeEngine) -> None:
    conversation, replies = engine.start(
        "we need a postgres db for billing asap", "U1", Source.DM, "UTC", NOW
    )
    assert any(isinstance(r, Question) for r in replies)
    replies = engine.answer(conversation, "submit", NOW)
    assert [type(r).__name__ for r in replies] == ["Draft"], "never read as an answer"


def test_one_type_that_clearly_wins_is_never_asked_about(engine: IntakeEngine) -> None:
    _conversation, replies = engine.start(
        "we need a postgres db for billing asap", "U1", Source.DM, "UTC", NOW
    )
    asked = [r for r in replies if isinstance(r, Question)]
    assert asked and asked[0].spec.name != TYPE_FIELD


def test_a_close_call_is_one_question_with_the_two_likeliest_as_buttons(
    engine: IntakeEngine, templates: TemplateSet
) -> None:
    ask = "the k8s nodes cost too much, can we scale them down"
    assert close_call(ask, templates, classify(ask, templates)) is not None
    conversation, replies = engine.start(ask, "U1", Source.DM, "UTC", NOW)
    understood, question = replies
    assert isinstance(understood, Understood) and isinstance(question, Question)
    assert understood.request_type == "Compute capacity or Cost?"
    assert question.number == 1 and question.spec.name == TYPE_FIELD
    assert [o.value for o in question.spec.options] == ["Compute capacity", "Cost"]

    replies = engine.choose(conversation, TYPE_FIELD, "Cost", NOW)
    assert conversation.ticket.category == "cost"
    corrected = replies[0]
    assert isinstance(corrected, Corrected)
    assert (corrected.changes[0].old, corrected.changes[0].new) == ("Compute capacity", "Cost")
    nxt = replies[-1]
    assert isinstance(nxt, Question) and nxt.spec.name != TYPE_FIELD, "asked once, then on"
    assert nxt.number == 2


def test_the_type_question_takes_free_text_and_skip(engine: IntakeEngine) -> None:
    ask = "the k8s nodes cost too much, can we scale them down"
    conversation, _ = engine.start(ask, "U1", Source.DM, "UTC", NOW)
    engine.answer(conversation, "it's more of a cost thing", NOW)
    assert conversation.ticket.category == "cost"
    conversation, _ = engine.start(ask, "U1", Source.DM, "UTC", NOW)
    replies = engine.answer(conversation, "skip", NOW)
    assert conversation.ticket.category == "compute_capacity", "the likelier one stands"
    assert isinstance(replies[-1], Question) and replies[-1].spec.name != TYPE_FIELD


def test_saying_the_type_later_refiles_the_ask(engine: IntakeEngine) -> None:
    conversation, _ = engine.start("we need logs for checkout in prod", "U1", Source.DM, "UTC", NOW)
    assert conversation.ticket.category == "observability"
    engine.answer(conversation, "done", NOW)
    replies = engine.answer(conversation, "this is an access request, not observability", NOW)
    assert conversation.ticket.category == "access_request"
    assert isinstance(replies[0], Corrected)
    assert ("Observability", "Access request") in [(c.old, c.new) for c in replies[0].changes]
    assert "signals" not in conversation.ticket.fields, "the old type's fields are gone"


def test_naming_a_thing_is_not_naming_a_type(engine: IntakeEngine) -> None:
    conversation, _ = engine.start(
        "the reporting pods keep running out of memory", "U1", Source.DM, "UTC", NOW
    )
    assert conversation.ticket.category == "compute_capacity"
    engine.answer(conversation, "it's the reporting db, not the main one", NOW)
    assert conversation.ticket.category == "compute_capacity"


def test_the_summary_of_the_opening_keeps_an_amounts_unit(engine: IntakeEngine) -> None:
    from bot.blocks.intake import understood

    _conversation, replies = engine.start(
        "our artifact bucket costs us ~$4k a month, can we cut that down?",
        "U1",
        Source.DM,
        "UTC",
        NOW,
    )
    said = next(r for r in replies if isinstance(r, Understood))
    assert "*Monthly spend:* 4000 USD" in understood(said)["blocks"][0]["text"]["text"]
