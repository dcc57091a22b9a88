"""Engine behaviour: cache keyed by content and settings, parallel runs, fail-closed internal errors."""

from __future__ import annotations

from typer.testing import CliRunner

import promptlint.checks as checks
from promptlint.cli import app
from promptlint.config import load_settings
from promptlint.engine import lint_paths


def _corpus(root, n: int = 70) -> None:  # noqa: ANN001
    (root / "prompts").mkdir()
    for i in range(n):
        (root / "prompts" / f"p{i}.md").write_text(f"Write poem number {i}.\n")


def test_cache_hits_and_invalidation(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _corpus(tmp_path, 5)
    monkeypatch.chdir(tmp_path)
    s = load_settings(["."])
    first = lint_paths(["."], s)
    assert first.cached == 0
    second = lint_paths(["."], s)
    assert second.cached == 5
    assert [f.message for f in second.findings] == [f.message for f in first.findings]
    (tmp_path / "prompts" / "p0.md").write_text("Write a poem. Output: one line.\n")
    third = lint_paths(["."], s)
    assert third.cached == 4
    assert not any(f.name == "missing-output-contract" and f.path == "prompts/p0.md" for f in third.findings)
    other = load_settings(["."], select=["PL003"])
    assert lint_paths(["."], other).cached == 0
    assert (tmp_path / ".promptlint_cache" / ".gitignore").is_file()


def test_parallel_equals_serial(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _corpus(tmp_path, 70)
    monkeypatch.chdir(tmp_path)
    s = load_settings(["."])
    serial = lint_paths(["."], s, use_cache=False, jobs=1)
    parallel = lint_paths(["."], s, use_cache=False, jobs=2)
    key = lambda r: [(f.path, f.code, f.span) for f in r.findings]  # noqa: E731
    assert key(serial) == key(parallel) and len(serial.results) == 70


def test_internal_error_fails_closed(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    (tmp_path / "p.prompt").write_text("Write a poem.\n")
    monkeypatch.chdir(tmp_path)

    def boom(ctx):  # noqa: ANN001, ANN202
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(checks, "get_check", lambda kind: boom)  # the engine looks it up there for every file
    result = CliRunner().invoke(app, ["check", "--no-cache", "p.prompt"])
    assert result.exit_code == 2
    assert "internal error: p.prompt: ZeroDivisionError: boom" in result.output


def test_statistics(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _corpus(tmp_path, 3)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", "--no-cache", "--statistics", "."])
    assert result.exit_code == 1
    assert "    3\tPL004\tmissing-output-contract" in result.output
