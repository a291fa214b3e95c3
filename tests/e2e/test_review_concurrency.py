"""Two leads deciding the same ask at the same moment, on two replicas of the bot sharing one
database: exactly one decision stands and the other lead is told which."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.e2e.conftest import GROUP_LEAD, LEAD, OWNER, REQUESTER, SIGNING_SECRET, BotServer
from tests.e2e.helpers import submit_ready_ask
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import DriverResponse, SlackDriver


def test_approve_and_decline_at_once_end_with_one_decision(
    database_url: str, make_bot: Callable[[str], BotServer], slack: FakeSlack
) -> None:
    replicas = [make_bot(database_url), make_bot(database_url)]
    drivers = [SlackDriver(r.events_url, SIGNING_SECRET, slack) for r in replicas]
    _, card = submit_ready_ask(drivers[0], slack, REQUESTER)
    for lead, button, driver in (
        (LEAD, "review_approve", drivers[0]),
        (GROUP_LEAD, "review_decline", drivers[1]),
    ):
        opened = len(slack.calls_to("views.open"))
        driver.click(lead, card, button)
        # Each button opens its form; wait for that, not for a quiet gap (a busy CI machine
        # left the second lead's views.open more than 0.25 s behind the group lookup).
        slack.wait_for("views.open", count=opened + 1, timeout=10)
        slack.wait_idle(quiet=0.25)
    approve_form, decline_form = slack.current_view(LEAD), slack.current_view(GROUP_LEAD)
    assert approve_form is not None and decline_form is not None
    results: dict[str, DriverResponse] = {}
    go = threading.Barrier(2)

    def submit(name: str, driver: SlackDriver, lead: str, form: dict, inputs: dict) -> None:  # type: ignore[type-arg]
        values = driver.state_values(form, inputs)
        go.wait()
        results[name] = driver.view_submission(lead, form, values)

    threads = [
        threading.Thread(
            target=submit, args=("approve", drivers[0], LEAD, approve_form, {"owner": OWNER})
        ),
        threading.Thread(
            target=submit,
            args=("decline", drivers[1], GROUP_LEAD, decline_form, {"reason": "Not now."}),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slack.wait_idle(quiet=0.5)

    assert replicas[0].container is not None
    ticket = replicas[0].container.intake.list()[0]
    decisions = [h for h in ticket.history if h.to_status.value in ("accepted", "declined")]
    assert len(decisions) == 1, "exactly one decision stands"
    winner = "approve" if ticket.status.value == "accepted" else "decline"
    loser = "decline" if winner == "approve" else "approve"
    assert results[winner].json is None, results[winner].body  # the form closed
    errors = results[loser].json["errors"]
    told = next(iter(errors.values()))
    assert ("approved by" if winner == "approve" else "declined by") in told
    audit = replicas[0].container.review.audit(ticket.id or 0)
    assert sorted(a.outcome for a in audit if a.action in ("approve", "decline")) == [
        "ok",
        "refused",
    ]
