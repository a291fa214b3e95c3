"""Reading one answer to the question asked, the way people answer: open choices kept as typed,
"me" for a person, Slack's special mentions ignored, pastes as one answer, lists split where
the person listed things, numbers in the unit the person said."""

from __future__ import annotations

from datetime import date

import pytest

from intake import answers
from intake.lists import split_list
from intake.templates import FieldSpec, TemplateSet
from intake.templates.model import Option
from tests.unit.conftest import spec

TODAY = date(2026, 11, 23)
ME = "U0REQUESTER"

LOG = "\n".join(
    f"2026-12-01 12:00:{i:02d} INFO step build-{i} finished in 412s exit=0" for i in range(60)
)


def read(field: FieldSpec, text: str, *, last_try: bool = False) -> answers.Reading:
    return answers.read(field, text, TODAY, ME, last_try=last_try)


# -- "not sure" for every question type ----------------------------------------------------------


@pytest.mark.parametrize(
    ("template_id", "name"),
    [
        ("database", "environment"),
        ("database", "engine"),
        ("database", "storage_gb"),
        ("database", "deadline"),
        ("database", "acceptance_criteria"),
        ("database", "services"),
        ("database", "impact"),
        ("access_request", "who_needs_access"),
        ("new_service", "exposure"),
    ],
)
def test_not_sure_is_a_note_for_every_question_type(
    templates: TemplateSet, template_id: str, name: str
) -> None:
    reading = read(spec(templates, template_id, name), "not sure, whatever you recommend")
    assert reading.value is None and not reading.problem
    assert reading.note == "left to the platform team — “not sure, whatever you recommend”"


# -- choices are suggestions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("the k8s.io zone", ["the k8s.io zone"]),
        ("ci.jenkins.io", ["ci.jenkins.io"]),
        ("us-central1", ["us-central1"]),
        ("publick8s", ["publick8s"]),
        ("prod and us-central1", ["production", "us-central1"]),
        ("staging", ["staging"]),
        ("prod for now\nstaging later", ["production", "staging"]),
        ("production\nus-central1", ["production", "us-central1"]),
    ],
)
def test_an_environment_matching_no_option_is_kept_as_typed(
    templates: TemplateSet, answer: str, expected: list[str]
) -> None:
    assert read(spec(templates, "database", "environment"), answer).value == expected


def test_an_open_single_choice_keeps_what_was_typed(templates: TemplateSet) -> None:
    assert read(spec(templates, "database", "engine"), "CockroachDB").value == "CockroachDB"
    assert read(spec(templates, "database", "engine"), "pg 16").value == "PostgreSQL"


def test_an_option_named_n_a_or_no_is_chosen_not_taken_as_unsure(templates: TemplateSet) -> None:
    exposure = spec(templates, "new_service", "exposure")
    yes_no = FieldSpec(
        "ha", "High availability", "Do you need HA?", exposure.type, closed=True,
        options=(Option("yes"), Option("no"), Option("n/a")),
    )  # fmt: skip
    assert read(yes_no, "No.").value == "no"
    assert read(yes_no, "n/a").value == "n/a"
    assert read(yes_no, "not sure").note == "not sure — “not sure”"


def test_a_closed_choice_asks_once_more_then_keeps_the_words_as_a_note(
    templates: TemplateSet,
) -> None:
    exposure = spec(templates, "new_service", "exposure")
    assert exposure.closed
    first = read(exposure, "purple")
    assert first.value is None and "didn't recognise" in first.problem
    second = read(exposure, "purple", last_try=True)
    assert second.value is None and not second.problem
    assert second.note == "as typed — “purple”"


def test_a_hedged_list_keeps_the_names(templates: TemplateSet) -> None:
    services = spec(templates, "database", "services")
    assert read(services, "not sure, probably billing-api").value == ["billing-api"]
    assert read(services, "billing-api, not sure about the rest").value == ["billing-api"]


# -- special mentions, people ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "mention", ["<!channel>", "<!here>", "<!everyone>", "<!subteam^S0PLAT|@sre>"]
)
def test_special_mentions_are_never_a_service(templates: TemplateSet, mention: str) -> None:
    services = spec(templates, "database", "services")
    assert read(services, f"{mention} billing-api").value == ["billing-api"]
    alone = read(services, mention)
    assert alone.value is None and alone.problem


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("me", ME),
        ("myself", ME),
        ("just me", ME),
        ("Me!", ME),
        ("<@U0BOB123>", "U0BOB123"),
    ],
)
def test_me_is_the_person_answering(templates: TemplateSet, answer: str, expected: str) -> None:
    who = spec(templates, "access_request", "who_needs_access")
    assert read(who, answer).value == expected


