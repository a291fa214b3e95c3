"""The code stays typed and tidy: strict mypy and ruff run as part of the test suite, so a
change that breaks either fails `./dev test` (and CI) like a failing test, and no Python file
grows past 400 lines without saying why at its top. The layering is checked by import-linter
(tests/test_layers.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

MAX_LINES = 400
REASON = "Over 400 lines:"


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


def tracked_python_files() -> list[str]:
    listed = run("git", "ls-files", "*.py")
    assert listed.returncode == 0, listed.stderr
    return [name for name in listed.stdout.splitlines() if (ROOT / name).is_file()]


def test_no_file_is_over_400_lines_without_a_reason_at_its_top() -> None:
    """A long module says why at the top of its docstring ("Over 400 lines: ..."); otherwise
    split it into modules whose names say what they hold."""
    unexplained = []
    for name in tracked_python_files():
        text = (ROOT / name).read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines <= MAX_LINES:
            continue
        docstring = ast.get_docstring(ast.parse(text), clean=True) or ""
        if not docstring.startswith(REASON) or len(docstring) <= len(REASON) + 10:
            unexplained.append(f"{name} ({lines} lines)")
    assert unexplained == [], (
        f"over {MAX_LINES} lines with no '{REASON} <why>' opening the module docstring: split "
        f"them, or say why: {unexplained}"
    )
