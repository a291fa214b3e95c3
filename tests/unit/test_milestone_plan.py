"""Milestone plans made from the ask: its criteria staged by its environments, dated on working
days from tomorrow to the deadline, merged with a warning when the deadline is too tight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from intake import milestone_plan
from intake.assistant import RuleAssistant
from intake.conversation import Source
from intake.engine import IntakeEngine
from intake.milestone_plan import MAX_STEPS, plan, stages, steps_for
from intake.milestone_schedule import Kind, Step, day_text, schedule
from intake.replies import Draft
from intake.templates import TemplateSet, load_templates
from intake.ticket import Milestone, Size, Ticket

MONDAY = date(2026, 12, 7)
WEDNESDAY = date(2026, 12, 9)
FRIDAY = date(2026, 12, 11)
SATURDAY = date(2026, 12, 12)

BACKUPS = "nightly backups restore in under 1 hour"
CONNECTS = "billing-api connects with credentials from the secret store"


def ask(**values: object) -> Ticket:
    return Ticket(requester="U1", **values)  # type: ignore[arg-type]


def staged(criteria: list[str], **values: object) -> Ticket:
    """An ask for staging and production with these acceptance criteria."""
    return ask(acceptance_criteria=criteria, environment=["staging", "production"], **values)


def titles(milestones: list[Milestone]) -> list[str]:
    return [m.title for m in milestones]


def dues(milestones: list[Milestone]) -> list[date]:
    return [m.due for m in milestones if m.due is not None]


# -- what the plan holds ------------------------------------------------------------------------


def test_each_criterion_is_proved_in_staging_then_in_production(templates: TemplateSet) -> None:
    ticket = ask(
        acceptance_criteria=[CONNECTS, BACKUPS],
        environment=["production", "staging"],
        deadline=date(2027, 1, 15),
    )
    made = plan(ticket, templates.get("database"), MONDAY, Size.M)
    assert titles(made.milestones) == [
        "Billing-api connects with credentials from the secret store (staging)",
        "Nightly backups restore in under 1 hour (staging)",
        "Billing-api connects with credentials from the secret store (production)",
        "Nightly backups restore in under 1 hour (production)",
        "Verified with the requester",
    ]
    assert made.milestones[1].done_criterion == f"{BACKUPS} in staging."
    assert made.warning == ""


@pytest.mark.parametrize(
    ("template_id", "criteria", "titles"),
    [
        pytest.param(
            "database",
            ["billing-api connects from staging", "p95 under 200 ms in prod"],
            [
                "Billing-api connects from staging",
                "P95 under 200 ms in prod",
                "Verified with the requester",
            ],
            id="a-criterion-that-names-its-environment-is-proved-there-only",
        ),
        pytest.param(
            "compute_capacity",
            ["a load test at 2x peak passes", "p95 in prod stays under 200 ms"],
            [
                "A load test at 2x peak passes (staging)",
                "A load test at 2x peak passes (production)",
                "P95 in prod stays under 200 ms",
                "Verified with the requester",
            ],
            id="a-test-or-live-in-a-criterion-is-not-a-place",
        ),
        pytest.param(
            "other",
            ["the runbook is documented", "we can ssh into 2 build machines"],
            [
                "We can ssh into 2 build machines (staging)",
                "We can ssh into 2 build machines (production)",
                "The runbook is documented",
            ],
            id="paperwork-is-proved-once-at-the-end-and-a-confirming-criterion-replaces-sign-off",
        ),
    ],
)
def test_criteria_staged_in_staging_then_production(
    templates: TemplateSet, template_id: str, criteria: list[str], titles: list[str]
) -> None:
    ticket = staged(criteria)
    steps = steps_for(ticket, templates.get(template_id), Size.M)
    assert [s.title for s in steps] == titles


def test_named_clusters_stay_as_typed_between_staging_and_production() -> None:
    found = stages(["production", "publick8s", "staging", "dev", "us-central1", "non-prod"])
    assert [label for label, _envs in found] == [
        "pre-production",
        "publick8s and us-central1",
        "production",
    ]
    assert found[0][1] == ["dev", "staging", "non-prod"]
    zones = stages(["europe-west1", "us-central1", "asia-east1"])
    assert zones == [("europe-west1 and 2 more", ["europe-west1", "us-central1", "asia-east1"])]
    assert stages(["ci.jenkins.io"]) == [("ci.jenkins.io", ["ci.jenkins.io"])]


def test_a_zone_named_us_is_not_the_requester_confirming(templates: TemplateSet) -> None:
    ticket = ask(acceptance_criteria=["pods schedule in us-central1 within 60 s"])
    steps = steps_for(ticket, templates.get("compute_capacity"), Size.M)
    assert steps[-1].title == "Verified with the requester"


def test_a_single_place_is_named_on_every_check(templates: TemplateSet) -> None:
    ticket = ask(
        acceptance_criteria=["notebook starts in under 2 minutes"], environment=["publick8s"]
    )
    steps = steps_for(ticket, templates.get("compute_capacity"), Size.M)
    assert steps[0].title == "Notebook starts in under 2 minutes (publick8s)"


def test_a_large_ask_starts_with_agreeing_the_approach(templates: TemplateSet) -> None:
    criteria = ["p95 latency alert fires within 5 minutes"]
    observability = steps_for(
        ask(acceptance_criteria=criteria), templates.get("observability"), Size.L
    )
    assert (observability[0].title, observability[0].kind) == ("Signals agreed", Kind.PLAN)
    # The database type's first step is work, not agreement: the generic step stands in.
    database = steps_for(ask(acceptance_criteria=criteria), templates.get("database"), Size.XL)
    assert database[0].title == "Approach agreed"
    assert steps_for(ask(acceptance_criteria=criteria), templates.get("database"), Size.M)[
        0
    ].title.startswith("P95 latency")


def test_without_a_checkable_criterion_the_template_fills_the_plan(
    templates: TemplateSet,
) -> None:
    access = templates.get("access_request")
    for criteria in ([], ["it works well"]):
        steps = steps_for(ask(acceptance_criteria=criteria), access, Size.S)
        assert [s.title for s in steps] == [m.title for m in access.milestones]


def test_many_criteria_are_grouped_per_stage_earliest_first(templates: TemplateSet) -> None:
    criteria = [f"endpoint {n} returns 200 within 300 ms" for n in range(1, 5)]
    ticket = ask(acceptance_criteria=criteria, environment=["development", "staging", "production"])
    steps = steps_for(ticket, templates.get("other"), Size.M)
    assert len(steps) <= MAX_STEPS
    assert [s.title for s in steps] == [
        "All 4 criteria pass (development and staging)",
        "Endpoint 1 returns 200 within 300 ms (production)",
        "Endpoint 2 returns 200 within 300 ms (production)",
        "Endpoint 3 returns 200 within 300 ms (production)",
        "Endpoint 4 returns 200 within 300 ms (production)",
        "Verified with the requester",
    ]
    assert steps[0].done.count("development and staging") == 4


def test_long_criteria_make_short_titles(templates: TemplateSet) -> None:
    long = (
        "about 230 people at once can each start a notebook with around 16 GB of memory, "
        "maybe more, during the January workshop without waiting for a node"
    )
    made = plan(ask(acceptance_criteria=[long]), templates.get("other"), MONDAY, Size.M)
    first = made.milestones[0]
    assert first.title == "About 230 people at once can each start a notebook with…"
    assert first.done_criterion.startswith("about 230 people") and "node" in first.done_criterion


# -- dates --------------------------------------------------------------------------------------


def test_dates_are_working_days_from_tomorrow_up_to_the_deadline(templates: TemplateSet) -> None:
    ticket = staged([BACKUPS])
    ticket.deadline = date(2026, 12, 24)
    made = plan(ticket, templates.get("database"), MONDAY, Size.M)
    assert dues(made.milestones) == [date(2026, 12, 14), date(2026, 12, 18), date(2026, 12, 24)]


def test_a_weekend_today_starts_on_monday_and_a_weekend_deadline_ends_on_friday(
    templates: TemplateSet,
) -> None:
    ticket = staged([BACKUPS, CONNECTS], deadline=date(2026, 12, 20))  # a Sunday
    made = plan(ticket, templates.get("database"), SATURDAY, Size.M)  # five milestones
    assert dues(made.milestones) == [date(2026, 12, day) for day in (14, 15, 16, 17, 18)]
    assert made.warning == ""


@pytest.mark.parametrize("deadline_days", [0, 1, 2, 3, 4, 5, 6, 9, 12, 20, 45, None])
@pytest.mark.parametrize("today", [MONDAY, WEDNESDAY, FRIDAY, SATURDAY])
def test_no_milestone_today_or_earlier_after_the_deadline_or_two_on_one_day(
    templates: TemplateSet, today: date, deadline_days: int | None
) -> None:
    deadline = today + timedelta(days=deadline_days) if deadline_days is not None else None
    criteria = [CONNECTS, BACKUPS, "the runbook is documented"]
    for template in templates:
        for size in (Size.S, Size.XL):
            ticket = staged(criteria, deadline=deadline, no_deadline=deadline is None)
            made = plan(ticket, template, today, size)
            days = dues(made.milestones)
            assert len(days) == len(made.milestones) >= 1
            assert days == sorted(set(days)), "in order, never two on one day"
            assert all(day > today for day in days), "never today or earlier"
            if deadline is not None and deadline > today:
                assert days[-1] <= deadline, "never after the deadline"
            if deadline is None or len(days) > 1:
                assert all(day.weekday() < 5 for day in days), "working days"


def test_a_deadline_too_tight_merges_the_plan_and_says_when_it_could_be_done(
    templates: TemplateSet,
) -> None:
    # two working days after Monday, for five milestones
    ticket = staged([CONNECTS, BACKUPS], deadline=WEDNESDAY)
    made = plan(ticket, templates.get("database"), MONDAY, Size.M)
    assert dues(made.milestones) == [date(2026, 12, 8), WEDNESDAY]
    assert titles(made.milestones) == [
        "Both criteria pass (staging)",
        "Both criteria pass (production)",
    ]
    assert "the requester confirmed" in made.milestones[-1].done_criterion
    assert made.warning == (
        "Too tight for 5 milestones by Wed 9 Dec: the earliest realistic date is "
        "Mon 14 Dec. The plan is merged into 2 to keep it; move the deadline or cut scope "
        "to do it step by step."
    )


def test_with_no_working_day_left_one_milestone_keeps_the_deadline(
    templates: TemplateSet,
) -> None:
    ticket = ask(acceptance_criteria=[CONNECTS, BACKUPS], deadline=date(2026, 12, 13))
    made = plan(ticket, templates.get("other"), FRIDAY, Size.M)  # deadline on Sunday
    assert [(m.title, m.due) for m in made.milestones] == [
        ("Both criteria pass", date(2026, 12, 13))
    ]
    assert "earliest realistic date is Wed 16 Dec" in made.warning
    assert "merged into one" in made.warning


@pytest.mark.parametrize(
    ("size", "last"),
    [
        (Size.S, date(2026, 12, 14)),
        (Size.M, date(2026, 12, 28)),
        (Size.L, date(2027, 1, 18)),
        (Size.XL, date(2027, 2, 15)),
    ],
)
def test_without_a_deadline_the_size_sets_the_length(
    templates: TemplateSet, size: Size, last: date
) -> None:
    ticket = ask(acceptance_criteria=[BACKUPS], no_deadline=True)
    made = plan(ticket, templates.get("database"), MONDAY, size)
    assert dues(made.milestones)[-1] == last and made.warning == ""


def test_without_a_deadline_a_long_plan_takes_one_working_day_each_at_least() -> None:
    steps = [Step(f"Step {n}", "Done.") for n in range(1, 8)]
    made = schedule(steps, FRIDAY, None, Size.S)
    assert dues(made.milestones)[0] == date(2026, 12, 14)
    assert len(set(dues(made.milestones))) == 7 and made.warning == ""


def test_without_a_deadline_a_proposers_longer_schedule_stands() -> None:
    steps = [Step("One", "Done."), Step("Two", "Done.")]
    made = schedule(steps, MONDAY, None, Size.S, [date(2027, 1, 4), date(2027, 2, 1)])
    assert dues(made.milestones) == [date(2027, 1, 4), date(2027, 2, 1)]


def test_a_proposers_dates_are_kept_on_working_days_or_re_spaced() -> None:
    steps = [Step("One", "Done."), Step("Two", "Done.")]
    kept = schedule(steps, MONDAY, date(2026, 12, 18), Size.M, [WEDNESDAY, SATURDAY])
    assert dues(kept.milestones) == [WEDNESDAY, date(2026, 12, 14)]
    crossed = schedule(steps, MONDAY, date(2026, 12, 18), Size.M, [FRIDAY, WEDNESDAY])
    assert dues(crossed.milestones) == [date(2026, 12, 14), date(2026, 12, 18)]


# -- in the engine ------------------------------------------------------------------------------


def test_a_draft_is_replanned_when_its_criteria_change() -> None:
    engine = IntakeEngine(load_templates(), RuleAssistant())
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    conversation, _ = engine.start(
        "we need a postgres db for billing in staging by 2026-12-18", "U1", Source.DM, "UTC", now
    )
    engine.answer(conversation, "done", now)
    before = titles(conversation.ticket.milestones)
    replies = engine.edit(conversation, {"acceptance_criteria": [BACKUPS]}, now)
    assert isinstance(replies[-1], Draft)
    after = titles(conversation.ticket.milestones)
    assert after != before and after[0] == "Nightly backups restore in under 1 hour (staging)"
    assert milestone_plan.inputs(conversation.ticket)[2] == (BACKUPS,)


def test_a_warning_writes_dates_as_the_bot_shows_them_with_the_year_only_when_it_differs() -> None:
    today = date(2026, 12, 28)
    assert day_text(date(2026, 12, 30), today) == "Wed 30 Dec"
    assert day_text(date(2027, 1, 4), today) == "Mon 4 Jan 2027"
    assert day_text(date(2027, 1, 4)) == "Mon 4 Jan 2027", "no reader's today: the year"


def test_a_deadline_today_says_no_working_day_is_left_not_that_the_plan_fits() -> None:
    steps = [Step("One", "Done."), Step("Two", "Done.")]
    made = schedule(steps, FRIDAY, FRIDAY, Size.S)
    assert dues(made.milestones) == [date(2026, 12, 14)]
    assert made.warning.startswith(
        "No working day is left before Fri 11 Dec: the plan is due Mon 14 Dec"
    ), made.warning
    one = schedule([Step("One", "Done.")], FRIDAY, SATURDAY, Size.S)
    assert "milestones" not in one.warning and "merged" not in one.warning, one.warning
