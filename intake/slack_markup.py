"""Slack markup in a message: its links and user mentions, and the message as plain text."""

from __future__ import annotations

import re

from intake.special_mentions import without_special_mentions

# -- Slack markup and plain text ----------------------------------------------------------------

_SLACK_LINK = re.compile(r"<(https?://[^|<>\s]+)(?:\|[^<>]*)?>", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>|\"'`]+", re.IGNORECASE)
_URL_AS_A_WORD = re.compile(_BARE_URL.pattern + r"(?:['’]s\b)?", re.IGNORECASE)  # "URL's"
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>")
_OTHER_MARKUP = re.compile(r"<([#!][^<>|]*)(?:\|([^<>]*))?>")
_URL_TRAILING = ".,;:!?)]}'\"»”’"


def find_links(text: str) -> list[str]:
    """Every http(s) URL in ``text`` (Slack's ``<https://x|label>`` gives the URL), in order,
    without duplicates."""
    links: list[str] = []
    for m in _SLACK_LINK.finditer(text):
        links.append(m.group(1))
    rest = _SLACK_LINK.sub(" ", text)
    for m in _BARE_URL.finditer(rest):
        links.append(m.group(0).rstrip(_URL_TRAILING))
    return list(dict.fromkeys(link for link in links if len(link) > len("https://")))


def find_mentions(text: str) -> list[str]:
    """User IDs mentioned with Slack markup (``<@U123ABC>`` or ``<@U123|lee>``), in order."""
    return list(dict.fromkeys(m.group(1) for m in _MENTION.finditer(text)))


def plain_text(text: str) -> str:
    """``text`` with Slack markup made readable: links by their label or URL, mentions as
    ``@user``, channels as ``#name``; special mentions (``<!channel>``) dropped."""

    def link(m: re.Match[str]) -> str:
        inner = m.group(0)[1:-1]
        _, _, label = inner.partition("|")
        return label or m.group(1)

    def other(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        return "@" + (label or target[1:]).lstrip("@")

    text = _SLACK_LINK.sub(link, without_special_mentions(text))
    text = _MENTION.sub("@user", text)
    text = _OTHER_MARKUP.sub(other, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def has_url(text: str) -> bool:
    """Whether ``text`` holds an http(s) URL (bare or in a Slack link)."""
    return _BARE_URL.search(text) is not None


def without_urls(text: str) -> str:
    """``text`` with each bare http(s) URL replaced by a space (for the words around them;
    run ``plain_text`` first to drop the URLs of Slack links too); a possessive "'s" goes
    with its URL."""
    return _URL_AS_A_WORD.sub(" ", text)


def prose(text: str) -> str:
    """The words of a message as a reader takes them: Slack markup made readable
    (``plain_text``), URLs left out, curly apostrophes straight."""
    return without_urls(plain_text(text)).replace("’", "'")
