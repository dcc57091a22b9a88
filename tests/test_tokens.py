"""Token counts: the real tokenizer the llama extra ships (SmolLM2's GGUF
vocabulary through llama.cpp), what is counted, ``promptlint prompts`` and the
``token-budget`` rule's errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="token counts need the llama extra (llama-cpp-python)")

from promptlint.analysis import analyse  # noqa: E402
from promptlint.config import load_settings  # noqa: E402
from promptlint.extract import extract, kind_for_path  # noqa: E402
from promptlint.model import LineIndex  # noqa: E402
from promptlint.tokens import load_tokenizer, prompt_tokens, static_pieces  # noqa: E402


def _analysis(path: str, text: str):  # noqa: ANN202
    settings = load_settings(None)
    (prompt,) = extract(path, text, kind_for_path(path), settings, LineIndex(text)).prompts
    return analyse(prompt, settings.vocabulary), settings


def _oracle(text: str) -> int:
    """The same vocabulary tokenized by llama-cpp-python's high-level ``Llama`` class (no BOS)."""
    import llama_cpp

    from promptlint.backends.llama import default_model_path

    llm = llama_cpp.Llama(str(default_model_path()), vocab_only=True, verbose=False)
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def test_counts_match_llama_cpp_and_leave_out_placeholders_and_logic() -> None:
    a, settings = _analysis("t.py", 'PROMPT = "Summarise {document} for {audience}. Answer in French."\n')
    assert static_pieces(a) == ["Summarise  for . Answer in French."]
    got = prompt_tokens(a, settings)
    assert got["count"] == _oracle("Summarise  for . Answer in French.") > 5
    assert got["placeholders"] == ["document", "audience"] and got["tokenizer"].startswith("smollm2-135m-instruct")
    j, _ = _analysis("list.j2", "{% for item in items %}- {{ item.name | upper }}\n{% endfor %}List the items.\n")
    assert static_pieces(j) == ["- \nList the items.\n"]
    # a conversation: each message counted on its own, summed
    c, _ = _analysis("c.py", 'def f(client, q):\n    return client.chat.completions.create(model="m", messages=[\n'
                             '        {"role": "system", "content": "You are terse. Task: answer the question."},\n'
                             '        {"role": "user", "content": f"Question: {q}"}])\n')
    assert prompt_tokens(c, settings)["count"] == _oracle("You are terse. Task: answer the question.") + _oracle(
        "Question: ")


def test_prompts_lists_tokens_and_names_the_tokenizer(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text('SYSTEM_PROMPT = "You are a support agent. Task: answer {question} briefly."\n')
    run = subprocess.run([sys.executable, "-m", "promptlint", "prompts", "--output-format", "json", "app.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    (p,) = json.loads(run.stdout)
    assert p["tokens"]["count"] == _oracle("You are a support agent. Task: answer  briefly.")
    assert p["tokens"]["placeholders"] == ["question"]
    table = subprocess.run([sys.executable, "-m", "promptlint", "prompts", "app.py"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120, env={"COLUMNS": "200", "PATH": ""})
    assert "tokens: smollm2-135m-instruct (GGUF vocabulary, llama.cpp)" in table.stdout, table.stderr


def test_a_tokenizer_that_cannot_load(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text('SYSTEM_PROMPT = "You are a support agent. Task: answer {question} briefly."\n')
    (tmp_path / "promptlint.toml").write_text('[tokens]\ntokenizer = "missing.gguf"\n')
    # `prompts` still lists the prompts, says why there are no counts
    run = subprocess.run([sys.executable, "-m", "promptlint", "prompts", "--output-format", "json", "app.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "no token counts" in run.stderr and "missing.gguf" in run.stderr
    assert "tokens" not in json.loads(run.stdout)[0]
    # a budget that cannot be checked is a usage error at the config key, not a silent pass
    (tmp_path / "promptlint.toml").write_text('[tokens]\ntokenizer = "missing.gguf"\nbudget = 10\n')
    run = subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", "app.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "promptlint.toml:2:1: cannot load a tokenizer" in run.stderr, run.stderr  # the tokenizer key
    with pytest.raises(Exception) as exc:
        load_tokenizer(str(tmp_path / "app.py"))  # not a GGUF
    assert "cannot load a tokenizer" in str(exc.value)


def test_budgets_are_never_answered_from_a_stale_cache(tmp_path: Path) -> None:
    from promptlint.backends.llama import default_model_path

    (tmp_path / "app.py").write_text('SYSTEM_PROMPT = "You are a support agent. Task: answer {question} briefly."\n')
    (tmp_path / "vocab.gguf").symlink_to(default_model_path())
    (tmp_path / "promptlint.toml").write_text('[tokens]\nbudget = 5\ntokenizer = "vocab.gguf"\n')

    def check() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "promptlint", "check", "--output-format", "concise", "."],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)

    first, again = check(), check()
    assert first.returncode == again.returncode == 1 and "PL308" in again.stdout  # the second run: from the cache
    (tmp_path / "vocab.gguf").unlink()
    gone = check()
    assert gone.returncode == 2 and "promptlint.toml:3:1: cannot load a tokenizer" in gone.stderr, gone.stderr


def test_a_contract_budget_without_a_tokenizer_is_an_error_at_its_key(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "triage.md").write_text("Task: triage the ticket into billing or bug.\n")
    (tmp_path / "prompts" / "triage.contract.yaml").write_text("output: {format: text}\ntoken_budget: 4\n")
    (tmp_path / "promptlint.toml").write_text('[tokens]\ntokenizer = "missing.gguf"\n')
    run = subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", "."], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "internal error" not in run.stderr, run.stderr
    assert "promptlint: error: prompts/triage.contract.yaml:2:15: cannot load a tokenizer" in run.stderr
