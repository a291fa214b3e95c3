"""Digest schedules are read like crontab(5): weekday 1 is Monday, 0 and 7 are Sunday."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cron import cron_trigger

WEDNESDAY = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "fires"),
    [
        ("0 9 * * 1", "Mon 23 09:00"),
        ("0 9 * * 1-5", "Thu 19 09:00"),
        ("0 9 * * 0", "Sun 22 09:00"),
        ("0 9 * * 7", "Sun 22 09:00"),
        ("0 9 * * 5,6", "Fri 20 09:00"),
        ("0 9 * * mon", "Mon 23 09:00"),
        ("30 8 */2 * *", "Thu 19 08:30"),
    ],
)
def test_the_next_run_is_the_day_crontab_means(expression: str, fires: str) -> None:
    trigger = cron_trigger(expression, ZoneInfo("UTC"))
    after = trigger.get_next_fire_time(None, WEDNESDAY)
    assert after is not None and after.strftime("%a %d %H:%M") == fires


def test_a_broken_schedule_is_refused() -> None:
    with pytest.raises(ValueError):
        cron_trigger("every monday")
