"""--fix / --diff through the real CLI: fixes converge, files are written atomically
and only when they still parse."""

from __future__ import annotations

import pytest

import shutil
from pathlib import Path
import subprocess
import sys

import libcst

import promptlint

from conftest import CASES
from promptlint.config import load_settings
from promptlint.engine import fix_text
from promptlint.source import write_atomic


def _run(cwd, *args):  # noqa: ANN001, ANN202
    return subprocess.run([sys.executable, "-m", "promptlint", *args], cwd=cwd, capture_output=True, text=True)


def test_fix_escapes_braces_and_adds_separator(tmp_path) -> None:  # noqa: ANN001
    shutil.copy(CASES / "parsing_templates.py", tmp_path / "t.py")
    before = (tmp_path / "t.py").read_text()
    proc = _run(tmp_path, "check", "--no-cache", "--fix", "--output-format", "json", "t.py")
    assert proc.returncode == 1, proc.stderr
    after = (tmp_path / "t.py").read_text()
    assert after != before
    libcst.parse_module(after)
    assert '"Use lowercase words only.\\n"' in after
    assert '{{"name": "Dana Reyes", "phone": "+1 555 0100", "company": "Northwind"}}' in after
    assert '"unescaped-brace"' not in proc.stdout and '"concatenation-missing-separator"' not in proc.stdout
    # Only the prompt literals changed: every other line is identical.
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(changed) == 2
    # Fixing again converges: nothing left to change.
    again = _run(tmp_path, "check", "--no-cache", "--fix", "t.py")
    assert (tmp_path / "t.py").read_text() == after
    assert again.returncode == 1


def test_diff_writes_nothing(tmp_path) -> None:  # noqa: ANN001
    shutil.copy(CASES / "review_chains.py", tmp_path / "c.py")
    before = (tmp_path / "c.py").read_text()
    proc = _run(tmp_path, "check", "--no-cache", "--diff", "c.py")
    assert proc.returncode == 1
    assert proc.stdout.startswith("--- a/c.py\n+++ b/c.py\n")
    assert ('+        ("system", "You label the sentiment of product reviews. Return a JSON object such as '
            '{{\\"label\\": \\"positive\\"}}."),') in proc.stdout
    assert (tmp_path / "c.py").read_text() == before


@pytest.mark.default_rules  # it selects its rules itself
def test_unsafe_scaffold_fix_in_markdown(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "promptlint.toml").write_text('structure-rules = "all"\n')
    (tmp_path / "p.prompt.md").write_text("# Task\nSummarise the article.\n")
    proc = _run(tmp_path, "check", "--no-cache", "--fix", "--unsafe-fixes", "--select", "PL004,PL005", "p.prompt.md")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (tmp_path / "p.prompt.md").read_text()
    assert "# Output format\nTODO:" in text and "# Stop condition\nTODO:" in text


def test_fix_that_would_not_parse_is_not_applied(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import promptlint.engine as engine

    src = 'RECORD_TMPL = "Read {invoice}. Return JSON like {\\"total\\": 1}."\n'
    monkeypatch.setattr(engine, "reparses", lambda *a: False)
    settings = load_settings(None, select=["unescaped-brace"])
    outcome = fix_text("t.py", src, "python", settings)
    text, applied, result = outcome.text, outcome.applied, outcome.result
    assert (text, applied) == (src, 0) and outcome.status == "would not parse"
    assert [f.name for f in result.findings] == ["unescaped-brace"]


@pytest.mark.default_rules
def test_write_atomic_refuses_changed_file(tmp_path) -> None:  # noqa: ANN001
    p = tmp_path / "x.txt"
    p.write_text("one")
    try:
        write_atomic(str(p), "two", "something else")
    except RuntimeError as exc:
        assert "changed on disk" in str(exc)
    else:
        raise AssertionError("write_atomic wrote a file that changed since it was read")
    assert p.read_text() == "one"
    write_atomic(str(p), "two", "one")
    assert p.read_text() == "two" and list(tmp_path.iterdir()) == [p]


def test_parse_error_does_not_stop_the_run(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "bad.py").write_text('SYSTEM_PROMPT = "Answer the question.\n')
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "p.md").write_text("Write a poem.\n")
    (tmp_path / "latin1.prompt").write_bytes("Caf\xe9 prompt".encode("latin-1"))
    (tmp_path / "bom.prompt").write_bytes(b"\xef\xbb\xbfWrite a poem.\nCaf\xe9\n")  # a BOM is no column, but a byte
    proc = _run(tmp_path, "check", "--no-cache", "--output-format", "concise", ".")
    assert proc.returncode == 1, proc.stderr
    assert "bad.py:1:17: PL900" in proc.stdout
    assert "latin1.prompt:1:4: PL900" in proc.stdout and "not UTF-8" in proc.stdout  # at the undecodable byte
    assert "bom.prompt:2:4: PL900" in proc.stdout and "(at byte offset 20)" in proc.stdout
    assert "prompts/p.md:1:1: PL003" not in proc.stdout and "prompts/p.md:1:1: PL004" in proc.stdout


def test_prompts_json_shape(cases_dir) -> None:  # noqa: ANN001
    import json

    proc = _run(cases_dir, "prompts", "--no-cache", "--output-format", "json", "translate_request.json",
                "review_chains.py")
    data = json.loads(proc.stdout)
    assert [p["id"] for p in data] == ["translate_request.json", "review_chains.py::summary_prompt",
                                     "review_chains.py::sentiment"]
    for p in data:
        assert set(p) >= {"id", "path", "line", "column", "end_line", "end_column", "syntax", "placeholders",
                          "parts", "separated", "kind", "checks", "composed_of", "composed_into"}
        assert set(p["parts"]) == {"context", "constraints", "task", "output_contract", "stop_condition",
                                   "verification"}
        assert all(set(v) == {"present", "labelled", "line", "evidence"} for v in p["parts"].values())


def test_rule_docs_command() -> None:
    proc = _run(".", "rule", "PL201")
    assert proc.returncode == 0 and "# unescaped-brace (PL201)" in proc.stdout and "## Why" in proc.stdout
    assert _run(".", "rule", "no-such-rule").returncode == 2
    listing = _run(".", "rules").stdout.splitlines()
    assert len(listing) == len(list(Path(promptlint.__file__).parent.joinpath("rules", "core").glob("PL*.yml")))
    assert listing[0].startswith("PL001\tmissing-context")


def test_prompts_table_is_not_folded_when_piped(tmp_path) -> None:  # noqa: ANN001
    """Piped (no terminal), the table gets room: a long prompt id stays on one line."""
    name = "a_module_with_a_rather_long_name_for_its_prompts"
    (tmp_path / f"{name}.py").write_text('SUMMARY_SYSTEM_PROMPT_FOR_THE_WEEKLY_REPORT = "You are a bot. Answer in JSON."\n')
    proc = _run(tmp_path, "prompts", "--no-cache", ".")
    assert proc.returncode == 0, proc.stderr
    assert f"{name}.py::SUMMARY_SYSTEM_PROMPT_FOR_THE_WEEKLY_REPORT" in proc.stdout
