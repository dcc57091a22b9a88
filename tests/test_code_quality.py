"""Static checks that catch broken code paths tests may not reach (undefined names,
unused imports, syntax errors), with ruff from the dev extras."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_pyflakes_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.fail("ruff is part of the dev extras and must be installed")
    proc = subprocess.run([ruff, "check", "--no-cache", "--select", "F,E9", "promptlint", "tests", "benchmarks"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
