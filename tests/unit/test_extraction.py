"""Reading free text: request type, fields, urgency, links (typed answers to one question:
test_answer_parsing.py)."""

from __future__ import annotations

from datetime import date

import pytest

from intake.extraction import Extraction, Urgency, classify, extract
from intake.service_names import find_services
from intake.slack_markup import find_links
from intake.templates import TemplateSet

TODAY = date(2026, 11, 22)  # a Sunday


def extracted(templates: TemplateSet, template_id: str, text: str) -> Extraction:
    """What ``extract`` reads from ``text`` for the template ``template_id``, today."""
    return extract(text, templates.get(template_id), TODAY)


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
    found = extracted(
        templates,
        "database",
        "we need a postgres 15 db for billing in prod and staging by next friday, 100GB "
        "because the ledger launch is blocked",
    )
    assert found.values["engine"] == "PostgreSQL"
    assert found.values["services"] == ["billing"]
    assert found.values["environment"] == ["production", "staging"]
    assert found.values["deadline"] == date(2026, 11, 27)
    assert found.values["storage_gb"] == 100
    assert found.values["impact"] == "The ledger launch is blocked"
    assert not found.no_deadline


def test_asap_gives_a_date_and_high_urgency(templates: TemplateSet) -> None:
    found = extracted(templates, "database", "we need a postgres db for billing asap")
    assert found.values["deadline"] == date(2026, 11, 24)
    assert found.urgency is Urgency.HIGH


def test_no_deadline_is_recorded(templates: TemplateSet) -> None:
    found = extracted(templates, "database", "new redis for checkout, no deadline")
    assert found.no_deadline
    assert "deadline" not in found.values


def test_extract_an_access_request(templates: TemplateSet) -> None:
    found = extracted(templates, "access_request", "give <@U123ABC> read access to the prod db")
    assert found.values["who_needs_access"] == "U123ABC"
    assert found.values["access_level"] == "read-only"
    assert found.values["environment"] == ["production"]
    assert "services" not in found.values  # "prod" and "db" are not services
    assert "resource" not in found.values  # text fields are asked, not guessed


def test_a_leading_bot_mention_is_not_the_person(templates: TemplateSet) -> None:
    found = extracted(
        templates, "access_request", "<@UBOT1234> please give <@U0LEE9999|lee> admin on grafana"
    )
    assert found.values["who_needs_access"] == "U0LEE9999"
    assert found.values["access_level"] == "admin"


def test_extract_networking_hostnames(templates: TemplateSet) -> None:
    found = extracted(templates, "networking", "cert expired on api.example.com")
    assert found.values["domains"] == ["api.example.com"]
    assert found.values["network_change"] == "TLS certificate"
    # Slack turns hostnames into links; the host is still read.
    linked = extracted(
        templates, "networking", "cert expired on <http://api.example.com|api.example.com>"
    )
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
    found = extracted(templates, "compute_capacity", "need more nodes/cpu/memory")
    assert found.values["resource_kind"] == ["CPU", "Memory", "Nodes"]
    signals = extracted(templates, "observability", "add dashboards and alerts for checkout")
    assert signals.values["signals"] == ["Dashboards", "Alerts"]
    assert signals.values["services"] == ["checkout"]


def test_other_choice_is_not_read_from_free_text(templates: TemplateSet) -> None:
    found = extracted(templates, "database", "some other team needs a db")
    assert "engine" not in found.values


def test_text_fields_are_not_filled_from_the_opening_ask(templates: TemplateSet) -> None:
    found = extracted(
        templates,
        "incident_follow_up",
        "follow-up from last week's outage: add failover for the billing db",
    )
    assert "action_item" not in found.values
    assert "incident_link" not in found.values
    assert found.values["services"] == ["billing"]
    assert found.urgency is Urgency.NONE  # the outage is over


def test_a_link_fills_a_link_field(templates: TemplateSet) -> None:
    found = extracted(
        templates,
        "incident_follow_up",
        "follow-up from <https://incidents.example.com/INC-42|INC-42>: add failover",
    )
    assert found.values["incident_link"] == "https://incidents.example.com/INC-42"
    assert found.links == ["https://incidents.example.com/INC-42"]


def test_labelled_lines_fill_text_and_list_fields(templates: TemplateSet) -> None:
    found = extracted(
        templates,
        "access_request",
        "Resource: the billing prod database\n"
        "Acceptance criteria:\n- lee can run read queries\n- access expires in 30 days",
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
    assert extracted(templates, "other", text).urgency is urgency


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
    assert extracted(templates, "ci_cd", text).links == find_links(text)
    # A URL is not a date, a service or an environment.
    found = extracted(templates, "ci_cd", "https://ci.example.com/prod/2026-12-01")
    assert set(found.values) == {"pipeline_url"}


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
