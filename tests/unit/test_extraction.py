"""Reading free text and answers: request type, fields, urgency, links."""

from __future__ import annotations

from datetime import date

import pytest

from intake.answer_parsing import AnswerError, ParsedAnswer, parse_answer
from intake.extraction import Urgency, classify, extract
from intake.lists import split_list
from intake.service_names import find_services
from intake.slack_markup import find_links
from intake.templates import FieldSpec, TemplateSet, load_templates

TODAY = date(2026, 11, 22)  # a Sunday


@pytest.fixture(scope="module")
def templates() -> TemplateSet:
    return load_templates()


def spec(templates: TemplateSet, template_id: str, name: str) -> FieldSpec:
    found = templates.get(template_id).field(name)
    assert found is not None
    return found


# -- classify -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we need a postgres db for billing asap", "database"),
        ("can we get a db for billing asap?", "database"),
        ("spin up a redis cache for checkout", "database"),
        ("CI is slow, help", "ci_cd"),
        ("our GitHub Actions builds keep flaking", "ci_cd"),
        ("give @lee read access to the prod db", "access_request"),
        ("give <@U123ABC> read access to the prod db", "access_request"),
        ("we need access to the postgres database replica", "access_request"),
        ("can you grant me the admin role on the payments account", "access_request"),
        ("cert expired on api.example.com", "networking"),
        ("need a CNAME for status.example.com", "networking"),
        ("add dashboards and alerts for checkout", "observability"),
        ("our AWS bill doubled", "cost"),
        ("follow-up from last week's outage", "incident_follow_up"),
        ("action item from the postmortem: add db failover", "incident_follow_up"),
        ("spin up a new service for payments", "new_service"),
        ("need more nodes/cpu/memory", "compute_capacity"),
        ("search-indexer pods keep getting OOMKilled, need more memory", "compute_capacity"),
    ],
)
def test_classify(templates: TemplateSet, text: str, expected: str) -> None:
    template_id, score = classify(text, templates)
    assert template_id == expected
    assert 0 < score <= 1


@pytest.mark.parametrize("text", ["hello there", "can you help me with something?", ""])
def test_classify_falls_back_to_other(templates: TemplateSet, text: str) -> None:
    assert classify(text, templates) == ("other", 0.0)


def test_keywords_match_whole_words_only(templates: TemplateSet) -> None:
    # "accessible" is not "access", "decide" is not "dec", "pgp" is not "pg".
    assert classify("is the pgp key accessible?", templates)[0] == "other"


def test_more_evidence_scores_higher(templates: TemplateSet) -> None:
    _, weak = classify("we need a db", templates)
    _, strong = classify("we need a postgres db with a read replica", templates)
    assert strong > weak


# -- extract: the opening ask -------------------------------------------------------------------


def test_extract_a_database_ask(templates: TemplateSet) -> None:
    found = extract(
        "we need a postgres 15 db for billing in prod and staging by next friday, 100GB "
        "because the ledger launch is blocked",
        templates.get("database"),
        TODAY,
    )
    assert found.values["engine"] == "PostgreSQL"
    assert found.values["services"] == ["billing"]
    assert found.values["environment"] == ["production", "staging"]
    assert found.values["deadline"] == date(2026, 11, 27)
    assert found.values["storage_gb"] == 100
    assert found.values["impact"] == "The ledger launch is blocked"
    assert not found.no_deadline


def test_asap_gives_a_date_and_high_urgency(templates: TemplateSet) -> None:
    found = extract("we need a postgres db for billing asap", templates.get("database"), TODAY)
    assert found.values["deadline"] == date(2026, 11, 24)
    assert found.urgency is Urgency.HIGH


def test_no_deadline_is_recorded(templates: TemplateSet) -> None:
    found = extract("new redis for checkout, no deadline", templates.get("database"), TODAY)
    assert found.no_deadline
    assert "deadline" not in found.values


def test_extract_an_access_request(templates: TemplateSet) -> None:
    found = extract(
        "give <@U123ABC> read access to the prod db", templates.get("access_request"), TODAY
    )
    assert found.values["who_needs_access"] == "U123ABC"
    assert found.values["access_level"] == "read-only"
    assert found.values["environment"] == ["production"]
    assert "services" not in found.values  # "prod" and "db" are not services
    assert "resource" not in found.values  # text fields are asked, not guessed


