"""Cron schedules read the way crontab(5) reads them.

APScheduler 3.x's ``CronTrigger.from_crontab`` counts weekdays from Monday = 0, so the usual
"0 9 * * 1" (Mondays 09:00) would fire on Tuesdays. Numeric weekdays are turned into names
first (0 and 7 are Sunday), which both read the same.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY = re.compile(r"(?<![/\d])([0-7])(?!\d)")


def cron_trigger(expression: str, timezone: ZoneInfo | None = None) -> CronTrigger:
    """A trigger for a five-field crontab expression; raises ValueError when it is not one."""
    fields = expression.split()
    if len(fields) == 5:
        fields[4] = _WEEKDAY.sub(lambda m: _DAYS[int(m[1])], fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)
