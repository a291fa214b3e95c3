"""Text shortened for a title or a one-line summary: cut at a word, ending with "…"."""

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
