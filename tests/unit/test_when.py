"""One rule for dates and times: a moment relative to the reader's today within a day of it,
else a date; in the reader's own zone; calendar dates never moved by a zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.blocks.when import day, local, shared

NEW_YORK, BERLIN, TOKYO = "America/New_York", "Europe/Berlin", "Asia/Tokyo"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_calendar_date_is_a_day_with_the_year_only_when_it_is_not_this_years() -> None:
    assert day(date(2026, 12, 8), today=date(2026, 12, 7)) == "Tue 8 Dec"
    assert day(date(2027, 1, 5), today=date(2026, 12, 30)) == "Tue 5 Jan 2027"
    assert day(date(2026, 12, 30), today=date(2027, 1, 2)) == "Wed 30 Dec 2026"
    assert day(date(2026, 12, 8)) == "Tue 8 Dec 2026", "today unknown: the year says it all"


def test_the_same_moment_reads_in_each_readers_zone_and_today() -> None:
    # Monday 7 Dec 19:58 in New York is Tuesday 01:58 in Berlin and 09:58 in Tokyo.
    at, now = utc(2026, 12, 8, 0, 58), utc(2026, 12, 8, 1, 30)
    assert local(at, NEW_YORK, now) == "today at 19:58"
    assert local(at, BERLIN, now) == "today at 01:58"
    assert local(at, TOKYO, now) == "today at 09:58"
    # Half an hour earlier it was still Monday evening in Berlin: then the moment is tomorrow.
    assert local(at, BERLIN, utc(2026, 12, 7, 22, 30)) == "tomorrow at 01:58"
    assert local(at, NEW_YORK, utc(2026, 12, 7, 22, 30)) == "today at 19:58"


def test_around_midnight_yesterday_and_beyond_it_a_date() -> None:
    at = utc(2026, 12, 7, 22, 59)  # Monday 23:59 in Berlin
    assert local(at, BERLIN, utc(2026, 12, 7, 23, 0)) == "yesterday at 23:59"  # Tue 00:00
    assert local(at, BERLIN, utc(2026, 12, 8, 22, 59)) == "yesterday at 23:59"  # Tue 23:59
    assert local(at, BERLIN, utc(2026, 12, 8, 23, 0)) == "Mon 7 Dec at 23:59"  # Wed 00:00
    assert local(at, TOKYO, utc(2026, 12, 8, 23, 0)) == "yesterday at 07:59", "Tue 07:59 there"


def test_daylight_saving_changes_keep_the_wall_clock_and_the_day() -> None:
    # Berlin moves to summer time at 02:00 on Sunday 28 March 2027 (01:00 UTC).
    now = utc(2027, 3, 28, 12, 0)
    assert local(utc(2027, 3, 28, 0, 30), BERLIN, now) == "today at 01:30"
    assert local(utc(2027, 3, 28, 1, 30), BERLIN, now) == "today at 03:30"
    assert local(utc(2027, 3, 27, 22, 30), BERLIN, now) == "yesterday at 23:30"
    # New York moves on 14 March 2027: 09:00 there is 14:00 UTC before, 13:00 UTC after.
    assert local(utc(2027, 3, 15, 13, 0), NEW_YORK, utc(2027, 3, 15, 15, 0)) == "today at 09:00"
    assert (
        local(utc(2027, 3, 12, 14, 0), NEW_YORK, utc(2027, 3, 15, 15, 0)) == "Fri 12 Mar at 09:00"
    )


def test_across_new_year_the_year_shows_only_for_last_years_moments() -> None:
    at = utc(2026, 12, 31, 23, 30)  # Thu 31 Dec 18:30 in New York, Fri 1 Jan 00:30 in Berlin
    assert local(at, BERLIN, utc(2027, 1, 1, 10, 0)) == "today at 00:30"
    assert local(at, NEW_YORK, utc(2027, 1, 1, 10, 0)) == "yesterday at 18:30"
    assert local(at, NEW_YORK, utc(2027, 1, 4, 10, 0)) == "Thu 31 Dec 2026 at 18:30"
    assert local(at, BERLIN, utc(2027, 1, 4, 10, 0)) == "Fri 1 Jan at 00:30"


def test_a_shared_moment_is_left_to_each_readers_slack_with_a_utc_fallback() -> None:
    shown = "<!date^1796691480^{date_short_pretty} at {time}|Tue 8 Dec 2026 00:58 UTC>"
    assert shared(utc(2026, 12, 8, 0, 58)) == shown
    assert shared(utc(2026, 12, 8, 0, 58).astimezone(ZoneInfo(TOKYO))) == shown, "any zone in"
