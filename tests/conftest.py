"""Shared test helpers: where the sample cases live, and in-process lint helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CASES = Path(os.environ.get("PROMPTLINT_CASES", REPO.parent / "shared" / "cases"))


@pytest.fixture
def cases_dir(monkeypatch) -> Path:  # noqa: ANN001
    """The shared sample cases, as the working directory."""
    if not CASES.is_dir():
        pytest.fail(f"sample cases not found at {CASES} (set PROMPTLINT_CASES)")
    monkeypatch.chdir(CASES)
    return CASES


def lint(path: str, text: str | None = None, **select):  # noqa: ANN201
    """Lint one file (or ``text`` as if it were that file) with default settings."""
    from promptlint.config import load_settings
    from promptlint.engine import lint_file, lint_text
    from promptlint.extract import kind_for_path

    settings = load_settings([path] if text is None else None, **select)
    if text is None:
        return lint_file(path, kind_for_path(path), settings)
    return lint_text(path, text, settings)
