"""`intake-bot check` (bot/selfcheck.py), the image's build-time check: it passes on a complete
install and fails, naming the import that broke, when a runtime dependency is missing, even one
that, like SQLAlchemy's asyncio extension without greenlet, fails only at its first import.
(tests/deploy/test_production_install.py runs it in real production installs.)"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from bot import selfcheck

ROOT = Path(__file__).resolve().parents[2]


def check(*, missing: str | None = None) -> subprocess.CompletedProcess[str]:
    """`intake-bot check` in a new interpreter, ``missing`` made unimportable."""
    block = f"sys.modules[{missing!r}] = None; " if missing else ""
    code = f"import sys; {block}from bot.cli import main; main(['check'])"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_check_passes_on_a_complete_install() -> None:
    done = check()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: imported"), done.stdout
    assert "request types" in done.stdout and "migrations up to" in done.stdout


def test_check_fails_without_greenlet_and_shows_where() -> None:
    done = check(missing="greenlet")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "intake-bot check failed" in done.stderr
    assert "import bot.app: ImportError" in done.stderr, done.stderr
    assert "'greenlet' library is installed" in done.stderr, done.stderr
    assert "bot/oauth.py" in done.stderr, "the chain of imports that led there"


def test_check_walks_every_package_the_wheel_ships() -> None:
    """A top-level package added to the wheel (pyproject.toml) is imported by the check too."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert sorted(selfcheck.PACKAGES) == sorted(shipped)
    assert sorted(pyproject["tool"]["mypy"]["packages"]) == sorted(shipped)
