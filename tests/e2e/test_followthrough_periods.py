"""A weekly message belongs to a week that began after the ask was accepted: an ask accepted on
a Wednesday hears its first "Weekly update" the next Monday at 09:00 (the requester's time),
once, whatever restarts come between; its owner's nudge likewise."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.e2e.conftest import OTHER, BotServer, MovableClock
from tests.e2e.helpers import text_of
from tests.e2e.test_followthrough import accepted_ask, dms, follow, sender
from tests.fakes.slack_api import FakeSlack

THREAD = "1700000000.000001"  # the ask's intake thread in Alice's DM (accepted_ask's n=1)


def weekly_updates(slack: FakeSlack) -> list[str]:
    return [
        text_of(m)
        for m in slack.messages("DU0ALICE")
        if m.get("thread_ts") == THREAD and "Weekly update" in text_of(m)
    ]


def test_an_ask_accepted_midweek_gets_one_weekly_update_per_week_from_the_next_monday(
    bot: BotServer, slack: FakeSlack, clock: MovableClock
) -> None:
    clock.at = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # Wednesday 14:00 in Berlin (Alice)
    accepted_ask(bot, OTHER, 1, date(2026, 12, 4))  # Bob (New York) owns it
    jobs, send = follow(bot, slack), sender(bot, slack, clock)

    def run_until(end: datetime) -> None:
        while clock.at < end:
            clock.advance(hours=1)
            jobs.tick()
            send.run_once()

    run_until(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))  # Monday 08:00 in Berlin
    assert weekly_updates(slack) == [], "no catch-up for the week it was accepted in"
    assert dms(slack, OTHER) == [], "nor a nudge for that week"

    run_until(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # Monday 10:00 Berlin
    assert len(weekly_updates(slack)) == 1, "the first Monday's update, at 09:00 there"

    bot.restart()  # a deploy on Monday morning: the new process must not send it again
    jobs, send = follow(bot, slack), sender(bot, slack, clock)
    run_until(datetime(2026, 11, 30, 18, 0, tzinfo=UTC))  # Monday 13:00 in New York
    assert len(weekly_updates(slack)) == 1
    assert len(dms(slack, OTHER)) == 1, "Bob's first nudge, at his 09:00"

    run_until(datetime(2026, 12, 7, 18, 0, tzinfo=UTC))  # a week later
    assert len(weekly_updates(slack)) == 2, "one a week"
    assert len(dms(slack, OTHER)) == 2


def test_digest_run_right_after_acceptance_sends_this_weeks_update_and_monday_only_the_next(
    bot: BotServer, slack: FakeSlack, clock: MovableClock
) -> None:
    """`intake-bot digest run` does this week's work at once, acceptance included; the
    schedule then goes on with next week, not this one again."""
    clock.at = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    accepted_ask(bot, OTHER, 1, date(2026, 12, 4))
    jobs, send = follow(bot, slack), sender(bot, slack, clock)
    assert jobs.tick(force=True).progress == 1
    send.run_once()
    for _ in range(6 * 24):
        clock.advance(hours=1)
        jobs.tick()
        send.run_once()
    assert len(weekly_updates(slack)) == 2, "this week's (asked for) and next Monday's"
