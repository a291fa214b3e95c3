"""The tracker link of an accepted ask (``Ticket.tracker``): "Tracked in GitHub:
<url|acme/platform#12>", on its review card, in the requester's thread, the owner's DM,
``/intake show`` and the Home tab.

The link is Slack's ``<url|label>``: both parts are escaped (& < > as entities, Slack's
control characters) and a ``|`` in the URL is percent-encoded, so a label or URL that came back
from a tracker can neither break out of the link nor ping anyone. Only http(s) URLs are linked;
anything else shows as the label alone.
"""

from __future__ import annotations

from typing import Final

from bot.blocks import kit
from bot.slack_text import escape, safe
from intake.ticket import Ticket, TrackerLink

LABEL_LIMIT = 80
URL_LIMIT = 2000
# How people call each tracker (``TrackerLink.tracker`` -> name).
NAMES: Final = {"github": "GitHub", "jira": "Jira"}


def link_markup(link: TrackerLink) -> str:
    """``<url|label>``, or the escaped label alone when the URL is not a web address."""
    label = safe(link.label, LABEL_LIMIT).replace("|", "/") or "issue"
    url = link.url.strip()
    if not url.startswith(("https://", "http://")) or len(url) > URL_LIMIT or " " in url:
        return label
    return f"<{escape(url.replace('|', '%7C'))}|{label}>"


def where_tracked(link: TrackerLink) -> str:
    """ "Tracked in GitHub: <url|acme/platform#12>" ("Tracked: ..." for a tracker without a
    name here)."""
    name = NAMES.get(link.tracker, "")
    where = f"Tracked in {name}" if name else "Tracked"
    return f"{where}: {link_markup(link)}"


def tracked_text(ticket: Ticket) -> str | None:
    """ ":link: Tracked in GitHub: <url|acme/platform#12>"; None when the ask has no issue."""
    if ticket.tracker is None:
        return None
    return f":link: {where_tracked(ticket.tracker)}"


def tracked(ticket: Ticket) -> list[kit.Block]:
    """A context block with the link, or nothing."""
    text = tracked_text(ticket)
    return [kit.context(text)] if text else []