def test_a_leading_bot_mention_is_not_the_person(templates: TemplateSet) -> None:
    found = extract(
        "<@UBOT1234> please give <@U0LEE9999|lee> admin on grafana",
        templates.get("access_request"),
        TODAY,
    )
    assert found.values["who_needs_access"] == "U0LEE9999"
    assert found.values["access_level"] == "admin"


def test_extract_networking_hostnames(templates: TemplateSet) -> None:
    found = extract("cert expired on api.example.com", templates.get("networking"), TODAY)
    assert found.values["domains"] == ["api.example.com"]
    assert found.values["network_change"] == "TLS certificate"
    # Slack turns hostnames into links; the host is still read.
    linked = extract(
        "cert expired on <http://api.example.com|api.example.com>", templates.get("networking"),
        TODAY,
    )  # fmt: skip
    assert linked.values["domains"] == ["api.example.com"]
    assert linked.links == ["http://api.example.com"]


def test_extract_numbers_with_units(templates: TemplateSet) -> None:
    database = templates.get("database")
    assert extract("a 2 TB mysql db", database, TODAY).values["storage_gb"] == 2048
    capacity = templates.get("compute_capacity")
    assert extract("we expect 10k rps at peak", capacity, TODAY).values["peak_rps"] == 10_000
    cost = templates.get("cost")
    assert extract("we spend $12k a month on logs", cost, TODAY).values["monthly_spend"] == 12_000
    # A bare number is not a size: "2 replicas" says nothing about storage.
    assert "storage_gb" not in extract("postgres with 2 replicas", database, TODAY).values


def test_extract_multiple_choice(templates: TemplateSet) -> None:
    found = extract("need more nodes/cpu/memory", templates.get("compute_capacity"), TODAY)
    assert found.values["resource_kind"] == ["CPU", "Memory", "Nodes"]
    signals = extract(
        "add dashboards and alerts for checkout", templates.get("observability"), TODAY
    )
    assert signals.values["signals"] == ["Dashboards", "Alerts"]
    assert signals.values["services"] == ["checkout"]


def test_other_choice_is_not_read_from_free_text(templates: TemplateSet) -> None:
    found = extract("some other team needs a db", templates.get("database"), TODAY)
    assert "engine" not in found.values


def test_text_fields_are_not_filled_from_the_opening_ask(templates: TemplateSet) -> None:
    found = extract(
        "follow-up from last week's outage: add failover for the billing db",
        templates.get("incident_follow_up"),
        TODAY,
    )
    assert "action_item" not in found.values
    assert "incident_link" not in found.values
    assert found.values["services"] == ["billing"]
    assert found.urgency is Urgency.NONE  # the outage is over


def test_a_link_fills_a_link_field(templates: TemplateSet) -> None:
    found = extract(
        "follow-up from <https://incidents.example.com/INC-42|INC-42>: add failover",
        templates.get("incident_follow_up"),
        TODAY,
    )
    assert found.values["incident_link"] == "https://incidents.example.com/INC-42"
    assert found.links == ["https://incidents.example.com/INC-42"]


def test_labelled_lines_fill_text_and_list_fields(templates: TemplateSet) -> None:
    found = extract(
        "Resource: the billing prod database\n"
        "Acceptance criteria:\n- lee can run read queries\n- access expires in 30 days",
        templates.get("access_request"),
        TODAY,
    )
    assert found.values["resource"] == "the billing prod database"
    assert found.values["acceptance_criteria"] == [
        "lee can run read queries",
        "access expires in 30 days",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we need a postgres db for billing asap", ["billing"]),
        ("the billing service is slow", ["billing"]),
        ("payments-api needs more memory", ["payments-api"]),
        ("checkout svc keeps OOMing", ["checkout"]),
        ("please add `ledger-worker` to the pipeline", ["ledger-worker"]),
        ("billing and payments services need redis", ["billing", "payments"]),
        ("for billing, payments and checkout", ["billing", "payments", "checkout"]),
        ("the Billing DB is full, billing needs more", ["billing"]),
        ("checkout's pipeline is flaky", ["checkout"]),
        ("can you help us? it's for the team", []),
        ("need it for prod", []),
        ("for the billing team", []),
        ("give me access to the db", []),
        ("need a db for next friday", []),
        ("for 2 weeks", []),
    ],
)
def test_find_services(text: str, expected: list[str]) -> None:
    assert find_services(text, frozenset({"postgres", "redis"})) == expected


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("prod is down!", Urgency.CRITICAL),
        ("sev1: checkout returns 500s", Urgency.CRITICAL),
        ("this is a blocker for the launch", Urgency.CRITICAL),
        ("blocking prod deploys", Urgency.CRITICAL),
        ("we have an incident on the payments db", Urgency.CRITICAL),
        ("need it asap", Urgency.HIGH),
        ("urgent: cert renewal", Urgency.HIGH),
        ("would be good to have soon", Urgency.HIGH),
        ("it's on the critical path for Q1", Urgency.HIGH),
        ("this is not urgent", Urgency.NONE),
        ("not a blocker, just nice to have", Urgency.NONE),
        ("please scale down the staging nodes", Urgency.NONE),
        ("follow-up from last week's outage", Urgency.NONE),
    ],
)
def test_urgency(templates: TemplateSet, text: str, urgency: Urgency) -> None:
    assert extract(text, templates.get("other"), TODAY).urgency is urgency


