"""Dates and times as people read them: one rule for every message the bot writes.

There are two kinds, and they are never mixed up:

* A **moment** is when something happened (an ask submitted, approved). People read it in their
  own time zone, relative to their own today when it is within a day of it ("today at 19:58",
  "yesterday at 09:12", "tomorrow at 09:00"), else as a date with the time ("Mon 7 Dec at
  19:58"). Both the "today" and the time come from the same zone, so every part of a message
  agrees.

  A message several people read (the review card, the digest, the requester's thread that the
  team follows) has no one zone: :func:`shared` hands the moment to Slack as
  ``<!date^UNIX^{date_short_pretty} at {time}|fallback>`` and each reader's Slack applies the
  same rule in their zone ("today at 19:58", else "Dec 7, 2026 at 19:58"). The fallback, for a
  client that cannot, names its zone: "Mon 7 Dec 2026 19:58 UTC". A message for one person whose
  zone the bot knows (a DM it writes out, the Home tab, a modal) uses :func:`local`.
* A **calendar date** (a deadline, a milestone's due date) is a day, not a moment: the same for
  everyone and never moved by a time zone. :func:`day` writes "Tue 8 Dec", with the year when it
  is not the reader's current year ("Tue 8 Dec 2027"), or always when the caller does not know
  the reader's today. Never "12/08/2026", which half the world reads as 12 August.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from intake.milestone_schedule import day_text

# The format handed to Slack (tests/security/checks.py allows exactly this in bot output).
MOMENT_FORMAT = "{date_short_pretty} at {time}"

_RELATIVE = {-1: "yesterday", 0: "today", 1: "tomorrow"}


def day(value: date, today: date | None = None) -> str:
    """A calendar date: "Tue 8 Dec"; "Tue 8 Dec 2027" when not in ``today``'s year (or when
    ``today`` is not known)."""
    return day_text(value, today)  # the domain writes dates the same way (plan warnings)


def relative_day(value: date, today: date) -> str | None:
    """ "today", "yesterday" or "tomorrow" for a date within a day of ``today``; else None."""
    return _RELATIVE.get((value - today).days)


def local(at: datetime, tz: str, now: datetime) -> str:
    """A moment for one reader in ``tz``, as of ``now``: "today at 19:58", "Mon 7 Dec at
    19:58", "Fri 4 Dec 2025 at 08:00"."""
    zone = ZoneInfo(tz)
    there, today = at.astimezone(zone), now.astimezone(zone).date()
    said = relative_day(there.date(), today) or day(there.date(), today)
    return f"{said} at {there:%H:%M}"


def shared(at: datetime) -> str:
    """A moment in a message several people read: Slack shows each of them :func:`local`'s
    rule in their own zone. The fallback is the moment in UTC, saying so."""
    utc = at.astimezone(UTC)
    fallback = f"{day(utc.date())} {utc:%H:%M} UTC"
    return f"<!date^{int(at.timestamp())}^{MOMENT_FORMAT}|{fallback}>"
