"""Pasted text as one answer: a log, a stack trace, an email, a page of notes.

A paste answers the question it was sent to, and only that one: it is never read line by line
as answers to other questions. Its field gets a summary (the first meaningful sentence or
line); the whole paste stays in the ask's transcript. Numbers are read only from the person's
own prose, never from log lines or code blocks inside the paste ("412s" in a build log is not
how long the build takes when the person wrote "it takes about 40 minutes").
"""

from __future__ import annotations

import re

from intake.short_text import cut_at_word

PASTE_CHARS = 500  # longer than this is a paste
SUMMARY_CHARS = 200  # a field holds at most this much of a paste

_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_LOG_LINE = re.compile(
    r"^\s*(?:\[|\{|\}|\$ |> |#|at \S+\(|File \"|Traceback|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}"
    r"|[A-Z_]+=|\w+(?:\.\w+)+:\d+)"
    r"|\b(?:INFO|WARN|WARNING|ERROR|DEBUG|TRACE|FATAL|CRITICAL)\b"
    r"|\b\d{1,2}:\d{2}:\d{2}\b|\w+\(\)|=>|->|::"
)
_GREETING = re.compile(
    r"^(?:hi|hey|hello|hiya|thanks|thank you|cheers|sure|ok|okay|yes|so|well|here(?:'s| is| you go)"
    r"|see below|pasting|copying)\b[\w\s,!'’-]{0,30}[:,.!]*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")


def is_paste(text: str) -> bool:
    """Long or multi-line text: one answer, never spread over several questions."""
    stripped = text.strip()
    lines = [line for line in stripped.splitlines() if line.strip()]
    return len(stripped) > PASTE_CHARS or len(lines) > 1


def is_long(text: str) -> bool:
    return len(text.strip()) > PASTE_CHARS


def _is_log(line: str) -> bool:
    if _LOG_LINE.search(line):
        return True
    letters = sum(ch.isalpha() or ch.isspace() for ch in line)
    return letters < 0.5 * len(line.strip())


def prose(text: str) -> str:
    """The person's own words in ``text``: code blocks and log-looking lines left out."""
    without_code = _FENCE.sub("\n", text)
    lines = [line for line in without_code.splitlines() if line.strip()]
    return "\n".join(line for line in lines if not _is_log(line))


def summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first meaningful sentence (or line) of ``text``, at most ``limit`` characters:
    greetings ("Hi team,", "here's the log:") and log lines are passed over."""
    own = prose(text) or text
    for line in own.splitlines():
        line = " ".join(line.strip(" \t-*•>").split())
        if not line or _GREETING.match(line) or len(line.split()) < 2:
            continue
        first = _SENTENCE_END.split(line, maxsplit=1)[0]
        return cut_at_word(first, limit, trim=" ,;:")
    return cut_at_word(own, limit, trim=" ,;:")


def looks_like_list(text: str) -> bool:
    """A multi-line answer that lists things: bullets or numbers, or a handful of short
    lines (rather than a paragraph or a log)."""
    lines = [line for line in _FENCE.sub("", text).splitlines() if line.strip()]
    if not lines or len(lines) > 30:
        return False
    if any(_is_log(line) and not re.match(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s", line) for line in lines):
        return False
    return all(len(line.split()) <= 25 for line in lines)
