"""One switch for tests that need a service this machine may lack (PostgreSQL, Chromium).

By default such a test is skipped with the reason. With ``INTAKE_TEST_STRICT=1`` (``.ci/run``
sets it) or ``CI=true`` it fails instead: CI must not pass by skipping them.
"""

from __future__ import annotations

import os

import pytest

STRICT_ENV = "INTAKE_TEST_STRICT"


def strict() -> bool:
    """Whether a missing service fails the tests that need it rather than skipping them."""
    return (
        os.environ.get(STRICT_ENV, "").strip() == "1"
        or os.environ.get("CI", "").strip().lower() == "true"
    )


def unavailable(reason: str) -> None:
    """Skip the test for ``reason`` or, when ``strict()``, fail it."""
    if strict():
        pytest.fail(
            f"{reason}. This test is required here ({STRICT_ENV}=1 or CI=true) and must not "
            "be skipped.",
            pytrace=False,
        )
    pytest.skip(reason)
