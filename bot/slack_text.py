"""Text going into and out of Slack.

Incoming text carries Slack markup (<@U123>, <https://x|label>, &lt;); we store it as plain
text. Outgoing text that came from a person (or a model) is escaped so that a typed
``<!channel>`` or ``<@U123>`` never pings anyone, then cut to Slack's limits with an ellipsis.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

_MARKUP = re.compile(r"<([^<>]*)>")


def normalize_incoming(text: str) -> str:
    """Slack message text -> the plain text the requester meant."""

    def plain(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):  # a user mention: keep the ID so user answers still parse
            return f"<{target}>"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!subteam^"):
            return label or "@group"
        if target.startswith("!"):
            return "@" + (label.lstrip("@") or target[1:].split("^")[0])
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return target  # a link: keep the URL itself, not a label that could disguise it

    text = _MARKUP.sub(plain, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Make text safe to post as mrkdwn: & < > become entities (& first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


_STORED_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


# Characters that change how the text around them is shown without showing themselves: the
# bidirectional overrides and isolates (a "right-to-left override" makes "gpj.exe" read as
# "exe.jpg") and zero-width characters (a name that looks like another). Echoed, they would
# let one person's text disguise itself in a card another person trusts. The zero-width
# joiner (U+200D) stays: emoji such as 👩‍💻 are made with it.
_INVISIBLE = re.compile("[\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def visible(text: str) -> str:
    """``text`` without invisible formatting characters (bidi controls, zero-width ones)."""
    return _INVISIBLE.sub("", text)


def safe(text: str, limit: int) -> str:
    """Person-written text ready for mrkdwn: invisible formatting characters dropped, mentions
    shown as plain @U123 (no ping), escaped, and cut to ``limit`` characters without splitting
    an entity such as &amp;."""
    escaped = escape(_STORED_MENTION.sub(r"@\1", visible(text)))
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit - 1, 0)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + ELLIPSIS


def is_user_id(text: str) -> bool:
    """Whether ``text`` is a Slack user ID (not the bot's or a tracker's name for itself)."""
    return re.fullmatch(r"[UW][A-Z0-9]+", text) is not None


def user(user_id: str) -> str:
    """A mention of a validated Slack user ID (never of free text)."""
    if is_user_id(user_id):
        return f"<@{user_id}>"
    return escape(user_id)
