"""What an opening ask states in passing is read, so the engine does not ask it again; what it
does not state is left for a question (``intake.opening_facts``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from intake.assistant import RuleAssistant
from intake.conversation import Source
from intake.engine import IntakeEngine
from intake.opening_facts import (
    find_access_target,
    find_named_services,
    find_reason,
    labelled_inline,
    read,
)
from intake.replies import Question
from intake.request_sentence import find_request
from intake.templates import TemplateSet

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ask", "reason"),
    [
        ("can I get shell on the build box? I need it for the release I'm cutting tonight",
         "I need it for the release I'm cutting tonight"),
        ("please give Ana read access to the metrics db, she's debugging the latency spike",
         "She's debugging the latency spike"),
        ("students on the physics hub keep losing their notebooks, can we add storage?",
         "Students on the physics hub keep losing their notebooks"),
        ("can we move dns to route53, the flaky resolver is killing us",
         "The flaky resolver is killing us"),
        ("the docs site went down twice this week. we need a second replica",
         "The docs site went down twice this week"),
        ("the backup cron fails and no one noticed for a week", "No one noticed for a week"),
        ("we want to keep the legacy api up until partners migrate",
         "We want to keep the legacy api up until partners migrate"),
        ("need a bigger runner so I can build the arm images", "Build the arm images"),
        ("can you give me access to the billing db so I can run reports", "Run reports"),
        ("I'm new here and keep waiting on reviews to see test logs",
         "I'm new here and keep waiting on reviews to see test logs"),
        ("the vendor wrote: after March, patches will no longer ship for the 4.x agents",
         "Patches will no longer ship for the 4.x agents"),
        ("what do we do? the old kernels may become vulnerable after the cutover",
         "The old kernels may become vulnerable after the cutover"),
        ("status.example.org was down for an hour and nobody got told",
         "status.example.org was down for an hour and nobody got told"),
    ],
)  # fmt: skip
def test_the_reason_as_the_ask_says_it(ask: str, reason: str) -> None:
    assert find_reason(ask) == reason


@pytest.mark.parametrize(
    "ask",
    [
        "can we get a redis for the cart service?",
        # Machines failing is the symptom, not what is at risk: that is asked.
        "ingest workers keep getting evicted at night",
        "need admin access to grafana",
    ],
)
def test_no_reason_is_made_up(ask: str) -> None:
    assert find_reason(ask) == ""


@pytest.mark.parametrize(
    ("ask", "target"),
    [
        ("could you give me write access to the grafana folders for payments?",
         "the grafana folders"),
        ("I need owner permissions on billing-prod-project, I'm on call next week",
         "billing-prod-project"),
        ("can I have my admin rights back on build.example.org?", "build.example.org"),
        ("need Tailscale access so I can reach the lab", "Tailscale"),
        ("read access to the audit bucket and the event store please",
         "the audit bucket and the event store"),
    ],
)  # fmt: skip
def test_what_access_is_to(ask: str, target: str) -> None:
    assert find_access_target(ask) == target


@pytest.mark.parametrize(
    "ask",
    [
        "need admin access",
        "can I get access?",
        "please grant me read-only access asap",
        "please give me access, I am blocked",
        "can you give them access",
        "I keep getting 403s from the registry, can I get push access to it?",
    ],
)
def test_an_access_level_alone_names_no_resource(ask: str) -> None:
    assert find_access_target(ask) == ""


@pytest.mark.parametrize(
    ("ask", "names"),
    [
        ("the ingest hub keeps crashing at 9am", ["ingest"]),
        ("the checkout smoke tests fail every other run", ["checkout"]),
        ("page me when ledger is down", ["ledger"]),
        ("status.example.org went down last night", ["status.example.org"]),
        ("quota logs vanish after a redeploy", ["quota"]),
        ("the geo outage last week showed we need retries", ["geo"]),
        ("these repos (docs-site, blog) need a gpu runner", ["docs-site", "blog"]),
        ("can the new mac minis be added as nix builders?", ["nix"]),
        ("billing workers keep restarting", ["billing"]),
        ("indexing workers keep dying overnight", ["indexing"]),
        ("atlas ran out of memory during the launch", ["atlas"]),
        ("ledger needs a bigger queue before the sale", ["ledger"]),
    ],
)  # fmt: skip
def test_services_named_by_what_they_are(ask: str, names: list[str]) -> None:
    assert find_named_services(ask) == names


@pytest.mark.parametrize(
    "ask",
    [
        "the nightly job failed again",
        "the error logs are huge",
        "running pods keep dying",
        "the migration tests are slow",  # tests, not a named test suite
        "we ran out of disk",
        "can the boxes be added as self-hosted runners?",
        "they keep testing on prod",
        "the team needs a new bucket",
        "prod needs more nodes",
    ],
)
def test_kinds_of_things_are_no_service_names(ask: str) -> None:
    assert find_named_services(ask) == []


def test_a_label_in_the_middle_of_a_line() -> None:
    text = "from yesterday's retro, action item: rotate the db password"
    assert labelled_inline("action item", text) == "rotate the db password"
    assert labelled_inline("deadline", text) == ""


def test_an_adverb_of_the_cut_off_clause_is_left_out() -> None:
    found = find_request("we need a page well before the queue is full")
    assert found is not None and found.phrase == "A page"


@pytest.mark.parametrize(
    "ask",
    [
        "Can you fix https://github.com/org/repo's pipeline by Friday?",
        "Can you fix <https://github.com/org/repo>'s pipeline by Friday?",
        "Can you fix HTTPS://GITHUB.COM/org/repo pipeline by Friday?",
    ],
)
def test_a_link_in_the_ask_is_left_out_of_its_phrase(ask: str) -> None:
    found = find_request(ask)
    assert found is not None and found.phrase == "Fix pipeline"


def test_id_like_is_a_request() -> None:
    found = find_request("we'd like a shared scratch bucket for the ml team")
    assert found is not None and found.phrase == "A shared scratch bucket for the ml team"


def test_an_access_ask_read_whole(templates: TemplateSet) -> None:
    ask = "I need VPN access so I can reach build.internal and grafana.internal"
    values = read(ask, templates.get("access_request"), TODAY).values
    assert values["resource"] == "VPN"
    assert values["environment"] == ["build.internal", "grafana.internal"]
    assert values["impact"] == "Reach build.internal and grafana.internal"


def test_a_follow_up_and_an_other_ask_read_whole(templates: TemplateSet) -> None:
    follow_up = templates.get("incident_follow_up")
    retro = read("retro action item: page on 5xx spikes", follow_up, TODAY)
    assert retro.values["action_item"] == "page on 5xx spikes"
    other = read("we'd like a shared scratch bucket", templates.get("other"), TODAY)
    assert other.values["desired_outcome"] == "A shared scratch bucket"


def test_observability_reads_alerted_as_alerts(templates: TemplateSet) -> None:
    found = read("can we be alerted when the queue backs up", templates.get("observability"), TODAY)
    assert found.values["signals"] == ["Alerts"]


def test_services_add_to_those_already_found(templates: TemplateSet) -> None:
    ask = "after the geo outage we need retries on the ledger calls"
    found = read(ask, templates.get("incident_follow_up"), TODAY)
    assert found.values["services"] == ["geo", "ledger"]


def test_the_engine_does_not_ask_what_the_opening_said(templates: TemplateSet) -> None:
    engine = IntakeEngine(templates, RuleAssistant())
    ask = (
        "could I get my admin permissions back on grafana.example.org? I need them for the "
        "dashboards I'm migrating"
    )
    conversation, replies = engine.start(ask, "U1", Source.DM, "UTC", NOW)
    assert conversation.ticket.category == "access_request"
    asked = [r.spec.name for r in replies if isinstance(r, Question)]
    assert asked and not {"resource", "impact", "access_level"} & set(asked)
    questions = []
    for _ in range(8):
        replies = engine.answer(conversation, "no idea", NOW)
        questions += [r.spec.name for r in replies if isinstance(r, Question)]
    assert not {"resource", "impact", "access_level"} & set(questions)
