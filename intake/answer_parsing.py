"""Reading a typed answer to one question (a choice, a date, a list, a user, a number) or
saying, for the person, why it could not be read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from intake.choices import _options_in_text
from intake.dates import parse_deadline
from intake.lists import NAME_SEPARATORS, split_list
from intake.numbers import stated_number
from intake.short_text import quoted
from intake.slack_markup import find_mentions, plain_text
from intake.templates.model import AnswerType, FieldSpec, Option


@dataclass
class ParsedAnswer:
    """A typed answer to one question: ``value`` of the field's type (``None`` with
    ``no_deadline`` for a date question answered "no deadline")."""

    value: Any
    no_deadline: bool = False


@dataclass
class AnswerError:
    """Why a typed answer could not be read, worded for the person, with an example."""

    message: str


# -- parse_answer -------------------------------------------------------------------------------


def _parse_text(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    value = " ".join(text.split()) if "\n" not in text else text.strip()
    if not value:
        return AnswerError(f"I need a few words for “{spec.label}”. Type a short answer.")
    return ParsedAnswer(value)


def _option_list(spec: FieldSpec) -> str:
    return ", ".join(f"{i}. {o.value}" for i, o in enumerate(spec.options, start=1))


def _match_option(spec: FieldSpec, part: str) -> Option | None:
    part = part.strip(" .!?\"'`").lower()
    if not part:
        return None
    for option in spec.options:
        if part == option.value.lower() or part in (k.lower() for k in option.keywords):
            return option
    if part.isdigit() and 1 <= int(part) <= len(spec.options):
        return spec.options[int(part) - 1]
    prefixed = [o for o in spec.options if len(part) >= 2 and o.value.lower().startswith(part)]
    if len(prefixed) == 1:
        return prefixed[0]
    found = _options_in_text(spec, part, free_text=False)
    if len({id(o) for _, o in found}) == 1:
        return found[0][1]
    return None


_ALL = re.compile(r"^(?:all|all of them|all three|everything|every one|each|all envs?"
                  r"|all environments|every environment)$")  # fmt: skip


def _parse_choice(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    cleaned = " ".join(text.strip().split())
    lowered = cleaned.lower().strip(" .!")
    unknown = AnswerError(
        f"I didn't recognise {quoted(cleaned)}. "
        f"{'Pick one or more' if spec.multiple else 'Pick one'} of: {_option_list(spec)} "
        f"(the name or its number)."
    )
    if not lowered:
        return unknown
    if spec.multiple:
        if _ALL.match(lowered):
            return ParsedAnswer([o.value for o in spec.options])
        whole = _match_option(spec, lowered)
        if whole is not None:
            return ParsedAnswer([whole.value])
        chosen: list[Option] = []
        for part in re.split(rf"\s*(?:{NAME_SEPARATORS}|;|\bor\b|\bplus\b)\s*", lowered):
            words = [w for w in part.split() if w not in _FILLER_WORDS]
            if not words:
                continue
            option = _match_option(spec, " ".join(words))
            if option is not None:
                chosen.append(option)
                continue
            found = _options_in_text(spec, part, free_text=False)
            if not found:
                return unknown
            chosen.extend(o for _, o in sorted(found, key=lambda item: item[0]))
        if not chosen:
            return unknown
        return ParsedAnswer([o.value for o in spec.options if any(c is o for c in chosen)])
    option = _match_option(spec, lowered)
    if option is None:
        found = _options_in_text(spec, lowered, free_text=False)
        distinct = {id(o): o for _, o in found}
        if len(distinct) == 1:
            option = next(iter(distinct.values()))
        elif len(distinct) > 1:
            names = ", ".join(o.value for o in distinct.values())
            return AnswerError(f"Just one, please: which of {names}? Type its name or number.")
    if option is None:
        return unknown
    return ParsedAnswer(option.value)


_FILLER_WORDS = frozenset(
    {"the", "a", "an", "in", "on", "to", "for", "please", "both", "env", "envs", "environment",
     "environments", "only", "just", "too", "also", "and", "of", "them", "it"}
)  # fmt: skip


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _parse_date(spec: FieldSpec, text: str, today: date) -> ParsedAnswer | AnswerError:
    answer = parse_deadline(text, today, allow_past=True)
    if answer is None:
        return AnswerError(
            f"I couldn't read {quoted(text)} as a date. "
            "Try “next Friday”, “2026-12-15”, or “no deadline”."
        )
    if answer.kind == "none":
        return ParsedAnswer(None, no_deadline=True)
    assert answer.value is not None
    if answer.value < today:
        return AnswerError(
            f"{quoted(text)} is in the past ({_day(answer.value)}). "
            "When do you need it by? e.g. “next Friday” or “no deadline”."
        )
    return ParsedAnswer(answer.value)


def _parse_list(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    items = split_list(text)
    if spec.name == "services":
        items = list(dict.fromkeys(item.strip("`").lower() for item in items))
    if not items:
        return AnswerError("I need at least one item. Put each on its own line or separate them "
                           "with commas.")  # fmt: skip
    return ParsedAnswer(items)


_BARE_ID = re.compile(r"^@?([UW][A-Z0-9]{6,})$")


def _parse_user(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    mentions = find_mentions(text)
    if not mentions:
        ids = [m.group(1) for m in (_BARE_ID.match(w.strip(" ,;")) for w in text.split()) if m]
        mentions = list(dict.fromkeys(ids))
    if not mentions:
        return AnswerError(
            f"I couldn't tell who {quoted(text)} is. @mention the person, e.g. “@lee”."
        )
    return ParsedAnswer(mentions if spec.multiple else mentions[0])


def _parse_number(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    value = stated_number(spec, text)
    if value is None:
        example = f"“100 {spec.unit}”" if spec.unit else "“100”"
        unit_hint = f" in {spec.unit}" if spec.unit else ""
        return AnswerError(
            f"I couldn't read {quoted(text)} as a number{unit_hint}. Type a number, e.g. {example}."
        )
    return ParsedAnswer(value)


def parse_answer(spec: FieldSpec, text: str, today: date) -> ParsedAnswer | AnswerError:
    """Read ``text`` as the answer to the question ``spec`` asks."""
    if spec.type is AnswerType.TEXT:
        return _parse_text(spec, plain_text(text))
    if spec.type is AnswerType.CHOICE:
        return _parse_choice(spec, plain_text(text))
    if spec.type is AnswerType.DATE:
        return _parse_date(spec, text, today)
    if spec.type is AnswerType.LIST:
        return _parse_list(spec, plain_text(text))
    if spec.type is AnswerType.USER:
        return _parse_user(spec, text)
    if spec.type is AnswerType.NUMBER:
        return _parse_number(spec, plain_text(text))
    return AnswerError("I can't read answers to this question yet.")
