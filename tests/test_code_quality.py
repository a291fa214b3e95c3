"""The code stays typed and tidy: strict mypy and ruff run as part of the test suite, so a
change that breaks either fails `./dev test` (and CI) like a failing test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_mypy_strict_passes() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_passes() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    formatted = run(str(BIN / "ruff"), "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_layers_import_one_way() -> None:
    """bot -> storage -> intake: the domain knows neither storage nor Slack."""
    offenders = []
    for path in (ROOT / "storage").rglob("*.py"):
        text = path.read_text()
        if re.search(r"^\s*(from|import)\s+(bot|slack_sdk|slack_bolt)\b", text, re.M):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
