"""Text shortened for a title or a one-line summary: cut at a word, ending with "…"; a
person's words quoted back to them."""

from __future__ import annotations

ELLIPSIS = "…"


def cut_at_word(text: str, limit: int, trim: str = " ,;:-–—") -> str:
    """``text`` on one line, at most ``limit`` characters: cut at the last space in its second
    half (else mid-word), with the characters in ``trim`` dropped from the cut end."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(trim) + ELLIPSIS


def quoted(text: str, limit: int = 80) -> str:
    """The person's words on one line, cut to ``limit`` characters, in curly quotes: 80 by
    default, for a sentence that says why an answer was not taken."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return f"“{text}”"
