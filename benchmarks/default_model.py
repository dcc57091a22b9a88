"""Compare the small GGUF models that PyPI packages ship, to choose promptlint's default.

Run: ``python benchmarks/default_model.py [--samples 4] [--models gemma3-270m smollm2-135m-instruct ...]``

Each model (a name from ``promptlint.backends.llama.PACKAGED_MODELS`` or a GGUF
path) is loaded through promptlint's loader, in this process, one after the
other, and measured the way promptlint uses it:

* ``load_s``: seconds to load the GGUF;
* ``tokens_per_s``: decode speed, generated tokens over (TTLT - TTFT) of one
  unconstrained 64-token answer;
* ``json_valid``: share of variance samples, for the contracts in
  ``fixtures/variance`` whose output format is JSON, that parse as JSON (bare
  or in one code fence) -- sampled with the contract's own settings and no
  grammar, so it measures whether the model follows the prompt;
* ``contract_pass``: share of all variance samples that pass their output
  contract (schema, format, not truncated);
* ``rewrite_pass``: share of the prompts under ``fixtures/examples`` and
  ``fixtures/variance`` whose first model rewrite (``max_attempts=1``, under
  the JSON-schema grammar) passes every rewrite invariant (the fallback is
  not counted).

A chat model's prompts go through its chat template, a base model completes
them as written (``LlamaBackend.chat``). Prints a table, then one JSON line per
model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))


def measure(name: str, samples: int) -> dict:
    """All figures for one model (see the module docstring)."""
    from promptlint.backends.llama import LlamaBackend
    from promptlint.config import load_settings
    from promptlint.discover import discover
    from promptlint.extract import extract, kind_for_path
    from promptlint.rewrite import rewrite_prompt
    from promptlint.variance import evaluate_contract, find_contracts, parse_json_output

    backend = LlamaBackend(name, n_ctx=4096, seed=0)
    started = time.perf_counter()
    backend.count_tokens("load")
    load_s = time.perf_counter() - started
    gen = backend.generate("Write a short paragraph about rivers.", max_tokens=64, temperature=0.0)
    decode_s = (gen.ttlt_ms - gen.ttft_ms) / 1000
    tokens_per_s = (gen.tokens_out - 1) / decode_s if decode_s > 0 and gen.tokens_out > 1 else 0.0

    settings = load_settings([str(REPO / "fixtures")])
    json_total = json_ok = total = passed = 0
    variance_s = time.perf_counter()
    for lc in find_contracts([str(REPO / "fixtures" / "variance")], False, settings):
        rep = evaluate_contract(lc, settings, backend, samples=samples, cache=None)
        for fx in rep["fixtures"]:
            for s in fx["samples"]:
                total += 1
                passed += s["passed"]
                if rep["format"] == "json":
                    json_total += 1
                    json_ok += parse_json_output(s["text"]) is not None
    variance_s = time.perf_counter() - variance_s

    rewrites = model_rewrites = 0
    rewrite_s = time.perf_counter()
    for folder in ("fixtures/examples", "fixtures/variance"):
        for path, _ in discover([str(REPO / folder)], settings):
            if path.endswith((".contract.yaml", ".contracts.yaml")):
                continue  # contracts name prompts in other files; those files are rewritten themselves
            text = Path(path).read_text(encoding="utf-8")
            kind = kind_for_path(path)
            for prompt in extract(path, text, kind, settings).prompts:
                result = rewrite_prompt(prompt, path, text, kind, settings, backend, max_attempts=1, seed=3)
                rewrites += 1
                model_rewrites += result.source == "model"
    rewrite_s = time.perf_counter() - rewrite_s
    return {
        "model": backend.model_id, "chat": backend.chat, "size_mb": round(backend.path.stat().st_size / 1e6),
        "load_s": round(load_s, 2), "tokens_per_s": round(tokens_per_s, 1),
        "json_valid": round(json_ok / json_total, 3) if json_total else None, "json_samples": json_total,
        "contract_pass": round(passed / total, 3) if total else None, "samples": total,
        "rewrite_pass": round(model_rewrites / rewrites, 3) if rewrites else None, "rewrites": rewrites,
        "variance_s": round(variance_s, 1), "rewrite_s": round(rewrite_s, 1),
    }


def main() -> None:
    """Parse options, measure every model, print the table and the JSON lines."""
    from promptlint.backends.llama import PACKAGED_MODELS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=4, help="variance samples per fixture")
    ap.add_argument("--models", nargs="+", default=list(PACKAGED_MODELS))
    args = ap.parse_args()
    rows = [measure(m, args.samples) for m in args.models]
    cols = ("model", "chat", "size_mb", "load_s", "tokens_per_s", "json_valid", "contract_pass", "rewrite_pass")
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(str(r[c]) for c in cols))
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
