"""Numbers as people state them, in the unit they said: "100GB", "2 TB", "10k rps", "$12k",
"45m", "back near the ~3 hours they took", "a 3-hour build", "an hour and a half".

``number_in_text`` reads a number written with the field's unit anywhere in free text;
``stated_number`` reads the answer to a number question, preferring the number the person
gave a unit to over bare numbers around it.
"""

from __future__ import annotations

import re

from intake.templates.model import FieldSpec

_MULTIPLIERS = {"k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9, "thousand": 1e3, "million": 1e6}
_SIZE_UNITS = {
    "kb": 1 / 1024**2, "kib": 1 / 1024**2, "mb": 1 / 1024, "mib": 1 / 1024,
    "gb": 1.0, "gib": 1.0, "gig": 1.0, "gigs": 1.0, "gigabyte": 1.0, "gigabytes": 1.0,
    "tb": 1024.0, "tib": 1024.0, "terabyte": 1024.0, "terabytes": 1024.0, "pb": 1024.0**2,
    "pib": 1024.0**2, "mbs": 1 / 1024, "gbs": 1.0, "tbs": 1024.0,
}  # fmt: skip
_TIME_UNITS = {
    "s": 1 / 60, "sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
    "m": 1.0, "min": 1.0, "mins": 1.0, "minute": 1.0, "minutes": 1.0,
    "h": 60.0, "hr": 60.0, "hrs": 60.0, "hour": 60.0, "hours": 60.0,
}  # fmt: skip
_RATE_UNITS = {
    "rps": 1.0, "qps": 1.0, "req/s": 1.0, "reqs/s": 1.0, "requests/s": 1.0,
    "requests/sec": 1.0, "req/sec": 1.0, "requests per second": 1.0,
    "queries per second": 1.0, "rpm": 1 / 60, "requests per minute": 1 / 60,
}  # fmt: skip
_MONEY_UNITS = {"usd": 1.0, "$": 1.0, "dollars": 1.0, "dollar": 1.0, "bucks": 1.0}


def unit_table(unit: str) -> dict[str, float]:
    """The spellings of ``unit`` a person may type, each with its factor to ``unit``."""
    key = unit.strip().lower()
    if key in ("gb", "gib"):
        return _SIZE_UNITS
    if key in ("tb", "tib"):
        return {k: v / 1024 for k, v in _SIZE_UNITS.items()}
    if key in ("mb", "mib"):
        return {k: v * 1024 for k, v in _SIZE_UNITS.items()}
    if key in ("minutes", "minute", "min", "mins"):
        return _TIME_UNITS
    if key in ("hours", "hour", "h", "hrs"):
        return {k: v / 60 for k, v in _TIME_UNITS.items()}
    if key in ("seconds", "second", "s", "sec"):
        return {k: v * 60 for k, v in _TIME_UNITS.items()}
    if key in ("rps", "qps", "req/s"):
        return _RATE_UNITS
    if key in ("usd", "$", "dollars"):
        return _MONEY_UNITS
    if not key:
        return {}
    table = {key: 1.0}
    if key[-1].isalpha():
        table[key + "s"] = 1.0
        if key.endswith("s"):
            table[key[:-1]] = 1.0
    return table


_NUMBER = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"


def number_pattern(units: dict[str, float]) -> re.Pattern[str]:
    spellings = sorted((u for u in units if u != "$"), key=len, reverse=True)
    unit_part = ""
    if spellings:
        unit_part = rf"(?:\s*(?P<unit>{'|'.join(re.escape(u) for u in spellings)})(?![a-z]))?"
    return re.compile(
        rf"(?<![\w.])(?P<dollar>\$\s*)?{_NUMBER}\s*(?:(?P<mult>k|m|bn|b|thousand|million)\b)?"
        rf"{unit_part}",
        re.IGNORECASE,
    )


def to_number(m: re.Match[str], units: dict[str, float], spec_unit: str) -> float:
    value = float(m["num"].replace(",", ""))
    mult = (m["mult"] or "").lower()
    unit = (m.groupdict().get("unit") or "").lower()
    if mult == "m" and not unit and spec_unit.lower() in ("minutes", "minute", "min", "mins"):
        unit, mult = "m", ""  # "45m" of a duration in minutes
    value *= _MULTIPLIERS.get(mult, 1.0)
    if unit:
        value *= units.get(unit, 1.0)
    return round(value, 6)


def number_in_text(spec: FieldSpec, text: str) -> float | None:
    """A number stated with the field's unit ("100GB", "2 TB", "10k rps", "$12k")."""
    units = unit_table(spec.unit)
    if not units:
        return None
    for m in number_pattern(units).finditer(text.lower()):
        if m.groupdict().get("unit") or (m["dollar"] and "$" in units):
            return to_number(m, units, spec.unit)
    return None


# Words people use for numbers and durations, rewritten as digits before reading.
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
    "a couple of": 2, "a couple": 2, "couple of": 2, "a dozen": 12, "half a dozen": 6,
}  # fmt: skip
_PHRASES = (
    (re.compile(r"\b(?:an?|one) (?:hour|hr) and a half\b"), "1.5 hours"),
    (re.compile(r"\bhalf an? (?:hour|hr)\b"), "30 minutes"),
    (re.compile(r"\b(\d+(?:\.\d+)?) and a half (hours?|hrs?|minutes?|mins?)\b"), r"\1.5 \2"),
    (re.compile(r"\ban? (hour|minute|day|week)\b"), r"1 \1"),
    (re.compile(r"(\d)-(hours?|hrs?|minutes?|mins?|seconds?|secs?|gb|tb|mb|gig)\b"), r"\1 \2"),
)
_WORDS = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _WORD_NUMBERS), key=len, reverse=True)) + r")\b"
)


def _digits(text: str) -> str:
    text = _WORDS.sub(lambda m: str(_WORD_NUMBERS[m.group(1)]), text.lower())
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return text


def stated_number(spec: FieldSpec, text: str) -> float | None:
    """The number ``text`` gives as the answer, in the field's unit: the first number written
    with a unit (converted: "~3 hours" is 180 for a field in minutes, "2 TB" is 2048 for one
    in GB); else the first bare number, read in the field's unit. None when there is none."""
    units = unit_table(spec.unit)
    matches = list(number_pattern(units).finditer(_digits(text)))
    for m in matches:
        if m.groupdict().get("unit") or (m["dollar"] and "$" in units):
            return to_number(m, units, spec.unit)
    return to_number(matches[0], units, spec.unit) if matches else None