def test_me_and_someone_else(templates: TemplateSet) -> None:
    who = spec(templates, "access_request", "who_needs_access")
    both = FieldSpec(who.name, who.label, who.question, who.type, multiple=True)
    assert read(both, "me and <@U0BOB123>").value == [ME, "U0BOB123"]


def test_nobody_named_is_asked_once_more_with_me_as_an_option(templates: TemplateSet) -> None:
    who = spec(templates, "access_request", "who_needs_access")
    reading = read(who, "the new hire")
    assert "“me”" in reading.problem


# -- pastes ----------------------------------------------------------------------------------------


def test_a_duration_is_what_the_person_said_not_a_number_in_the_pasted_log(
    templates: TemplateSet,
) -> None:
    minutes = spec(templates, "ci_cd", "build_minutes")
    assert read(minutes, f"it takes about 40 minutes, log below:\n{LOG}").value == 40
    assert read(minutes, f"{LOG}\nso yeah, it takes about 40 minutes").value == 40


def test_a_pasted_log_with_no_stated_number_is_kept_as_a_note(templates: TemplateSet) -> None:
    reading = read(spec(templates, "ci_cd", "build_minutes"), f"here's the log:\n{LOG}")
    assert reading.value is None and not reading.problem
    assert reading.note.startswith("no number given")


def test_a_long_paste_is_summarised_in_a_text_field(templates: TemplateSet) -> None:
    paste = (
        "Hi team,\nOur nightly export keeps timing out since the migration. "
        "It blocks finance every morning.\n" + LOG
    )
    reading = read(spec(templates, "database", "impact"), paste)
    assert reading.value == "Our nightly export keeps timing out since the migration."
    assert "conversation" in reading.note


def test_a_multi_line_paste_is_one_list_item_not_one_per_line(templates: TemplateSet) -> None:
    criteria = spec(templates, "database", "acceptance_criteria")
    paste = "The restore job from last night failed like this:\n" + LOG
    reading = read(criteria, paste)
    assert reading.value == ["The restore job from last night failed like this:"]


def test_a_few_long_lines_are_one_criterion_each(templates: TemplateSet) -> None:
    criteria = spec(templates, "database", "acceptance_criteria")
    first = "billing-api in every region connects to the new primary and its replica " * 3
    second = "a restore of last night's backup into staging completes in under an hour"
    assert read(criteria, f"{first.strip()}\n{second}").value == [first.strip(), second]


# -- lists -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "items"),
    [
        (
            "both of us can ssh into a 10.14, a 10.15 machine",
            ["both of us can ssh into a 10.14, a 10.15 machine"],
        ),
        (
            "the repo2docker images: a11y, r-base, julia, plus any standalone vms still on 18.04",
            ["the repo2docker images: a11y, r-base, julia, plus any standalone vms still on 18.04"],
        ),
        ("billing, payments and checkout", ["billing", "payments", "checkout"]),
        ("billing-api plus the ledger", ["billing-api", "the ledger"]),
        ("builds under 10 min, no flaky failures", ["builds under 10 min", "no flaky failures"]),
        ("Criteria:\n- restore works\n- p99 < 50ms", ["restore works", "p99 < 50ms"]),
        ("a; b; c", ["a", "b", "c"]),
    ],
)
def test_lists_split_where_the_person_listed_things(answer: str, items: list[str]) -> None:
    assert split_list(answer) == items


# -- numbers keep their unit -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template_id", "name", "answer", "expected"),
    [
        ("ci_cd", "build_minutes", "back near the ~3 hours they took", 180),
        ("ci_cd", "build_minutes", "for 3 weeks now builds take 2 hours", 120),
        ("ci_cd", "build_minutes", "a 3-hour build", 180),
        ("ci_cd", "build_minutes", "an hour and a half", 90),
        ("ci_cd", "build_minutes", "about forty minutes", 40),
        ("ci_cd", "build_minutes", "25", 25),
        ("database", "storage_gb", "16 GB", 16),
        ("database", "storage_gb", "2 TB", 2048),
        ("database", "storage_gb", "about 230 people, each needing 16 GB", 16),
    ],
)
def test_numbers_keep_the_unit_the_person_said(
    templates: TemplateSet, template_id: str, name: str, answer: str, expected: float
) -> None:
    assert read(spec(templates, template_id, name), answer).value == expected
