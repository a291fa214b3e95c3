"""Prometheus label values that come from outside (Slack's error codes, LLM purposes, event
types) are kept to one shape, so a stranger cannot fill the registry with new series."""

from __future__ import annotations

import re
from typing import Final

LABEL_SHAPE: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def safe_label(value: str, fallback: str = "other") -> str:
    """``value`` when it has the shape of a label, else ``fallback``."""
    return value if LABEL_SHAPE.match(value) else fallback
