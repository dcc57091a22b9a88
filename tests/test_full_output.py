"""The default ``full`` output: one header per prompt, one snippet per place
with the findings there, a per-rule summary, short snippets for huge lines, and
source text printed as it is (never read as markup)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _full(cwd: Path, *paths: str) -> str:
    env = {**os.environ, "COLUMNS": "400"}  # wide enough that rich never wraps a row
    proc = subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", *paths], cwd=cwd,
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def test_one_snippet_per_place_under_the_prompt_header(tmp_path: Path) -> None:
    (tmp_path / "p.prompt").write_text("Summarize the notes.\n")
    out = _full(tmp_path, "p.prompt")
    assert out.count("p.prompt\n") == 1  # one header for the prompt
    assert out.count("Summarize the notes.") == 1  # five findings at one place: one snippet
    finding_lines = [line for line in out.splitlines() if line.startswith("  1:1 PL")]
    assert len(finding_lines) >= 4
    summary = [line.split() for line in out.splitlines() if line.strip().startswith(("1  PL", "2  PL"))]
    assert {row[1] for row in summary} >= {"PL001", "PL002"}


def test_huge_line_and_backslashes(tmp_path: Path) -> None:
    (tmp_path / "big.prompt").write_text("word " * 100_000 + "\n")
    out = _full(tmp_path, "big.prompt")
    assert len(out) < 5_000 and "…" in out
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "slash.txt").write_text("Summarize the path C:\\temp\\ [bold]x[/bold] \\\n")
    out = _full(tmp_path, "prompts/slash.txt")
    assert "C:\\temp\\ [bold]x[/bold] \\\n" in out  # shown once, as written, markup-like text included
