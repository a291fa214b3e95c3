"""Fake OpenAI fixtures (a pytest plugin, registered from tests/conftest.py).

- ``fake_openai``: a started ``FakeOpenAI`` (tests/fakes/openai_api.py) on 127.0.0.1. At
  teardown it is stopped, and the test fails if the fake recorded a violation (a request
  nothing was scripted for, tools offered to the model) unless the test cleared
  ``fake_openai.violations``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.openai_api import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    try:
        yield fake
    finally:
        fake.stop()
    if fake.violations:
        pytest.fail("fake OpenAI API violations:\n  " + "\n  ".join(fake.violations))
