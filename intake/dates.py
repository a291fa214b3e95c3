"""Deadlines in everyday words ("next Friday", "end of the month", "asap"), read relative to the
requester's local date. Own rules first; dateparser only on a short candidate phrase, never on a
whole sentence (it reads "we" as Wednesday and "the 3rd" as a date in March)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar, Literal, Protocol

DeadlineKind = Literal["date", "none", "asap"]


@dataclass(frozen=True)
class DeadlineAnswer:
    """What someone said about a deadline: a date, "no deadline", or "asap" (which carries the
    date it stands for: two business days after today)."""

    kind: DeadlineKind
    value: date | None = None


ASAP_BUSINESS_DAYS = 2

# Month-day dates without a year that fell this recently are "in the past", not next year's.
_RECENT_PAST_DAYS = 92

# -- calendar helpers -------------------------------------------------------------------------


def add_business_days(start: date, days: int) -> date:
    """``days`` working days (Mon-Fri) after ``start``."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def asap_date(today: date) -> date:
    """The date "as soon as possible" stands for."""
    return add_business_days(today, ASAP_BUSINESS_DAYS)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _week_monday(today: date) -> date:
    """Monday of the working week people mean by "this week" (the coming one at weekends)."""
    if today.weekday() >= 5:
        return today + timedelta(days=7 - today.weekday())
    return today - timedelta(days=today.weekday())


def _quarter_end(year: int, quarter: int) -> date:
    return _month_end(year, quarter * 3)


