"""The sandbox page draws dates as Slack would for each person: a moment the bot hands to Slack
(``bot.blocks.when.shared``) follows the same rule, in the reader's zone, as the bot's own
``local`` wording; a datepicker's calendar date is "Tue 8 Dec 2026", never 12/08/2026."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.blocks.when import local, shared
from tests.sandbox.test_mrkdwn import with_mrkdwn_js

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo", "Pacific/Auckland", "UTC")


def test_a_shared_moment_reads_as_the_bots_own_rule_in_every_zone() -> None:
    """Around midnight, across Berlin's and New York's DST changes and New Year: the page's
    "today"/"yesterday"/"tomorrow" and time are what ``local`` says for that reader."""
    moments = [
        datetime(2026, 12, 7, 22, 59, tzinfo=UTC),
        datetime(2026, 12, 8, 0, 58, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
        datetime(2027, 3, 14, 6, 30, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
    ]
    cases = [
        (shared(at), tz, (at + offset).timestamp(), local(at, tz, at + offset))
        for at in moments
        for offset in (timedelta(hours=-20), timedelta(0), timedelta(hours=20))
        for tz in ZONES
    ]
    script = (
        "const cases = JSON.parse(process.argv[2]);"
        "console.log(JSON.stringify(cases.map(([text, tz, now]) =>"
        " m.toHtml(m.parse(text), {tz: tz, now: now}))));"
    )
    drawn = with_mrkdwn_js(script, [case[:3] for case in cases])
    for (text, tz, _, ours), theirs in zip(cases, drawn, strict=True):
        word, _, clock = ours.rpartition(" at ")
        if word in ("today", "yesterday", "tomorrow"):
            assert theirs == ours, (text, tz)
        else:  # beyond a day: Slack's own date form, the same day and time
            assert not theirs.startswith(("today", "yesterday", "tomorrow")), (text, tz)
            assert theirs.endswith(f" at {clock}"), (text, tz, theirs, ours)


def test_a_datepicker_shows_its_calendar_date_the_same_in_every_zone() -> None:
    script = (
        "const days = JSON.parse(process.argv[2]);"
        "console.log(JSON.stringify(days.map((d) => m.calendarDate(d))));"
    )
    days = ["2026-12-08", "2027-01-01", "2028-02-29", "", "12/08/2026"]
    assert with_mrkdwn_js(script, days) == [
        "Tue 8 Dec 2026",
        "Fri 1 Jan 2027",
        "Tue 29 Feb 2028",
        "",
        "",
    ]
