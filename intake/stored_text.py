"""Text as the bot stores it: what a person sent, without what the database cannot keep and
no longer than Slack lets anyone send."""

from __future__ import annotations

# Slack cuts a message at 40,000 characters: nobody can send the bot more through Slack, and
# nothing longer is kept (a forged or pasted megabyte would otherwise be stored, echoed and
# exported whole).
MAX_TEXT = 40_000


def clean(text: str, limit: int = MAX_TEXT) -> str:
    """Text as stored: NUL characters (which PostgreSQL cannot store) removed, and at most
    ``limit`` characters, ending with a visible note where it was cut."""
    text = text.replace("\x00", "")
    if len(text) <= limit:
        return text
    note = f" [… cut: {len(text):,} characters were sent, the first ones are kept]"
    return text[: max(limit - len(note), 0)] + note
