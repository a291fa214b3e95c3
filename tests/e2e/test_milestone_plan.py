"""The draft's milestone plan as the requester and the lead see it in Slack: made from the ask's
criteria and environments, due on working days from tomorrow, never after the deadline, and a
clear warning with a realistic date when the deadline is too tight."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import LEAD, REQUESTER
from tests.e2e.helpers import buttons, review_card, start_dm, text_of, wait_for_bot
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver

# The e2e clock starts on Monday 23 Nov 2026 (09:30 for the requester, in Berlin).
OPENING = (
    "We need a postgres db for the billing service in staging and production by {deadline}, "
    "about 100GB. Invoices can't be generated without it."
)
CRITERIA = "billing-api connects to it from staging; nightly backups restore in under 1 hour"


def milestone_lines(draft: dict[str, Any]) -> list[str]:
    """The draft's milestone bullets: "• title — due Tue 24 Nov"."""
    shown = text_of(draft)
    section = shown.split("*Milestones*\n", 1)[1]
    return [line for line in section.splitlines() if line.startswith("• ")]


def dues(lines: list[str]) -> list[str]:
    return [re.sub(r".* — due ", "", line) for line in lines]


def scoped_draft(driver: SlackDriver, slack: FakeSlack, deadline: str) -> dict[str, Any]:
    c = start_dm(driver, slack, REQUESTER, OPENING.format(deadline=deadline))
    c.say(CRITERIA)
    if "Submit" not in buttons(c.last):
        c.say("done")
    return c.draft()


def test_a_short_deadline_gets_a_merged_plan_and_a_warning_with_a_realistic_date(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    draft = scoped_draft(driver, slack, "Wednesday")
    lines = milestone_lines(draft)
    # Two working days (Tue, Wed) for four milestones: merged to two, one a day, none today.
    assert dues(lines) == ["Tue 24 Nov", "Wed 25 Nov"]
    assert lines[0].startswith("• Both criteria pass (staging)")
    assert lines[1].startswith("• Nightly backups restore in under 1 hour (production)")
    shown = text_of(draft)
    assert (
        ":warning: Too tight for 4 milestones by Wed 25 Nov: the earliest realistic date "
        "is Fri 27 Nov." in shown
    )
    assert "Mon 23 Nov" not in "\n".join(lines), "nothing is due today"
    assert "after the deadline" not in shown

    # The lead sees the same warning on the review card, read back from the database.
    before = len(slack.calls)
    driver.click(REQUESTER, draft, "intake_submit")
    wait_for_bot(slack, before)
    card = review_card(slack)
    assert ":warning: *Milestone plan:* Too tight for 4 milestones" in text_of(card)
    assert buttons(card)[0] == "Approve"
    before = len(slack.calls)
    driver.click(LEAD, card, "review_approve")
    wait_for_bot(slack, before)
    form = slack.current_view(LEAD) or {}
    assert "earliest realistic date is Fri 27 Nov" in text_of(form)


def test_a_deadline_with_room_proves_each_criterion_in_staging_then_production(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    draft = scoped_draft(driver, slack, "2026-12-18")
    lines = milestone_lines(draft)
    titles = [line.split(" — due ")[0] for line in lines]
    assert titles == [
        "• Billing-api connects to it from staging",
        "• Nightly backups restore in under 1 hour (staging)",
        "• Nightly backups restore in under 1 hour (production)",
        "• Verified with the requester",
    ]
    assert dues(lines)[-1] == "Fri 18 Dec" and len(set(dues(lines))) == 4
    assert all(not due.startswith(("Sat", "Sun")) for due in dues(lines))
    assert "Too tight" not in text_of(draft)
