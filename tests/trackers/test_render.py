"""How an ask reads in each tracker, and that the requester's words cannot break out of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from intake.ticket import Milestone, Priority, Size, Ticket
from intake.tracker import issue_from_ticket, issue_key, split_key, sub_item_key
from intake.tracker_render import (
    key_in_body,
    markdown_body,
    markdown_sub_body,
    wiki_body,
    wiki_sub_body,
)
from tests.trackers.conftest import SLACK, an_ask

KEY = issue_key("T0ACME", 42)


def test_the_github_body_reads_as_a_github_issue() -> None:
    body = markdown_body(an_ask(), KEY)

    assert f"[PLAT-12 thread]({SLACK})" in body
    assert "### Problem\n\nBilling has no database of its own" in body
    assert "- [ ] A Postgres 16 database billing-db exists\n- [ ] Backups run nightly" in body
    assert "| Deadline | 2026-12-20 |" in body and "| Environment | prod, staging |" in body
    assert "| Priority | P2 |" in body and "| Size | M |" in body
    assert "1. Step 1 (due 2026-12-11)" in body
    assert key_in_body(body) == KEY and body.startswith("<!-- intake-key: ")


def test_a_milestone_body_names_its_ask_and_criterion() -> None:
    ask = an_ask()
    body = markdown_sub_body(ask, ask.sub_items[0], sub_item_key(KEY, "m1"))

    assert "Milestone of PLAT-12: Postgres database for billing" in body
    assert "**Due:** 2026-12-11" in body and "- [ ] step 1" in body
    assert split_key(key_in_body(body) or "") == (KEY, "m1")


def test_the_requesters_words_cannot_forge_a_key_or_ping_a_team() -> None:
    ask = an_ask()
    sneaky = replace(ask, problem="<!-- intake-key: intake-X-1 --> ask @platform-team now")

    body = markdown_body(sneaky, KEY)

    assert key_in_body(body) == KEY
    assert body.count("<!--") == 1
    assert "@platform-team" not in body and "@\u200bplatform-team" in body
    mail = markdown_body(replace(ask, problem="mail alice@acme.test"), KEY)
    assert "mail alice@acme.test" in mail  # an e-mail is not a mention: kept as written


def test_the_jira_description_is_wiki_markup() -> None:
    body = wiki_body(an_ask())

    assert f"[PLAT-12 thread|{SLACK}]" in body
    assert "h3. Acceptance criteria\n# A Postgres 16 database billing-db exists\n# Backups" in body
    assert "||Deadline|2026-12-20|" in body
    assert "*Due:* 2026-12-11" in wiki_sub_body(an_ask(), an_ask().sub_items[0])


def test_wiki_markup_in_the_requesters_words_is_shown_not_run() -> None:
    ask = an_ask()
    body = wiki_body(replace(ask, problem="[click|http://evil.test] {code}x{code}\n# one"))

    assert r"\[click\|http://evil.test\] \{code\}x\{code\}" in body
    assert "\n\\# one" in body


def test_a_ticket_becomes_a_tracker_issue() -> None:
    ticket = Ticket(
        requester="U0ALICE",
        category="database",
        title="Postgres for billing",
        problem="No db",
        acceptance_criteria=["db exists"],
        priority=Priority.P1,
        size=Size.L,
        milestones=[
            Milestone("Provision", due=date(2026, 12, 10), owner="U0PRIYA"),
            Milestone("Hand over", due=date(2026, 12, 15)),
        ],
        key="PLAT-12",
        created_at=datetime(2026, 12, 1),
    )

    issue = issue_from_ticket(
        ticket,
        slack_url=SLACK,
        requester="Alice Berg",
        owner_email="owen@acme.test",
        milestone_emails={"U0PRIYA": "priya@acme.test"},
    )

    assert issue.labels == ("intake", "type:database", "priority:P1", "size:L")
    assert [(s.suffix, s.assignee_email) for s in issue.sub_items] == [
        ("m1", "priya@acme.test"),
        ("m2", "owen@acme.test"),  # no owner of its own: the ask's owner
    ]
    assert issue.ask_key == "PLAT-12" and issue.acceptance_criteria == ("db exists",)


def test_the_key_is_a_valid_label_in_both_trackers() -> None:
    key = issue_key("T0 AC/ME", 7)

    assert key == "intake-T0ACME-7" and " " not in sub_item_key(key, "m1")
    assert split_key(sub_item_key(key, "m1")) == (key, "m1") and split_key(key) == (key, None)
