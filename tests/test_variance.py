"""promptlint variance: output checks, structures, metrics, safe rendering, the
sample cache (scripted backend), and the real default model end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from promptlint.backends import Generation
from promptlint.config import load_settings
from promptlint.contracts import load_contracts
from promptlint.render import render_prompt, render_text
from promptlint.sample_cache import SampleCache
from promptlint.variance import build_report, evaluate_contract, report_schema

REPO = Path(__file__).resolve().parents[1]
VARIANCE = REPO / "fixtures" / "variance"


class Scripted:
    """Returns scripted outputs in order, counting the samples it produced."""

    name = "scripted"
    model_id = "scripted-model"

    def __init__(self, outputs: list[str], finish: list[str] | None = None) -> None:
        self.outputs, self.finish = outputs, finish or ["stop"] * len(outputs)
        self.calls = 0
        self.prompts: list[str] = []

    def sample(self, prompt, seeds, *, max_tokens, temperature, top_p):  # noqa: ANN001, ANN201
        self.prompts.append(prompt)
        out = []
        for _ in seeds:
            i = self.calls
            self.calls += 1
            out.append(Generation(self.outputs[i % len(self.outputs)], 50, 10, self.finish[i % len(self.finish)],
                                  10.0 + i, 100.0 + 10 * i, self.model_id))
        return out


def _contract(tmp_path: Path, body: str, prompt: str = "Task: triage {{ticket}}.\nOutput: JSON like "
              '{"category": "bug", "urgency": 2}.\n', name: str = "t") -> Path:
    (tmp_path / f"{name}.md").write_text(prompt)
    (tmp_path / f"{name}.contract.yaml").write_text(body)
    return tmp_path / f"{name}.contract.yaml"


JSON_CONTRACT = """output:
  format: json
  schema:
    type: object
    required: [category, urgency]
    properties: {category: {type: string}, urgency: {type: integer}}
