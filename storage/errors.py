"""Errors storage raises for the operator to act on (the CLI prints them without a trace)."""


class UpgradeRefused(Exception):
    """A migration would lose data that only an older version can still use; the message
    says what to do first."""
