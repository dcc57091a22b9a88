"""What ``promptlint variance`` says about how it sampled: effective settings,
sampling mode, cache use, latency targets it could not measure, the default
gate; and one-line errors (bad pattern, corrupt cache, cache folder that is a
file) that come before any model loads. The CLI runs use a real child-process
backend that answers with fixed text (tests/backends/fixed.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from promptlint.config import load_settings
from promptlint.contracts import load_contracts
from promptlint.errors import UsageError
from promptlint.variance import evaluate_contract

from test_variance import JSON_CONTRACT, Scripted, _contract

GOOD = '{"category": "bug", "urgency": 2}'


@pytest.fixture
def env(backend_env) -> dict:  # noqa: ANN001
    return {**backend_env, "FIXED_ANSWER": GOOD}


def _run(cwd: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "promptlint", "variance", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=120)


def test_report_records_effective_sampling_settings(tmp_path) -> None:  # noqa: ANN001
    (lc,) = load_contracts(str(_contract(tmp_path, JSON_CONTRACT.replace("seed: 1,", "seed: 1, top_p: 0.5,"))))
    rep = evaluate_contract(lc, load_settings(None), Scripted([GOOD]))
    assert rep["sampling"] == {"temperature": 0.8, "top_p": 0.5, "max_tokens": 256,
                               "seed_policy": "contract seed 1 + sample index", "sampling_mode": "sequential"}
    assert [s["seed"] for s in rep["fixtures"][0]["samples"]] == [1, 2, 3, 4, 5]


def test_no_thresholds_means_every_sample_must_pass(tmp_path) -> None:  # noqa: ANN001
    (lc,) = load_contracts(str(_contract(tmp_path, JSON_CONTRACT)))
    rep = evaluate_contract(lc, load_settings(None), Scripted(["not json at all"]))
    assert rep["metrics"]["pass_rate"] == 0.0
    assert rep["gate"] == "default" and rep["thresholds"]["pass_rate"] == 1.0
    assert rep["passed"] is False and rep["violations"] == ["pass_rate 0.00 < 1.00"]
    one_bad = evaluate_contract(lc, load_settings(None), Scripted([GOOD, GOOD, "oops", GOOD, GOOD]))
    assert one_bad["passed"] is False
    all_good = evaluate_contract(lc, load_settings(None), Scripted([GOOD]))
    assert all_good["passed"] is True and all_good["gate"] == "default"


def test_cli_cached_run_says_so_and_latency_is_not_evaluated(tmp_path, env) -> None:  # noqa: ANN001
    contract = JSON_CONTRACT + "thresholds: {pass_rate: 0.5}\nlatency: {ttft_ms_p95: 1000}\n"
    _contract(tmp_path, contract)
    first = _run(tmp_path, env, "t.md", "--backend", "fixed:FixedBackend", "--samples", "2", "--report", "a.json")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "sample cache" not in first.stderr
    doc = json.loads((tmp_path / "a.json").read_text())
    (p,) = doc["prompts"]
    assert p["cached_samples"] == 0 and p["not_evaluated"] == [] and p["metrics"]["ttft_ms"]["p95"] == 5.0
    second = _run(tmp_path, env, "t.md", "--backend", "fixed:FixedBackend", "--samples", "2", "--report", "b.json")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "served wholly from the sample cache (2 of 2 samples" in second.stderr
    assert "not evaluated: ttft_ms p95 target 1000 ms" in second.stderr
    (p,) = json.loads((tmp_path / "b.json").read_text())["prompts"]
    assert p["cached_samples"] == 2 and p["metrics"]["ttft_ms"] is None
    assert p["not_evaluated"] and p["not_evaluated"][0].startswith("ttft_ms p95 target 1000 ms")
    partly = _run(tmp_path, env, "t.md", "--backend", "fixed:FixedBackend", "--samples", "3")
    assert "served partly from the sample cache (2 of 3 samples" in partly.stderr


def test_cli_default_gate_is_announced(tmp_path, env) -> None:  # noqa: ANN001
    _contract(tmp_path, JSON_CONTRACT)
    env["FIXED_ANSWER"] = "no json here"
    proc = _run(tmp_path, env, "t.md", "--backend", "fixed:FixedBackend", "--samples", "2", "--no-cache")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the contract sets no thresholds; default gate: every sample must pass" in proc.stderr
    assert "pass_rate 0.00 < 1.00" in proc.stderr


def test_cli_table_is_readable_off_a_terminal(tmp_path, env) -> None:  # noqa: ANN001
    _contract(tmp_path, JSON_CONTRACT, name="a_rather_long_prompt_file_name_for_the_table")
    proc = _run(tmp_path, env, "a_rather_long_prompt_file_name_for_the_table.md", "--backend", "fixed:FixedBackend",
                "--samples", "1", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    row = [line for line in proc.stdout.splitlines() if "a_rather_long_prompt_file_name_for_the_table.md" in line]
    assert len(row) == 1, proc.stdout  # one line per prompt: the id is not folded over several lines
    assert "100%" in row[0] and "pass" in row[0]
    assert "\x1b[" not in proc.stdout  # no colour codes in a log


def test_bad_pattern_is_caught_at_load_with_position(tmp_path, env) -> None:  # noqa: ANN001
    path = _contract(tmp_path, "output:\n  format: regex\n  pattern: '([a-z]+'\n")
    with pytest.raises(UsageError) as exc:
        load_contracts(str(path))
    assert (exc.value.line, exc.value.column) == (3, 12) and "regular expression" in str(exc.value)
    # The CLI stops there, before building the backend (a backend that would crash is never started).
    proc = _run(tmp_path, env, "t.md", "--backend", "crashing:SegfaultBackend", "--no-cache")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"promptlint: error: {path.name}:3:12: output pattern is not a valid regular expression: "
        "missing ), unterminated subpattern at position 0"]


def test_corrupt_cache_is_one_line_with_recovery(tmp_path, env) -> None:  # noqa: ANN001
    _contract(tmp_path, JSON_CONTRACT)
    cache = Path(env["PROMPTLINT_CACHE_DIR"])
    cache.mkdir()
    (cache / "samples.sqlite").write_bytes(b"this is not a database" * 100)
    proc = _run(tmp_path, env, "t.md", "--backend", "fixed:FixedBackend", "--samples", "1")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "sample cache" in line and "is corrupt" in line and "delete that file" in line and "--no-cache" in line
    ok = _run(tmp_path, env, "t.md", "--backend", "fixed:FixedBackend", "--samples", "1", "--no-cache")
    assert ok.returncode == 0, ok.stderr


def test_cache_folder_that_is_a_file(tmp_path, env) -> None:  # noqa: ANN001
    _contract(tmp_path, JSON_CONTRACT)
    Path(env["PROMPTLINT_CACHE_DIR"]).write_text("a file, not a folder")
    proc = _run(tmp_path, env, "t.md", "--backend", "fixed:FixedBackend", "--samples", "1")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "is not a folder" in line and "--no-cache" in line


def test_html_report_shows_sampling_settings_and_gate(tmp_path) -> None:  # noqa: ANN001
    from promptlint.output.variance_html import render_html
    from promptlint.variance import build_report

    (lc,) = load_contracts(str(_contract(tmp_path, JSON_CONTRACT)))
    backend = Scripted([GOOD])
    html = render_html(build_report([evaluate_contract(lc, load_settings(None), backend)], backend))
    assert "sampling <b>sequential</b> · temperature <b>0.8</b> · top_p <b>0.95</b> · max_tokens <b>256</b>" in html
    assert "contract seed 1 + sample index" in html
    assert "default gate, every sample must pass its output contract" in html
