"""The rules that read one kind of deadline phrase each ("next Friday", "end of Q3", "the
3rd"), for ``intake.dates``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar, Protocol

from intake.date_words import (
    _MONTH_RE,
    _MONTHS,
    _NUM_RE,
    _ORD,
    _WD_PREFIX,
    _WEEKDAY_RE,
    _WEEKDAYS,
    _add_months,
    _month_end,
    _number,
    _quarter_end,
    _safe_date,
    _week_monday,
    _year,
    add_business_days,
)

# Month-day dates without a year that fell this recently are "in the past", not next year's.
_RECENT_PAST_DAYS = 92


# -- the rules --------------------------------------------------------------------------------
#
# Each rule reads one kind of phrase. ``trigger`` says whether, inside a longer sentence, the
# phrase only counts after a word such as "by", "before", "due" or "need it" (a bare "friday",
# "the 3rd" or "12/15" is too easily something else).


class _Groups(Protocol):
    def __getitem__(self, key: str, /) -> str | None: ...


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    resolve: Callable[[re.Match[str], date], date | None]
    trigger: bool = False
    name: str = ""


def _month_day(month: int, day: int, year: int | None, today: date) -> date | None:
    """A month and day; without a year, the next one to come (a date a few weeks ago stays in
    the past so that the caller can say so rather than silently meaning next year)."""
    if year is not None:
        return _safe_date(year, month, day)
    candidate = _safe_date(today.year, month, day)
    if candidate is None:
        # Feb 29 outside a leap year: the next leap year's.
        for offset in range(1, 5):
            candidate = _safe_date(today.year + offset, month, day)
            if candidate:
                return candidate
        return None
    if candidate < today and (today - candidate).days > _RECENT_PAST_DAYS:
        return _safe_date(today.year + 1, month, day) or candidate
    return candidate


def _r_iso(m: re.Match[str], today: date) -> date | None:
    return _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))


def _r_numeric(m: re.Match[str], today: date) -> date | None:
    first, second = int(m["a"]), int(m["b"])
    if (first, second) == (24, 7):  # "24/7" is around the clock, not July 24
        return None
    year = _year(m["y"])
    if first <= 12:
        month, day = first, second
    elif second <= 12:  # 15/12: the day first
        month, day = second, first
    else:
        return None
    if not 1 <= day <= 31:
        return None
    return _month_day(month, day, year, today)


def _r_month_day(m: re.Match[str], today: date) -> date | None:
    return _month_day(_MONTHS[m["mon"]], int(m["d"]), _year(m["y"]), today)


def _r_bare_day(m: re.Match[str], today: date) -> date | None:
    """ "the 3rd": the next 3rd to come (this month if it has not passed, else next month)."""
    day = int(m["d"])
    if not 1 <= day <= 31:
        return None
    for months in range(0, 3):
        first = _add_months(today.replace(day=1), months)
        candidate = _safe_date(first.year, first.month, day)
        if candidate and candidate >= today:
            return candidate
    return None


def _r_weekday(m: re.Match[str], today: date) -> date | None:
    target = _WEEKDAYS[m["wd"]]
    ahead = (target - today.weekday()) % 7 or 7
    candidate = today + timedelta(days=ahead)
    modifier = (m["mod"] or "").strip()
    if m["nextweek"]:
        return _week_monday(today) + timedelta(days=7 + target)
    if (
        modifier == "next"
        and today.weekday() < 5
        and candidate - timedelta(days=candidate.weekday())
        == today - timedelta(days=today.weekday())
    ):
        # On a weekday, "next Friday" is next week's Friday, not this week's.
        candidate += timedelta(days=7)
    if modifier == "this" and today.weekday() == target:
        return today
    return candidate


def _r_weekday_day(m: re.Match[str], today: date) -> date | None:
    """ "Monday the 7th": the next 7th that is a Monday (within a year), else the next 7th."""
    day, target = int(m["d"]), _WEEKDAYS[m["wd"]]
    first = today.replace(day=1)
    for months in range(0, 13):
        start = _add_months(first, months)
        candidate = _safe_date(start.year, start.month, day)
        if candidate and candidate >= today and candidate.weekday() == target:
            return candidate
    return _r_bare_day(m, today)


def _r_day_next_month(m: re.Match[str], today: date) -> date | None:
    start = _add_months(today.replace(day=1), 1)
    return _safe_date(start.year, start.month, int(m["d"]))


def _r_holiday(m: re.Match[str], today: date) -> date | None:
    month, day = (12, 25) if m["holiday"] in ("christmas", "xmas") else (1, 1)
    year = _year(m["y"])
    if year is not None:
        return _safe_date(year, month, day)
    candidate = date(today.year, month, day)
    return candidate if candidate >= today else date(today.year + 1, month, day)


def _r_today(m: re.Match[str], today: date) -> date | None:
    return today


def _r_tomorrow(m: re.Match[str], today: date) -> date | None:
    return today + timedelta(days=2 if m["after"] else 1)


def _r_relative(m: _Groups, today: date) -> date | None:
    count = _number(m["n"]) if m["n"] else 1
    unit = m["unit"] or ""
    if unit.startswith("fortnight"):
        return today + timedelta(days=14 * count)
    if unit.startswith(("business", "working", "work")):
        return add_business_days(today, count)
    if unit.startswith("day"):
        return today + timedelta(days=count)
    if unit.startswith("week"):
        return today + timedelta(weeks=count)
    if unit.startswith("month"):
        return _add_months(today, count)
    if unit.startswith("year"):
        return _add_months(today, 12 * count)
    return None


def _r_end_of(m: _Groups, today: date) -> date | None:
    period = m["per"]
    step = 1 if m["next"] else 0
    if period in ("week", "w"):
        return _week_monday(today) + timedelta(days=7 * step + 4)
    if period in ("month", "m"):
        first = _add_months(today.replace(day=1), step)
        return _month_end(first.year, first.month)
    if period in ("quarter", "q"):
        quarter = (today.month - 1) // 3 + 1 + step
        year = today.year + (quarter - 1) // 4
        return _quarter_end(year, (quarter - 1) % 4 + 1)
    if period in ("year", "y"):
        return date(today.year + step, 12, 31)
    return None


def _r_next_period(m: re.Match[str], today: date) -> date | None:
    """ "next week" / "next month": the start of it (the strict reading of "by next month")."""
    period = m["per"]
    if period == "week":
        return _week_monday(today) + timedelta(days=7)
    if period == "month":
        return _add_months(today.replace(day=1), 1)
    if period == "quarter":
        quarter = (today.month - 1) // 3 + 1
        if quarter == 4:
            return date(today.year + 1, 1, 1)
        return date(today.year, quarter * 3 + 1, 1)
    if period == "year":
        return date(today.year + 1, 1, 1)
    return None


def _r_this_period(m: re.Match[str], today: date) -> date | None:
    """ "this week" / "this month": by the end of it."""
    period = m["per"]
    if period == "week":
        friday = _week_monday(today) + timedelta(days=4)
        return max(friday, today)
    if period == "month":
        return _month_end(today.year, today.month)
    if period == "quarter":
        return _quarter_end(today.year, (today.month - 1) // 3 + 1)
    if period == "year":
        return date(today.year, 12, 31)
    return None


def _r_part_of_month(m: re.Match[str], today: date) -> date | None:
    month = _MONTHS[m["mon"]]
    year = _year(m["y"])
    part = m["part"]
    if part in ("end", "end of", "the end of", "late"):
        start = _month_day(month, 1, year, today)
        if start is None:
            return None
        return _month_end(start.year, start.month) if part != "late" else start.replace(day=25)
    day = {"mid": 15, "middle of": 15, "the middle of": 15, "early": 5}.get(part, 1)
    return _month_day(month, day, year, today)


def _r_month_only(m: re.Match[str], today: date) -> date | None:
    """ "by December": the first of it; the current month: its end."""
    month = _MONTHS[m["mon"]]
    year = _year(m["y"])
    if year is None and month == today.month:
        return _month_end(today.year, month)
    start = _month_day(month, 1, year, today)
    if start is not None and year is None and start < today:
        return start.replace(year=start.year + 1)
    return start


def _r_quarter(m: re.Match[str], today: date) -> date | None:
    quarter = int(m["q"])
    if not 1 <= quarter <= 4:
        return None
    year = _year(m["y"])
    if year is None:
        year = today.year
        if _quarter_end(year, quarter) < today:
            year += 1
    return _quarter_end(year, quarter)


_MAY_MARCH = ("may", "march", "mar")  # words that are also verbs: a number must make it a date

_RULES: tuple[_Rule, ...] = (
    _Rule(re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"), _r_iso, name="iso"),
    _Rule(
        re.compile(rf"(?:the\s+)?(?P<part>end of|the end of|end|mid|middle of|the middle of|early"
                   rf"|late|beginning of|the beginning of|start of|the start of)[\s-]+"
                   rf"(?P<mon>{_MONTH_RE})\b\.?(?:,?\s+(?P<y>\d{{4}}))?"),
        _r_part_of_month,
        name="part_of_month",
    ),
    _Rule(
        re.compile(rf"{_WD_PREFIX}(?P<mon>{_MONTH_RE})\.?\s+(?:the\s+)?(?P<d>\d{{1,2}})(?P<ord>{_ORD})?"
                   rf"(?![\d:/])(?:,?\s+(?P<y>\d{{4}}))?"),
        _r_month_day,
        name="month_day",
    ),
    _Rule(
        re.compile(rf"{_WD_PREFIX}(?:the\s+)?(?P<d>\d{{1,2}})(?P<ord>{_ORD})?\s+(?:of\s+)?(?P<mon>{_MONTH_RE})\b\.?"
                   rf"(?:,?\s+(?P<y>\d{{4}}))?"),
        _r_month_day,
        name="day_month",
    ),
    _Rule(
        re.compile(rf"{_WD_PREFIX}(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})(?:/(?P<y>\d{{4}}|\d{{2}}))?(?![\d/])(?!\s+of\b)"),
        _r_numeric,
        trigger=True,
        name="numeric",
    ),
    _Rule(
        re.compile(r"(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<next>next\s+)?"
                   r"(?P<per>week|month|quarter|year)|eo(?P<per2>[wmqy]))"),
        lambda m, today: _r_end_of(_EndMatch(m), today),
        name="end_of",
    ),
    _Rule(
        re.compile(r"(?:the\s+)?end\s+of\s+(?:the\s+)?q(?P<q>[1-4])(?:\s+(?P<y>\d{4}))?"),
        _r_quarter,
        name="end_of_quarter",
    ),
    _Rule(
        re.compile(r"q(?P<q>[1-4])(?:\s+(?P<y>\d{4}))?"),
        _r_quarter,
        trigger=True,
        name="quarter",
    ),
    _Rule(
        re.compile(r"(?:(?:the\s+)?(?:end|close)\s+of\s+(?:the\s+)?(?:business\s+)?day|eod|cob"
                   r"|end of today|tonight)"),
        _r_today,
        name="eod",
    ),
    _Rule(re.compile(r"today"), _r_today, trigger=True, name="today"),
    _Rule(
        re.compile(r"(?P<after>(?:the\s+)?day\s+after\s+)?(?:tomorrow|tmrw|tmr|tomorow)"),
        _r_tomorrow,
        name="tomorrow",
    ),
    _Rule(
        re.compile(rf"(?:(?:in|within)\s+(?:the\s+next\s+(?:(?P<n0>{_NUM_RE})\s+)?|(?P<n>{_NUM_RE})\s+)"
                   rf"(?P<unit>business days?|working days?|work days?|days?|weeks?|fortnights?"
                   rf"|months?|years?)"
                   rf"|(?P<n2>{_NUM_RE})\s+(?P<unit2>business days?|working days?|days?|weeks?"
                   rf"|months?)\s+from\s+(?:now|today))"),
        lambda m, today: _r_relative(_RelMatch(m), today),
        name="relative",
    ),
    _Rule(re.compile(r"next\s+(?P<per>week|month|quarter|year)"), _r_next_period, name="next"),
    _Rule(
        re.compile(r"(?:this|the\s+current)\s+(?P<per>week|month|quarter|year)"),
        _r_this_period,
        trigger=True,
        name="this",
    ),
    _Rule(
        re.compile(rf"(?P<wd>{_WEEKDAY_RE}),?\s+(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}?(?![\d/:])"),
        _r_weekday_day,
        name="weekday_day",
    ),
    _Rule(
        re.compile(rf"(?:(?P<mod>next|this|this coming|coming|the coming)\s+)?(?P<wd>{_WEEKDAY_RE})"
                   rf"(?P<nextweek>\s+(?:of\s+)?next\s+week)?"),
        _r_weekday,
        name="weekday",
    ),
    _Rule(
        re.compile(rf"(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}?\s+of\s+next\s+month"),
        _r_day_next_month,
        name="day_next_month",
    ),
    _Rule(re.compile(rf"(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}"), _r_bare_day, trigger=True,
          name="bare_day"),
    _Rule(
        re.compile(r"(?P<holiday>christmas|xmas|new year'?s?(?: day)?)(?:\s+(?P<y>\d{4}))?"),
        _r_holiday,
        trigger=True,
        name="holiday",
    ),
    _Rule(
        re.compile(rf"(?P<mon>{_MONTH_RE})\b\.?(?:\s+(?P<y>\d{{4}}))?"),
        _r_month_only,
        trigger=True,
        name="month_only",
    ),
)  # fmt: skip


class _EndMatch:
    """Adapts the "eow"/"eom" spelling to the named groups of the long form."""

    _SHORT: ClassVar[dict[str, str]] = {"w": "week", "m": "month", "q": "quarter", "y": "year"}

    def __init__(self, match: re.Match[str]) -> None:
        self._match = match

    def __getitem__(self, key: str) -> str | None:
        if key == "per":
            return self._match["per"] or self._SHORT[self._match["per2"]]
        return self._match[key]


class _RelMatch:
    def __init__(self, match: re.Match[str]) -> None:
        self._match = match

    def __getitem__(self, key: str) -> str | None:
        if key == "n":
            return self._match["n"] or self._match["n0"] or self._match["n2"]
        return self._match[key] or self._match[key + "2"]