def test_impact_is_the_why_clause(templates: TemplateSet) -> None:
    other = templates.get("other")
    cases = {
        "move the cron to k8s, otherwise we lose orders every night": (
            "Otherwise we lose orders every night"
        ),
        "need a bigger db, customers are seeing timeouts": "Customers are seeing timeouts",
        "need redis so that checkout can cache carts": "Checkout can cache carts",
        # a why that ends on its keyword is taken whole, never as "Without it"
        "can we get a db for billing? invoices are stuck without it": (
            "Invoices are stuck without it"
        ),
        "need a db": None,
    }
    for text, impact in cases.items():
        assert extract(text, other, TODAY).values.get("impact") == impact, text


def test_links(templates: TemplateSet) -> None:
    text = "see <https://ci.example.com/run/1|run 1> and https://grafana.example.com/d/abc."
    assert find_links(text) == ["https://ci.example.com/run/1", "https://grafana.example.com/d/abc"]
    assert extract(text, templates.get("ci_cd"), TODAY).links == find_links(text)
    # A URL is not a date, a service or an environment.
    found = extract("https://ci.example.com/prod/2026-12-01", templates.get("ci_cd"), TODAY)
    assert set(found.values) == {"pipeline_url"}


# -- parse_answer -------------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write access to the payments S3 bucket", []),
        ("need an S3 bucket for ML training data", []),
        ("a new Go microservice called fraud-scorer", ["fraud-scorer"]),
        ("rotate the TLS cert for api.example.com", []),  # a hostname, not a service
        ("new topic for Q1 in us-east-1", []),
        ("post alerts to #ci-alerts for checkout", ["checkout"]),
    ],
)
def test_find_services_is_not_fooled(text: str, expected: list[str]) -> None:
    assert find_services(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can I get admin on Grafana?", "access_request"),
        ("Flaky tests in checkout-web are blocking deploys", "ci_cd"),
        ("can you open port 5432 from the analytics VPC to billing-db", "networking"),
        ("Datadog bill went up 3x this month, can we cut log volume?", "cost"),
        ("please set up alerting on error rate for payments-api, see #ci-alerts", "observability"),
    ],
)
def test_classify_realistic_asks(templates: TemplateSet, text: str, expected: str) -> None:
    assert classify(text, templates)[0] == expected


def test_a_realistic_opening_ask(templates: TemplateSet) -> None:
    text = (
        "Hey team, can we get a Postgres database for the billing service in staging and prod? "
        "Need it by Dec 12 for the launch"
    )
    template_id, _ = classify(text, templates)
    found = extract(text, templates.get(template_id), TODAY)
    assert template_id == "database"
    assert found.values == {
        "deadline": date(2026, 12, 12),
        "environment": ["production", "staging"],
        "services": ["billing"],
        "engine": "PostgreSQL",
    }
    assert found.urgency is Urgency.NONE and not found.no_deadline


def test_the_domain_does_not_import_slack_or_sqlalchemy() -> None:
    import ast
    from pathlib import Path

    import intake

    root = Path(intake.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in {"slack_bolt", "slack_sdk", "sqlalchemy", "bot", "storage"}, (
                    f"{path.name} imports {name}"
                )
