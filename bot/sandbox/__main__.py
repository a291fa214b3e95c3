"""``python -m bot.sandbox``: the same as ``intake-bot sandbox``."""

from bot.sandbox.cli import sandbox

sandbox(prog_name="intake-bot sandbox")
