"""Deadlines in everyday words, read relative to the requester's local date."""

from __future__ import annotations

from datetime import date

import pytest

from intake.date_words import add_business_days
from intake.dates import DeadlineAnswer, find_deadline, parse_deadline

SUNDAY = date(2026, 11, 22)  # the fixed "today" of these tests
WEDNESDAY = date(2026, 11, 25)


def on(year: int, month: int, day: int) -> DeadlineAnswer:
    return DeadlineAnswer("date", date(year, month, day))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-15", on(2026, 12, 15)),
        ("12/15", on(2026, 12, 15)),
        ("12/15/2026", on(2026, 12, 15)),
        ("Dec 12", on(2026, 12, 12)),
        ("12 December", on(2026, 12, 12)),
        ("December 12th", on(2026, 12, 12)),
        ("the 12th of December", on(2026, 12, 12)),
        ("Monday, Dec 7", on(2026, 12, 7)),
        ("next Friday", on(2026, 11, 27)),
        ("friday", on(2026, 11, 27)),
        ("by Friday please", on(2026, 11, 27)),
        ("tomorrow", on(2026, 11, 23)),
        ("today", on(2026, 11, 22)),
        ("in 2 weeks", on(2026, 12, 6)),
        ("in 3 days", on(2026, 11, 25)),
        ("in a fortnight", on(2026, 12, 6)),
        ("two weeks from now", on(2026, 12, 6)),
        ("end of the month", on(2026, 11, 30)),
        ("end of month", on(2026, 11, 30)),
        ("EOM", on(2026, 11, 30)),
        ("end of next month", on(2026, 12, 31)),
        ("end of the week", on(2026, 11, 27)),
        ("end of next week", on(2026, 12, 4)),
        ("end of the quarter", on(2026, 12, 31)),
        ("end of Q1", on(2027, 3, 31)),
        ("end of year", on(2026, 12, 31)),
        ("next month", on(2026, 12, 1)),
        ("mid December", on(2026, 12, 15)),
        ("Jan 15", on(2027, 1, 15)),  # a month already passed this year means next year's
        ("the 3rd", on(2026, 12, 3)),  # the next 3rd, not a 3rd in some other month
        ("Monday the 7th", on(2026, 12, 7)),
    ],
)
def test_deadline_phrases_on_a_sunday(text: str, expected: DeadlineAnswer) -> None:
    assert parse_deadline(text, SUNDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("friday", on(2026, 11, 27)),
        ("this friday", on(2026, 11, 27)),
        ("next friday", on(2026, 12, 4)),  # on a Wednesday, next week's Friday
        ("end of the week", on(2026, 11, 27)),
        ("end of next week", on(2026, 12, 4)),
        ("next week", on(2026, 11, 30)),
        ("tomorrow", on(2026, 11, 26)),
        ("the 25th", on(2026, 11, 25)),
    ],
)
def test_deadline_phrases_on_a_weekday(text: str, expected: DeadlineAnswer) -> None:
    assert parse_deadline(text, WEDNESDAY) == expected


@pytest.mark.parametrize("text", ["asap", "ASAP!", "as soon as possible", "urgent"])
def test_asap_means_two_business_days(text: str) -> None:
    assert parse_deadline(text, SUNDAY) == DeadlineAnswer("asap", date(2026, 11, 24))
    # From a Thursday, two business days skip the weekend.
    assert parse_deadline(text, date(2026, 11, 26)) == DeadlineAnswer("asap", date(2026, 11, 30))


@pytest.mark.parametrize(
    "text", ["no deadline", "None", "no rush", "whenever", "no date", "no deadline, whenever",
             "not urgent"],
)  # fmt: skip
def test_no_deadline(text: str) -> None:
    assert parse_deadline(text, SUNDAY) == DeadlineAnswer("none")


@pytest.mark.parametrize("text", ["2025-01-01", "Nov 20", "11/20"])
def test_a_date_in_the_past_is_not_a_deadline(text: str) -> None:
    assert parse_deadline(text, SUNDAY) is None


def test_a_past_date_can_be_read_to_say_it_is_past() -> None:
    assert parse_deadline("Nov 20", SUNDAY, allow_past=True) == on(2026, 11, 20)


@pytest.mark.parametrize("text", ["billing", "we", "100GB", "no idea", "24/7", ""])
def test_words_that_are_not_dates(text: str) -> None:
    assert parse_deadline(text, SUNDAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we need a postgres db for billing by next friday", on(2026, 11, 27)),
        ("need it before the Dec 12 launch", on(2026, 12, 12)),
        ("can you set this up by 2026-12-01?", on(2026, 12, 1)),
        ("due 12/15 please", on(2026, 12, 15)),
        ("need it in 2 weeks", on(2026, 12, 6)),
        ("ideally by end of the month", on(2026, 11, 30)),
        ("we launch next week", on(2026, 11, 30)),
        ("please have it ready by tomorrow", on(2026, 11, 23)),
        ("we need it by the 3rd", on(2026, 12, 3)),
        ("the outage was on Nov 20, we need the fix by Dec 1", on(2026, 12, 1)),
        ("asap", DeadlineAnswer("asap", date(2026, 11, 24))),
        ("can we get a db for billing asap?", DeadlineAnswer("asap", date(2026, 11, 24))),
        ("asap, ideally by friday", on(2026, 11, 27)),
        ("no deadline, whenever", DeadlineAnswer("none")),
        ("no rush on this one", DeadlineAnswer("none")),
    ],
)
def test_finds_the_deadline_inside_a_sentence(text: str, expected: DeadlineAnswer) -> None:
    assert find_deadline(text, SUNDAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "we need a db",
        "May I get access to the billing db?",
        "May 2 of us get access?",
        "we march on with the migration",
        "I sat with the team and the sun was out",
        "follow-up from last week's outage",
        "our AWS bill doubled this month",
        "whenever we deploy, CI breaks",
        "we need 3rd party access",
        "the service runs 24/7",
        "CI is slow, help",
        "we deploy on fridays",
        "the migration moved 3/4 of the rows",
        "we haven't deployed in months",
        "this is not urgent",
        "give <@U123ABC> read access to the prod db",
        "see https://ci.example.com/runs/2026-12-01 for the failure",
    ],
)
def test_no_false_deadlines(text: str) -> None:
    assert find_deadline(text, SUNDAY) is None


def test_add_business_days_skips_weekends() -> None:
    assert add_business_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert add_business_days(SUNDAY, 2) == date(2026, 11, 24)
