"""Reading a person's answer to the question the bot asked, as people answer.

``read`` turns one message into a ``Reading``: a value of the field's type, a note for the
platform team (the person's own words, when they don't know or the bot can't read them), or —
once, for a closed question — a problem to ask again about. The rules:

* "not sure", "you decide", "n/a" and every other way of saying so (``intake.unsure``) are a
  note, never a value; the question is not asked again.
* Choices are suggestions: what matches no option is kept as typed ("the k8s.io zone"),
  unless the field is ``closed`` (yes/no, a severity scale).
* Slack's special mentions (``<!channel>``) are never part of an answer.
* "me", "myself", "me and @bob" name the requester for a person question.
* A paste (long or multi-line) is one answer: summarised in its field, numbers read only from
  the person's own prose.
* An answer that cannot be read is asked about once more; the second time it is kept as a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from intake import pastes, unsure
from intake.answer_parsing import ParsedAnswer, parse_answer
from intake.extraction import Extraction
from intake.lists import SHORT_ITEM_WORDS, split_list
from intake.numbers import stated_number
from intake.short_text import quoted
from intake.slack_markup import find_mentions, plain_text
from intake.special_mentions import without_special_mentions
from intake.templates.model import AnswerType, FieldSpec
from intake.ticket import Ticket

# An answer kept as typed for a choice holds at most this much (a Slack option value's limit,
# so the edit form can offer it back unchanged).
VALUE_CHARS = 150


@dataclass(frozen=True)
class Reading:
    """What one answer gives. ``value`` is None when nothing is set (a deadline answered "no
    deadline" sets ``no_deadline``); ``note`` is kept for the lead beside or instead of the
    value; ``problem`` (with no value and no note) means: ask once more."""

    value: Any = None
    no_deadline: bool = False
    note: str = ""
    problem: str = ""
    unsure: bool = False


def read(
    spec: FieldSpec,
    text: str,
    today: date,
    requester: str,
    found: Extraction | None = None,
    last_try: bool = False,
) -> Reading:
    """Read ``text`` as the answer to ``spec``'s question. ``found`` is what reading the whole
    message for every field found (an answer in a sentence); ``last_try`` says the question was
    already asked once more, so an unreadable answer is kept as a note."""
    found_value = _found(spec, found)
    cleaned = without_special_mentions(text).strip()
    option = _named_option(spec, cleaned)
    if option is not None:  # an option's own name wins, even "n/a" or "no" when it is one
        return Reading([option] if spec.multiple else option)
    said = unsure.read(cleaned)
    if said is not None:
        return Reading(note=said.note, unsure=True)
    if not cleaned:
        return _unread(spec, text, "That message had no answer in it.", last_try)
    body = cleaned if pastes.is_paste(cleaned) else unsure.without_hedge(cleaned)
    if spec.type is AnswerType.TEXT:
        return _text(body)
    if spec.type is AnswerType.LIST:
        return _list(spec, body)
    if spec.type is AnswerType.CHOICE:
        return _choice(spec, body, today, found_value, last_try)
    if spec.type is AnswerType.USER:
        return _user(spec, body, requester, last_try)
    if spec.type is AnswerType.NUMBER:
        return _number(spec, body, found_value, last_try)
    if spec.type is AnswerType.DATE:
        return _date(spec, body, today, found_value, last_try)
    return _unread(spec, body, "I can't read answers to this question yet.", last_try)


def _named_option(spec: FieldSpec, text: str) -> str | None:
    said = text.strip(" .!\"'`").lower()
    for option in spec.options:
        if said == option.value.lower() or said in (k.lower() for k in option.keywords):
            return option.value
    return None


def _found(spec: FieldSpec, found: Extraction | None) -> Any:
    if found is None:
        return None
    if spec.name == "deadline" and found.no_deadline and "deadline" not in found.values:
        return "no deadline"
    return found.values.get(spec.name)


def record(ticket: Ticket, spec: FieldSpec, reading: Reading) -> None:
    """Put ``reading`` into ``ticket``: the value (which clears an older note), then the note."""
    if spec.name == "deadline" and (reading.value is not None or reading.no_deadline):
        ticket.deadline, ticket.no_deadline = reading.value, reading.no_deadline
        ticket.answer_notes.pop(spec.name, None)
    elif reading.value not in (None, "", []):
        ticket.set(spec.name, reading.value)
    if reading.note:
        ticket.answer_notes[spec.name] = reading.note


# -- by type ------------------------------------------------------------------------------------


def _paste_note(text: str) -> str:
    return (
        f"summary of a {len(text):,}-character answer; the whole text is in the ask's conversation"
    )


def _text(body: str) -> Reading:
    plain = plain_text(body)
    if pastes.is_long(plain):
        return Reading(pastes.summary(plain), note=_paste_note(plain))
    parsed = " ".join(plain.split()) if "\n" not in plain else plain.strip()
    return Reading(parsed)


def _list(spec: FieldSpec, body: str) -> Reading:
    plain = plain_text(body)
    note = ""
    if pastes.is_long(plain) and not pastes.looks_like_list(plain):
        items = [pastes.summary(plain)]
        note = _paste_note(plain)
    else:  # a few lines: one item per line of the person's own words
        own = pastes.prose(plain) if pastes.is_paste(plain) else plain
        items = [_HEDGED.sub("", i) for i in split_list(own or plain) if unsure.read(i) is None]
    if spec.name == "services":
        items = [item.strip("`").lower() for item in items if not item.startswith("@")]
    items = list(dict.fromkeys(item for item in items if item))
    if not items:
        return Reading(note=f"as typed — {quoted(body, unsure.NOTE_LIMIT)}")
    return Reading(items, note=note)


_HEDGED = re.compile(r"^(?:probably|maybe|perhaps|likely|i think|i guess|i believe)\s+", re.I)
_PARTS = re.compile(r"\s*(?:,|;|\+|&|\band\b|\bor\b|\bplus\b|\balso\b)\s*")
_FILLER = re.compile(r"^(?:in|on|just|only|also|both|maybe|probably|mostly)\s+")


def _choice(spec: FieldSpec, body: str, today: date, found: Any, last_try: bool) -> Reading:
    plain = plain_text(body)
    # A few lines are one answer ("prod\nstaging"); a long paste is read by its summary.
    short = pastes.summary(plain, VALUE_CHARS) if pastes.is_long(plain) else _one_line(plain)
    if spec.multiple and not spec.closed and len(_PARTS.split(short)) > 1:
        return Reading(_open_multiple(spec, short, today))
    parsed = parse_answer(spec, short, today)
    if isinstance(parsed, ParsedAnswer):
        return Reading(parsed.value)
    if found not in (None, "", []):
        return Reading(found)
    if spec.closed or "Just one" in parsed.message:
        return _unread(spec, plain, parsed.message, last_try)
    # A suggestion list: what matches no option is kept as typed.
    return Reading([_capped(short)] if spec.multiple else _capped(short))


def _open_multiple(spec: FieldSpec, text: str, today: date) -> list[str]:
    """Each listed part as its option, or as typed when it names none ("prod and
    us-central1"); a long part naming no option is talk around the answer, not a value."""
    values: list[str] = []
    unmatched: list[str] = []
    for part in _PARTS.split(text):
        part = _FILLER.sub("", part.strip(" .!"))
        if not part:
            continue
        one = parse_answer(spec, part, today)
        if isinstance(one, ParsedAnswer):
            values.extend(v for v in one.value if v not in values)
        elif len(part.split()) <= SHORT_ITEM_WORDS:
            unmatched.append(part)
    if not values and not unmatched:
        return [_capped(text)]
    return values + [_capped(part) for part in unmatched if part not in values]


_ME = re.compile(
    r"(?<![\w@])(?:me|myself|mine|yours truly|i do|i need it|i need access)(?![\w])", re.I
)


def _user(spec: FieldSpec, body: str, requester: str, last_try: bool) -> Reading:
    people = find_mentions(body)
    parsed = parse_answer(spec, body, date.min) if not people else None
    if isinstance(parsed, ParsedAnswer):
        people = parsed.value if isinstance(parsed.value, list) else [parsed.value]
    rest = re.sub(r"<@[^>]+>", " ", body)
    if _ME.search(rest):
        people = [requester, *(p for p in people if p != requester)]
    if not people:
        message = (
            f"I couldn't tell who {quoted(plain_text(body))} is. "
            "@mention the person, or type “me” if it's you."
        )
        return _unread(spec, body, message, last_try)
    return Reading(people if spec.multiple else people[0])


def _number(spec: FieldSpec, body: str, found: Any, last_try: bool) -> Reading:
    paste = pastes.is_paste(body)
    own = plain_text(pastes.prose(body) if paste else body)
    value = stated_number(spec, own)
    if value is not None:
        return Reading(value)
    if found is not None and not paste:
        return Reading(found)
    if paste:  # no number stated in the person's own words: keep them, don't guess
        return Reading(note=f"no number given — {quoted(pastes.summary(body), unsure.NOTE_LIMIT)}")
    unit = f" in {spec.unit}" if spec.unit else ""
    example = f"“40 {spec.unit}”" if spec.unit else "“40”"
    message = (
        f"I couldn't find a number{unit} in {quoted(plain_text(body))}. "
        f"Type a number, e.g. {example}."
    )
    return _unread(spec, body, message, last_try)


def _date(spec: FieldSpec, body: str, today: date, found: Any, last_try: bool) -> Reading:
    own = pastes.prose(body) if pastes.is_paste(body) else body
    parsed = parse_answer(spec, own, today)
    if isinstance(parsed, ParsedAnswer):
        return Reading(parsed.value, no_deadline=parsed.no_deadline)
    if found == "no deadline":
        return Reading(None, no_deadline=True)
    if isinstance(found, date):
        return Reading(found)
    return _unread(spec, body, parsed.message, last_try)


def _unread(spec: FieldSpec, text: str, message: str, last_try: bool) -> Reading:
    """Not readable: ask once more, or — the second time — keep the words as a note."""
    if last_try:
        words = pastes.summary(text) if pastes.is_paste(text) else plain_text(text)
        return Reading(note=f"as typed — {quoted(words, unsure.NOTE_LIMIT)}")
    return Reading(problem=message)


def _one_line(text: str) -> str:
    return ", ".join(line.strip() for line in text.splitlines() if line.strip())


def _capped(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= VALUE_CHARS else pastes.summary(text, VALUE_CHARS)