# -- vocabulary -------------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_FULL_WEEKDAYS = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3,
}  # fmt: skip

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_NUM_RE = r"\d{1,3}|" + "|".join(re.escape(w) for w in sorted(_NUMBER_WORDS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)"
_WD_PREFIX = rf"(?:(?:{_WEEKDAY_RE}),?\s+)?"  # "Monday, Dec 7": the date decides


def _number(word: str) -> int:
    word = " ".join(word.split())
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


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


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


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


# -- no deadline / asap -----------------------------------------------------------------------

_NONE_PHRASE = re.compile(
    r"^(?:none|nope|no|n/?a|nah|never|whenever|any ?time|no (?:hard |real |specific |fixed "
    r"|particular |set )?(?:deadline|due date|date|rush|hurry|timeline)s?(?: really)?"
    r"|not (?:really )?(?:time[- ]sensitive|urgent)|no urgency"
    r"|whenever(?: you can| works| is fine)?|when(?:ever)? you (?:can|get to it|have time)"
    r"|no time ?(?:pressure|constraint)s?)$"
)
_NONE_IN_TEXT = re.compile(
    r"\bno (?:hard |real |specific |fixed |particular |set |strict )?(?:deadline|due date|rush"
    r"|hurry|timeline)\b|\bno date\b|\bnot time[- ]sensitive\b|\bwhenever(?=\s*(?:$|[.,!;)\-–—]"
    r"|is fine|works|you can|you get|you have))|\bno time ?(?:pressure|constraints?)\b"
    r"|\bany ?time is fine\b"
)
_NEGATED = r"(?<!not )(?<!non-)(?<!non )(?<!isn't )(?<!isnt )(?<!no )(?<!not that )(?<!not super )"
_ASAP_IN_TEXT = re.compile(
    rf"\basap\b|\ba\.s\.a\.p\b|\bas soon as (?:possible|you can|we can)\b"
    rf"|{_NEGATED}\burgent(?:ly)?\b|\bright away\b|\bimmediately\b|\bright now\b"
)

# -- reading ----------------------------------------------------------------------------------

_TRIGGER = re.compile(
    r"(?:\bby|\bbefore|\buntil|\btill|\btil|\bdue(?:\s+(?:on|by|date(?:\s+is)?:?))?|\bon|\bfor"
    r"|\bno later than|\bnot later than|\bat the latest|\bdeadline(?:\s+(?:is|of))?:?"
    r"|\bneeded|\bneeds?\s+(?:it|this|them|that|these)(?:\s+(?:done|ready|live|sorted|finished))?"
    r"|\bready|\blatest|\beta:?"
    r"|\btarget(?:ing|ed)?:?|\bwithin|\bideally|\bhopefully|\bsometime|\blater|\bstarting"
    r"|\b(?:deadline|launch|release|cutover|go-live|demo|date|eta|it)(?:'s|\s+is)"
    r"|\blaunch(?:es|ing)?|\bships?|\bgo(?:es)? live)"
    r"\s+(?:(?:on|by|the|this|of|at|around|about|noon|midday|eod|cob"
    r"|\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2})\s+)*$"
)

_FILLERS = re.compile(
    r"^(?:(?:by|before|until|till|til|due|on|for|no later than|not later than|deadline(?: is)?:?"
    r"|(?:we |i )?(?:really )?need (?:it|this|them|that)|(?:it's |its |it is )?needed|ideally"
    r"|hopefully|preferably|around|about|approx(?:imately)?|at the latest|latest|the|it's|its|is"
    r"|say|maybe|probably|let's say|lets say|sometime|within)\s+)+"
)
_TRAILING = re.compile(
    r"(?:\s+(?:please|pls|plz|if possible|if you can|at the latest|latest|ideally|or so|ish"
    r"|at the earliest|would be great|would be nice|works|is fine|thanks|thx|ty))+$"
)


def _clean(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"<[^>]*>", " ", text)  # Slack markup: links, mentions
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    text = text.lower()
    return " ".join(text.split())


def _strip_phrase(text: str) -> str:
    text = text.strip(" \t.!?,;:\"'()[]-–—")
    previous = None
    while previous != text:
        previous = text
        text = _FILLERS.sub("", text)
        text = _TRAILING.sub("", text)
        text = text.strip(" \t.!?,;:\"'()[]-–—")
    return text


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    value: date
    triggered: bool
    rule: str


def _boundaries_ok(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "-_/.@#$") and not (
        after.isalnum() or after in "-_/@"
    )


def _scan(text: str, today: date) -> list[_Found]:
    """Every date phrase in ``text`` (already cleaned), with whether a trigger word preceded it.
    Overlapping matches keep the longest (earliest rule wins a tie)."""
    found: list[_Found] = []
    for rule in _RULES:
        for m in rule.pattern.finditer(text):
            start, end = m.span()
            if start == end or not _boundaries_ok(text, start, end):
                continue
            before = text[:start]
            triggered = bool(_TRIGGER.search(before))
            full_numeric = rule.name == "numeric" and m["y"] is not None and len(m["y"]) == 4
            if rule.trigger and not triggered and not full_numeric:
                continue
            if rule.name == "weekday_day" and not triggered and m["wd"] not in _FULL_WEEKDAYS:
                continue
            if rule.name == "weekday":
                word = m["wd"]
                if word not in _FULL_WEEKDAYS and not (triggered or m["mod"]):
                    continue
                if not (triggered or m["mod"] or m["nextweek"]):
                    continue
            if (
                rule.name in ("month_day", "day_month")
                and m["mon"] in _MAY_MARCH
                and not (triggered or m["ord"] or m["y"] or _ends_clause(text, end))
            ):
                continue  # "May 2 of us get access?"
            if (
                rule.name == "month_only"
                and m["mon"] == "may"
                and not m["y"]
                and not _ends_clause(text, end)
            ):
                continue  # "before may be too late"
            try:
                value = rule.resolve(m, today)
            except (ValueError, KeyError, OverflowError):
                value = None
            if value is None:
                continue
            found.append(_Found(start, end, value, triggered, rule.name))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[_Found] = []
    for item in sorted(found, key=lambda f: -(f.end - f.start)):
        if all(item.end <= k.start or item.start >= k.end for k in kept):
            kept.append(item)
    kept.sort(key=lambda f: f.start)
    return kept


def _ends_clause(text: str, end: int) -> bool:
    rest = text[end:].lstrip()
    return (
        not rest
        or rest[0] in ".,;:!?)-–—"
        or bool(
            re.match(
                r"(?:launch|release|deadline|cutover|go-live|demo|at|or|and|if|so|because)\b", rest
            )
        )
    )


def _dateparser(phrase: str, today: date) -> date | None:
    """dateparser on a short phrase that plainly speaks of a date; None otherwise."""
    words = phrase.split()
    if not words or len(words) > 6 or "24/7" in phrase:
        return None
    has_month = any(
        w.strip(".,") in _MONTHS and w.strip(".,") not in ("may", "march", "mar") for w in words
    )
    has_weekday = any(w.strip(".,") in _FULL_WEEKDAYS for w in words)
    relative = re.search(
        r"\b(?:days?|weeks?|fortnights?|months?|years?|tomorrow|tonight|noon|midnight)\b", phrase
    )
    if not (has_month or has_weekday or relative or re.search(r"\d", phrase)):
        return None
    if re.search(rf"\b\d{{1,2}}{_ORD}\b", phrase) and not has_month:
        return None  # "monday 7th" -> dateparser picks July; refuse rather than guess
    if re.search(r"\bago\b|\blast\b|\bprevious\b|\byesterday\b", phrase):
        return None
    import dateparser  # imported lazily: it takes a moment to load

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "MDY",
        "PREFER_DAY_OF_MONTH": "first",
    }
    try:
        parsed = dateparser.parse(phrase, languages=["en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    if parsed is None:
        return None
    value = parsed.date()
    if abs((value - today).days) > 366 * 5:
        return None
    return value


def read_deadline(text: str, today: date) -> DeadlineAnswer | None:
    """Like :func:`parse_deadline`, but a date in the past is returned as is, so that the
    caller can say it is in the past."""
    cleaned = _clean(text)
    phrase = _strip_phrase(cleaned)
    if not phrase:
        return None
    if _NONE_PHRASE.match(phrase):
        return DeadlineAnswer("none")
    # The whole answer is one date phrase.
    for rule in _RULES:
        m = rule.pattern.fullmatch(phrase)
        if m is None:
            continue
        if rule.name == "weekday" and m["wd"] not in _WEEKDAYS:
            continue
        try:
            value = rule.resolve(m, today)
        except (ValueError, KeyError, OverflowError):
            value = None
        if value is not None:
            return DeadlineAnswer("date", value)
    # A date said inside a longer answer ("ideally before the Dec 12 launch"): in an answer to
    # "when do you need it?" a bare "friday" or "the 3rd" is a date, so treat it as triggered.
    found = _scan("by " + phrase, today)
    if found:
        best = _best(found, today, allow_past=True)
        if best is not None:
            return DeadlineAnswer("date", best.value)
    value = _dateparser(phrase, today)
    if value is not None:
        return DeadlineAnswer("date", value)
    if _NONE_IN_TEXT.search(cleaned):
        return DeadlineAnswer("none")
    if _ASAP_IN_TEXT.search(cleaned):
        return DeadlineAnswer("asap", asap_date(today))
    return None


def parse_deadline(text: str, today: date, *, allow_past: bool = False) -> DeadlineAnswer | None:
    """Read an answer to "when do you need it?". None when it is not a deadline, including a
    date in the past (unless ``allow_past``)."""
    answer = read_deadline(text, today)
    if answer is None:
        return None
    if answer.kind == "date" and answer.value is not None and answer.value < today:
        return answer if allow_past else None
    return answer


def _best(found: list[_Found], today: date, *, allow_past: bool = False) -> _Found | None:
    candidates = [f for f in found if allow_past or f.value >= today]
    if not candidates:
        return None
    future = [f for f in candidates if f.value >= today]
    pool = future or candidates
    triggered = [f for f in pool if f.triggered]
    return (triggered or pool)[0]


def find_deadline(text: str, today: date) -> DeadlineAnswer | None:
    """A deadline stated anywhere in a message ("a postgres db for billing by next friday",
    "before the Dec 12 launch", "asap", "no deadline, whenever"); None when it states none.
    Dates in the past are not deadlines."""
    cleaned = _clean(text)
    if not cleaned:
        return None
    best = _best(_scan(cleaned, today), today)
    if best is not None:
        return DeadlineAnswer("date", best.value)
    if _NONE_IN_TEXT.search(cleaned):
        return DeadlineAnswer("none")
    if _ASAP_IN_TEXT.search(cleaned):
        return DeadlineAnswer("asap", asap_date(today))
    return None
