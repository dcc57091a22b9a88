"""Rewrite with the real default GGUF model through llama-cpp-python (no mock).

The default model is small and weak: these tests never depend on the quality of
its answer. Whether the model's answer passed the invariant checks or the
deterministic fallback produced the result, the result must keep every
placeholder, parse, and pass the structure rules; the report says which path
produced it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import libcst
import pytest

from conftest import CASES
from promptlint.analysis import analyse
from promptlint.config import load_settings
from promptlint.engine import lint_text
from promptlint.extract import extract, kind_for_path
from promptlint.rewrite import rewrite_prompt, select_prompts

pytest.importorskip("llama_cpp", reason="the llama extra is part of the dev install")

TARGETS = [
    ("vague_request.txt", None), ("library_run_on.txt", None),
    ("parsing_templates.py", "TAGS_TMPL"), ("parsing_templates.py", "CONTACT_CARD_TMPL"),
    ("review_chains.py", "summary_prompt"), ("review_chains.py", "sentiment"),
    ("forecast_openai.py", "SYSTEM_PROMPT"),
]
STRUCTURE = {"missing-task", "missing-output-contract", "sections-not-separated"}


@pytest.fixture(scope="module")
def backend():  # noqa: ANN201
    from promptlint.backends import make_backend

    return make_backend("llama", n_ctx=2048, seed=7)


@pytest.mark.parametrize(("filename", "prompt_id"), TARGETS)
def test_rewrite_with_default_model(backend, filename: str, prompt_id: str | None) -> None:  # noqa: ANN001
    settings = load_settings(None)
    text = (CASES / filename).read_text()
    kind = kind_for_path(filename)
    (prompt,) = select_prompts(filename, text, kind, settings, prompt_id)
    before = analyse(prompt, settings.vocabulary).names
    result = rewrite_prompt(prompt, filename, text, kind, settings, backend, max_attempts=1, seed=11,
                            max_tokens=320)
    assert result.source in ("model", "fallback")
    assert len(result.attempts) >= 1 and result.attempts[0].tokens_in > 0
    if result.source == "fallback":
        assert any("deterministic restructure" in c for c in result.changes)
    if kind == "python":
        libcst.parse_module(result.file_after)
    again = [p for p in extract(filename, result.file_after, kind, settings).prompts if p.id == prompt.id]
    assert len(again) == 1
    after = analyse(again[0], settings.vocabulary).names
    assert set(after) == set(before)
    findings = lint_text(filename, result.file_after, settings, kind).findings
    assert not [f.name for f in findings if f.prompt_id == prompt.id and f.name in STRUCTURE]


@pytest.mark.default_rules  # its check selects the rules it means
def test_cli_rewrite_write_with_default_model(tmp_path) -> None:  # noqa: ANN001
    target = tmp_path / "library_run_on.txt"
    shutil.copy(CASES / "library_run_on.txt", target)
    proc = subprocess.run([sys.executable, "-m", "promptlint", "rewrite", "library_run_on.txt", "--write",
                           "--max-attempts", "1", "--n-ctx", "2048"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "attempt 1/1" in proc.stderr
    assert proc.stdout.startswith("# library_run_on.txt: rewritten by ")
    new = target.read_text()
    assert "{catalogue}" in new and "{request}" in new and new != (CASES / "library_run_on.txt").read_text()
    check = subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", "--select",
                            "PL003,PL004,PL007", "library_run_on.txt"], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["library_run_on.txt"]  # no temp file left behind


def test_missing_model_file_is_one_line_exit_2(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "p.txt").write_text("Write a poem.\n")
    proc = subprocess.run([sys.executable, "-m", "promptlint", "rewrite", "p.txt", "--model", "missing.gguf"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "promptlint: error: model file not found: missing.gguf"


def test_prompt_too_long_for_context(backend) -> None:  # noqa: ANN001
    from promptlint.backends import BackendError

    with pytest.raises(BackendError, match="does not fit in the model context"):
        backend.generate("word " * 3000, max_tokens=16)
