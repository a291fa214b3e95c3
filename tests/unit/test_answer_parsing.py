"""Reading a typed answer to one question (intake.answer_parsing): choices, dates, lists,
users, numbers and text, and the message when it cannot be read."""

from __future__ import annotations

from datetime import date

import pytest

from intake.answer_parsing import AnswerError, ParsedAnswer, parse_answer
from intake.lists import split_list
from intake.templates import TemplateSet
from tests.unit.conftest import spec

TODAY = date(2026, 11, 22)  # a Sunday


def answer(value: object) -> ParsedAnswer:
    return ParsedAnswer(value)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("pg", "PostgreSQL"),
        ("postgres 15", "PostgreSQL"),
        ("2", "MySQL"),
        ("my", "MySQL"),  # a prefix of one option
        ("Redis please", "Redis"),
        ("other", "Other"),
    ],
)
def test_choice_answers(templates: TemplateSet, reply: str, expected: str) -> None:
    assert parse_answer(spec(templates, "database", "engine"), reply, TODAY) == answer(expected)


def test_an_unknown_choice_lists_the_options(templates: TemplateSet) -> None:
    result = parse_answer(spec(templates, "database", "engine"), "oracle", TODAY)
    assert isinstance(result, AnswerError)
    assert "“oracle”" in result.message
    assert "PostgreSQL" in result.message and "MongoDB" in result.message
    two = parse_answer(spec(templates, "database", "engine"), "postgres or mysql", TODAY)
    assert isinstance(two, AnswerError) and "one" in two.message


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("prod + staging", ["production", "staging"]),
        ("prod and staging", ["production", "staging"]),
        ("staging, dev", ["staging", "development"]),
        ("all", ["production", "staging", "development"]),
        ("1, 3", ["production", "development"]),
        ("qa", ["development"]),
        ("Production", ["production"]),
    ],
)
def test_multiple_choice_answers(templates: TemplateSet, reply: str, expected: list[str]) -> None:
    environment = spec(templates, "database", "environment")
    assert parse_answer(environment, reply, TODAY) == answer(expected)


def test_an_unknown_environment(templates: TemplateSet) -> None:
    result = parse_answer(spec(templates, "database", "environment"), "mars", TODAY)
    assert isinstance(result, AnswerError)
    assert "production, 2. staging" in result.message


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("next friday", ParsedAnswer(date(2026, 11, 27))),
        ("2026-12-15", ParsedAnswer(date(2026, 12, 15))),
        ("asap", ParsedAnswer(date(2026, 11, 24))),
        ("no deadline", ParsedAnswer(None, no_deadline=True)),
        ("whenever", ParsedAnswer(None, no_deadline=True)),
    ],
)
def test_date_answers(templates: TemplateSet, reply: str, expected: ParsedAnswer) -> None:
    assert parse_answer(spec(templates, "database", "deadline"), reply, TODAY) == expected


def test_an_unreadable_date(templates: TemplateSet) -> None:
    result = parse_answer(spec(templates, "database", "deadline"), "when the stars align", TODAY)
    assert result == AnswerError(
        "I couldn't read “when the stars align” as a date. "
        "Try “next Friday”, “2026-12-15”, or “no deadline”."
    )


def test_a_date_in_the_past(templates: TemplateSet) -> None:
    result = parse_answer(spec(templates, "database", "deadline"), "Nov 20", TODAY)
    assert isinstance(result, AnswerError)
    assert "in the past" in result.message and "“Nov 20”" in result.message


def test_a_long_reply_is_quoted_short(templates: TemplateSet) -> None:
    reply = "sometime after the reorg settles " * 10
    result = parse_answer(spec(templates, "database", "deadline"), reply, TODAY)
    assert isinstance(result, AnswerError)
    quoted = result.message.split("“")[1].split("”")[0]
    assert len(quoted) <= 80 and quoted.endswith("…")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("- billing-api can connect\n- backups restore in 1h",
         ["billing-api can connect", "backups restore in 1h"]),
        ("* one\n* two\n\n", ["one", "two"]),
        ("• one\n• two", ["one", "two"]),
        ("1. one\n2. two", ["one", "two"]),
        ("can connect; p99 < 50ms", ["can connect", "p99 < 50ms"]),
        ("billing can connect and backups run nightly",
         ["billing can connect", "backups run nightly"]),
        ("1,000 rps sustained, p99 under 200ms", ["1,000 rps sustained", "p99 under 200ms"]),
        ("just one thing", ["just one thing"]),
    ],
)  # fmt: skip
def test_list_answers(templates: TemplateSet, reply: str, expected: list[str]) -> None:
    criteria = spec(templates, "database", "acceptance_criteria")
    assert parse_answer(criteria, reply, TODAY) == answer(expected)
    assert split_list(reply) == expected


def test_service_answers_are_normalised(templates: TemplateSet) -> None:
    services = spec(templates, "database", "services")
    reply = "`Billing-API`, billing-api and Payments"
    assert parse_answer(services, reply, TODAY) == answer(["billing-api", "payments"])


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("<@U123ABC>", "U123ABC"), ("<@U123|lee>", "U123"), ("U0G9QF9C6", "U0G9QF9C6"),
     ("it's <@W0ABCDEF12> from data", "W0ABCDEF12")],
)  # fmt: skip
def test_user_answers(templates: TemplateSet, reply: str, expected: str) -> None:
    who = spec(templates, "access_request", "who_needs_access")
    assert parse_answer(who, reply, TODAY) == answer(expected)


@pytest.mark.parametrize("reply", ["lee", "me", "the new hire"])
def test_a_user_must_be_mentioned(templates: TemplateSet, reply: str) -> None:
    result = parse_answer(spec(templates, "access_request", "who_needs_access"), reply, TODAY)
    assert isinstance(result, AnswerError) and "@mention" in result.message


@pytest.mark.parametrize(
    ("template_id", "name", "reply", "expected"),
    [
        ("database", "storage_gb", "100GB", 100),
        ("database", "storage_gb", "2 TB", 2048),
        ("database", "storage_gb", "about 1.5tb", 1536),
        ("database", "storage_gb", "500", 500),
        ("database", "storage_gb", "512 MB", 0.5),
        ("compute_capacity", "peak_rps", "10k rps", 10_000),
        ("compute_capacity", "peak_rps", "2,500 req/s", 2_500),
        ("compute_capacity", "peak_rps", "1.2m", 1_200_000),
        ("cost", "monthly_spend", "$12k", 12_000),
        ("ci_cd", "build_minutes", "45m", 45),
        ("ci_cd", "build_minutes", "1.5 hours", 90),
    ],
)
def test_number_answers(
    templates: TemplateSet, template_id: str, name: str, reply: str, expected: float
) -> None:
    assert parse_answer(spec(templates, template_id, name), reply, TODAY) == answer(expected)


def test_an_unreadable_number(templates: TemplateSet) -> None:
    result = parse_answer(spec(templates, "database", "storage_gb"), "no idea", TODAY)
    assert isinstance(result, AnswerError)
    assert "“no idea”" in result.message and "100 GB" in result.message


def test_text_answers(templates: TemplateSet) -> None:
    resource = spec(templates, "access_request", "resource")
    assert parse_answer(resource, "  the billing prod database ", TODAY) == answer(
        "the billing prod database"
    )
    assert isinstance(parse_answer(resource, "   ", TODAY), AnswerError)
