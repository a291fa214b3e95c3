"""Block Kit validation now lives in the project: bot/sandbox/blockkit.py (the sandbox's
emulated Slack uses it too). This module keeps the tests' imports working."""

from bot.sandbox.blockkit import (
    Violation,
    check_message,
    check_view,
    validate_message,
    validate_view,
)

__all__ = ["Violation", "check_message", "check_view", "validate_message", "validate_view"]
