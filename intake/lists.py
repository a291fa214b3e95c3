"""Where a person listed things: one item per line, bullet or ";", or — on one line — short
items joined by commas, "and", "plus" or "&".

A sentence with a comma in it is one item, not two fragments: "both of us can ssh into a
10.14, a 10.15 machine" is one criterion; "the repo2docker images: a11y, r-base, plus any
standalone vms still on 18.04" one service note. Items are split on one line only when every
item is short and reads like a name or a short check ("billing, payments and checkout",
"builds under 10 min, no flaky failures").
"""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")
# Commas not inside a number ("1,000"), " and ", " plus ", "&", " as well as ".
_INLINE_SPLIT = re.compile(
    r"(?<!\d),\s*(?:and\s+|plus\s+|&\s+)?|,(?!\d{3}\b)\s*(?:and\s+|plus\s+)?"
    r"|\s+(?:and|plus|as well as)\s+|\s*&\s*"
)
SHORT_ITEM_WORDS = 4  # an item of a one-line list has at most this many words
# What stands between the names of a one-line list: "billing, payments & checkout",
# "dev/staging", "api + worker" (for patterns that find such a list in a sentence).
NAME_SEPARATORS = r",|&|/|\+|\band\b"
_NAME_SPLIT = re.compile(rf"\s*(?:{NAME_SEPARATORS})\s*")


def split_names(text: str) -> list[str]:
    """A one-line list of names split at ``NAME_SEPARATORS``, each name as written."""
    return _NAME_SPLIT.split(text)


def _clean(item: str) -> str:
    return " ".join(item.strip(" \t,.;").split())


def _lines(text: str) -> list[str]:
    """The items of a multi-line or bulleted answer; an introducing line ("Criteria:") before
    bullets is not an item."""
    lines = [line for line in re.split(r"\n+", text) if line.strip()]
    items: list[str] = []
    for index, line in enumerate(lines):
        later_bullets = any(_BULLET.match(rest) for rest in lines[index + 1 :])
        if line.rstrip().endswith(":") and not _BULLET.match(line) and later_bullets:
            continue
        for part in line.split(";"):
            items.append(_BULLET.sub("", part))
    return items


def _inline(text: str) -> list[str]:
    """One line: split only when every piece is a short item."""
    if ":" in text.replace("://", ""):
        return [text]  # "the images: a, b, c" is one thing described, not a list of pieces
    parts = [_clean(part) for part in _INLINE_SPLIT.split(text)]
    parts = [part for part in parts if part]
    if len(parts) < 2 or any(len(part.split()) > SHORT_ITEM_WORDS for part in parts):
        return [text]
    return parts


def split_list(text: str) -> list[str]:
    """A list answer as items (see the module's docstring), whitespace collapsed, empty
    items dropped."""
    text = text.strip()
    lines = [line for line in re.split(r"\n+", text) if line.strip()]
    if len(lines) > 1 or any(_BULLET.match(line) for line in lines) or ";" in text:
        items = _lines(text)
    else:
        items = _inline(text)
    cleaned = [_clean(item) for item in items]
    return [item for item in cleaned if item]
