"""Slack's special mentions — ``<!channel>``, ``<!here>``, ``<!everyone>`` and user groups
(``<!subteam^S123|@platform>``) — address people; they are never a service, a title or an
answer."""

from __future__ import annotations

import re

SPECIAL_MENTION = re.compile(
    r"<!(?:channel|here|everyone|group)(?:\|[^<>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^<>]*)?>"
    r"|(?<![\w@])@(?:channel|here|everyone)\b",
    re.IGNORECASE,
)


def without_special_mentions(text: str) -> str:
    """``text`` with every special mention removed (and the spaces they leave tidied)."""
    if "<!" not in text and "@" not in text:
        return text
    stripped = SPECIAL_MENTION.sub(" ", text)
    return re.sub(r"[ \t]{2,}", " ", stripped).strip(" \t")
