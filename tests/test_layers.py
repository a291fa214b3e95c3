"""The layer contracts hold: bot -> (storage | llm) -> intake, and each package imports only the
outside world it adapts (``[tool.importlinter]`` in pyproject.toml). import-linter runs as part
of the test suite, so an import that breaks a layer fails `./dev test` (and CI) like a test."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_layer_contract_is_kept() -> None:
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_the_contracts_cover_every_shipped_package() -> None:
    """A new top-level package is in the import graph the contracts check, and in a layer."""
    shipped = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    config = PYPROJECT["tool"]["importlinter"]
    assert sorted(config["root_packages"]) == sorted(shipped)
    [layers] = [c for c in config["contracts"] if c["type"] == "layers"]
    layered = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    assert layered == set(shipped)
