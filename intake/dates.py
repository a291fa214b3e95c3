"""Deadlines in everyday words ("next Friday", "end of the month", "asap"), read relative to the
requester's local date. Own rules first; dateparser only on a short candidate phrase, never on a
whole sentence (it reads "we" as Wednesday and "the 3rd" as a date in March)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from intake.date_rules import _MAY_MARCH, _RULES
from intake.date_words import _FULL_WEEKDAYS, _MONTHS, _ORD, _WEEKDAYS, asap_date
from intake.slack_markup import without_urls

DeadlineKind = Literal["date", "none", "asap"]


@dataclass(frozen=True)
class DeadlineAnswer:
    """What someone said about a deadline: a date, "no deadline", or "asap" (which carries the
    date it stands for: two business days after today)."""

    kind: DeadlineKind
    value: date | None = None


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
    text = without_urls(text)
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