sampling: {temperature: 0.8, seed: 1, samples: 5}
fixtures: [{name: a, vars: {ticket: "It crashes."}}]
"""


def test_wrapped_output_is_a_structure_change_not_invalid_json(tmp_path) -> None:  # noqa: ANN001
    (lc,) = load_contracts(str(_contract(tmp_path, JSON_CONTRACT)))
    good = '{"category": "bug", "urgency": 2}'
    outputs = [good, good, '{"ticket": {"category": "bug", "urgency": 2}}', good, good]
    rep = evaluate_contract(lc, load_settings(None), Scripted(outputs), cache=None)
    m = rep["metrics"]
    assert m["distinct_structures"] == 2 and m["modal_share"] == 0.8
    assert set(m["structures"]) == {"json:{category:str,urgency:int}", "json:{ticket.category:str,ticket.urgency:int}"}
    wrapped = rep["fixtures"][0]["samples"][2]
    assert "not JSON" not in wrapped["failures"] and wrapped["failures"][0].startswith("schema:")
    assert m["pass_rate"] == 0.8 and m["pass_all"] is False
    assert m["field_agreement"] is not None and m["field_agreement"] < 1


def test_fenced_json_and_truncation(tmp_path) -> None:  # noqa: ANN001
    (lc,) = load_contracts(str(_contract(tmp_path, JSON_CONTRACT)))
    outputs = ['```json\n{"category": "bug", "urgency": 2}\n```', '{"category": "bug", "urg']
    rep = evaluate_contract(lc, load_settings(None), Scripted(outputs, ["stop", "length"]), samples=2)
    s0, s1 = rep["fixtures"][0]["samples"]
    assert s0["structure"] == "json(fenced):{category:str,urgency:int}" and s0["passed"]
    assert s1["failures"][0].startswith("truncated") and not s1["passed"]
    assert "not JSON" in s1["failures"]  # cut JSON is reported, never repaired


def test_fixture_values_render_byte_for_byte() -> None:
    nasty = "{# not a comment #} {{ not a tag }} {% if x %} <b>&amp; 100% {x} {{{y}}}"
    assert nasty in render_text("Q: {{ q }}", "jinja", {"q": nasty})
    assert nasty in render_text("Q: {q}", "format", {"q": nasty})
    assert nasty in render_text("Q: {{q}}", "mustache", {"q": nasty})
    assert nasty in render_text("Q: %(q)s", "percent", {"q": nasty})
    (lc,) = load_contracts(str(VARIANCE / "answer_with_sources.contract.yaml"))
    from promptlint.extract import extract

    text = (VARIANCE / "answer_with_sources.j2").read_text()
    (prompt,) = extract("answer_with_sources.j2", text, "text", load_settings(None)).prompts
    from promptlint.contracts import fixture_vars

    (_, values), = fixture_vars(lc)
    rendered = render_prompt(prompt, values)
    assert "Template syntax in data: {# not a comment #} {{ not a tag }} <b>" in rendered


def test_sandbox_blocks_unsafe_templates() -> None:
    from promptlint.render import RenderError

    with pytest.raises(RenderError):
        render_text("{{ x.__class__.__mro__ }}", "jinja", {"x": 1})
    with pytest.raises(RenderError):
        render_text("{{ missing }}", "jinja", {})


def test_cache_reads_distinct_samples_and_edits_miss(tmp_path) -> None:  # noqa: ANN001
    path = _contract(tmp_path, JSON_CONTRACT)
    (lc,) = load_contracts(str(path))
    cache = SampleCache(tmp_path / "c.sqlite")
    outputs = [f'{{"category": "c{i}", "urgency": {i}}}' for i in range(5)]
    first = Scripted(outputs)
    rep1 = evaluate_contract(lc, load_settings(None), first, samples=5, cache=cache)
    assert first.calls == 5 and not any(s["cached"] for s in rep1["fixtures"][0]["samples"])
    warm = Scripted(["unused"])
    rep2 = evaluate_contract(lc, load_settings(None), warm, samples=5, cache=cache)
    samples = rep2["fixtures"][0]["samples"]
    assert warm.calls == 0 and all(s["cached"] for s in samples)
    assert [s["text"] for s in samples] == outputs  # five distinct samples, not one repeated
    assert rep2["metrics"]["ttlt_ms"] is None  # cached samples stay out of latency figures
    # One character changed in the prompt: every key misses.
    (tmp_path / "t.md").write_text((tmp_path / "t.md").read_text().replace("triage", "triagE"))
    edited = Scripted(outputs)
    evaluate_contract(lc, load_settings(None), edited, samples=5, cache=cache)
    assert edited.calls == 5
    # --refresh samples again even with a warm cache.
    again = Scripted(outputs)
    evaluate_contract(lc, load_settings(None), again, samples=5, cache=cache, refresh=True)
    assert again.calls == 5


def test_report_validates_against_published_schema(tmp_path) -> None:  # noqa: ANN001
    from jsonschema import Draft202012Validator

    shipped = json.loads((REPO / "promptlint" / "schemas" / "variance-report.schema.json").read_text())
    assert shipped == report_schema()
    (lc,) = load_contracts(str(_contract(tmp_path, JSON_CONTRACT)))
    backend = Scripted(['{"category": "bug", "urgency": 2}'])
    doc = build_report([evaluate_contract(lc, load_settings(None), backend)], backend)
    Draft202012Validator(shipped).validate(doc)


def test_contract_errors_name_file_line_column(tmp_path) -> None:  # noqa: ANN001
    from promptlint.errors import UsageError

    bad = _contract(tmp_path, "output:\n  format: xml\n")
    with pytest.raises(UsageError) as exc:
        load_contracts(str(bad))
    assert (exc.value.line, exc.value.column) == (2, 11) and "xml" in str(exc.value)
    unknown = _contract(tmp_path, "sampling:\n  temprature: 0.5\n", name="u")
    with pytest.raises(UsageError) as exc:
        load_contracts(str(unknown))
    assert exc.value.line == 2 and "temprature" in str(exc.value)


def test_an_unmeasured_field_agreement_says_so(tmp_path) -> None:  # noqa: ANN001
    body = JSON_CONTRACT + "thresholds: {field_agreement: 0.8}\n"
    (lc,) = load_contracts(str(_contract(tmp_path, body)))
    got = evaluate_contract(lc, load_settings(None), Scripted(["not json at all"]))
    assert got["metrics"]["field_agreement"] is None and not got["passed"]
    assert any(v.startswith("field_agreement not measured") and ">= 0.80" in v for v in got["violations"])


def test_cost_per_1000_requests_uses_configured_prices(tmp_path) -> None:  # noqa: ANN001
    (lc,) = load_contracts(str(_contract(tmp_path, JSON_CONTRACT)))
    unpriced = evaluate_contract(lc, load_settings(None), Scripted(['{"category": "bug", "urgency": 2}']))
    assert unpriced["metrics"]["cost"] is None  # no built-in price table
    cfg = tmp_path / "promptlint.toml"
    cfg.write_text('[prices]\ninput = 2.5\noutput = 10\ncurrency = "EUR"\n')
    backend = Scripted(['{"category": "bug", "urgency": 2}'])  # 50 tokens in, 10 out per sample
    got = evaluate_contract(lc, load_settings(None, config=str(cfg)), backend)
    c = got["metrics"]["cost"]
    assert c["currency"] == "EUR" and c["input_per_1000"] == pytest.approx(50 * 2.5 / 1000)
    assert c["per_1000_requests"] == pytest.approx(1000 * (50 * 2.5 + 10 * 10) / 1e6)
    assert got["fixtures"][0]["metrics"]["cost"] == c  # one fixture: the same mean
    build_report([got], backend)  # validates against the report model
    cfg.write_text("[prices]\ninput = -1\noutput = 1\n")
    from promptlint.errors import UsageError

    with pytest.raises(UsageError) as exc:
        load_settings(None, config=str(cfg))
    assert exc.value.line == 2 and "input" in str(exc.value)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):  # noqa: ANN001, ANN201
    pytest.importorskip("llama_cpp")
    work = tmp_path_factory.mktemp("variance")
    shutil.copytree(VARIANCE, work / "variance")
    (work / "promptlint.toml").write_text("[prices]\ninput = 0.15\noutput = 0.6\n")
    env = {**__import__("os").environ, "PROMPTLINT_CACHE_DIR": str(work / "cache")}
    proc = subprocess.run([sys.executable, "-m", "promptlint", "variance", "variance", "--report", "r.json",
                           "--html", "r.html", "--samples", "3"], cwd=work, capture_output=True, text=True, env=env,
                          timeout=900)
    return work, proc, env


def test_real_model_report_holds_every_metric(real_run) -> None:  # noqa: ANN001
    from jsonschema import Draft202012Validator

    work, proc, _ = real_run
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads((work / "r.json").read_text())
    Draft202012Validator(report_schema()).validate(doc)
    assert proc.returncode == (0 if doc["passed"] else 1)
    assert doc["backend"] == "llama" and doc["model"].endswith(".gguf")
    assert sorted(p["prompt_id"] for p in doc["prompts"]) == [
        "variance/answer_with_sources.j2", "variance/app_openai.py::SYSTEM_PROMPT", "variance/ticket_triage.md"]
    for p in doc["prompts"]:
        m = p["metrics"]
        assert m["samples"] == 3 * len(p["fixtures"])
        assert set(m) >= {"pass_rate", "pass_all", "structures", "distinct_structures", "modal_share",
                          "field_agreement", "ttft_ms", "ttlt_ms", "tokens_in", "tokens_out"}
        assert m["ttft_ms"]["p50"] <= m["ttft_ms"]["p95"] <= m["ttft_ms"]["p99"]
        assert m["ttlt_ms"]["p95"] >= m["ttft_ms"]["p95"] and m["tokens_in"]["mean"] > 0
        assert m["tokens_out"]["total"] > 0 and sum(m["structures"].values()) == m["samples"]
        want = 1000 * (m["tokens_in"]["mean"] * 0.15 + m["tokens_out"]["mean"] * 0.6) / 1e6
        assert m["cost"]["per_1000_requests"] == pytest.approx(want, abs=1e-6) and m["cost"]["currency"] == "USD"
    assert "cost / 1k requests" in proc.stdout
    html = (work / "r.html").read_text()
    assert html.count("<svg") >= 6


def test_impossible_threshold_exits_1_and_prints_fallback(real_run) -> None:  # noqa: ANN001
    work, _, env = real_run
    contract = work / "variance" / "ticket_triage.contract.yaml"
    contract.write_text(contract.read_text().replace("ttft_ms_p95: 20000", "ttft_ms_p95: 0.001"))
    proc = subprocess.run([sys.executable, "-m", "promptlint", "variance", "variance/ticket_triage.md",
                           "--samples", "2", "--refresh"], cwd=work, capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ttft_ms p95" in proc.stderr and "fallback: Route the ticket to the rules-based triage queue." in proc.stderr
