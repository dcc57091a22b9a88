"""Rewrite speed with the default model, and promptlint's overhead over raw llama-cpp-python.

Run: ``python benchmarks/rewrite_speed.py [--cases DIR] [--max-tokens N] [--repeats N]``

For each sample prompt (``vague_blurb.txt``, ``run_on_paragraph.txt`` and the
Python cases of ``../shared/cases``), in one process and one run:

* ``load_s``: time to load the default GGUF (once);
* promptlint's generation: ``LlamaBackend.generate`` with the rewrite schema,
  giving TTFT (ms) and tokens/s;
* the same generation through llama-cpp-python directly (same model object,
  same prompt, grammar, seed and token limit), with no promptlint around it;
* ``rewrite_s``: a whole ``rewrite_prompt`` call (one model attempt, the
  invariant checks, the fallback when needed), summed over the cases.

The KV cache is reset before every measured generation so neither side gets a
prefix-cache hit the other does not, and the order of the two sides alternates
between cases. ``overhead`` is promptlint's total generation time over the
direct one, minus 1 (target: under 0.10). The last line of output is one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CASES = HERE.parent.parent / "shared" / "cases"
TARGETS = [("vague_blurb.txt", None), ("run_on_paragraph.txt", None), ("extraction_templates.py", "KEYWORD_TMPL"),
           ("extraction_templates.py", "RECORD_TMPL"), ("chains.py", "qa_prompt"), ("chains.py", "grader"),
           ("app_openai.py", "SYSTEM_PROMPT")]


def direct_generation(llm, prompt: str, schema: dict, max_tokens: int, seed: int) -> tuple[float, float, int]:  # noqa: ANN001
    """Generate with llama-cpp-python alone; returns ``(ttft_s, total_s, pieces)``."""
    from llama_cpp import LlamaGrammar

    grammar = LlamaGrammar.from_json_schema(json.dumps(schema, sort_keys=True), verbose=False)
    llm.reset()
    start = time.perf_counter()
    first = None
    pieces = 0
    for chunk in llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.3, seed=seed, stream=True,
                                       grammar=grammar):
        if first is None:
            first = time.perf_counter()
        if chunk["choices"][0].get("text"):
            pieces += 1
    end = time.perf_counter()
    return (first or end) - start, end - start, pieces


def main() -> None:
    """Parse options, run the measurements, print a table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    ap.add_argument("--max-tokens", type=int, default=160)
    ap.add_argument("--repeats", type=int, default=1, help="measured generations per side and case")
    args = ap.parse_args()

    from promptlint.backends.llama import LlamaBackend
    from promptlint.config import load_settings
    from promptlint.extract import kind_for_path
    from promptlint.rewrite import REWRITE_SCHEMA, model_prompt, rewrite_prompt, select_prompts

    settings = load_settings(None)
    t0 = time.perf_counter()
    backend = LlamaBackend(n_ctx=2048, seed=0)
    llm = backend.llm  # the model loads on first use
    load_s = time.perf_counter() - t0

    ours_s = direct_s = 0.0
    ttfts: list[float] = []
    tokens = 0
    gen_s = 0.0
    rewrite_s = 0.0
    rows = []
    for i, (name, pid) in enumerate(TARGETS):
        path = args.cases / name
        text = path.read_text()
        kind = kind_for_path(name)
        (prompt,) = select_prompts(name, text, kind, settings, pid)
        request = model_prompt(prompt.main.text, [])
        for r in range(args.repeats):
            seed = 100 + i * 10 + r

            def ours() -> float:
                llm.reset()
                g = backend.generate(request, max_tokens=args.max_tokens, temperature=0.3, seed=seed,
                                     schema=REWRITE_SCHEMA)
                nonlocal tokens, gen_s
                ttfts.append(g.ttft_ms)
                tokens += g.tokens_out
                gen_s += g.ttlt_ms / 1000
                return g.ttlt_ms / 1000

            def direct() -> float:
                return direct_generation(llm, request, REWRITE_SCHEMA, args.max_tokens, seed)[1]

            if (i + r) % 2 == 0:
                a, b = ours(), direct()
            else:
                b, a = direct(), ours()
            ours_s += a
            direct_s += b
        llm.reset()
        t = time.perf_counter()
        result = rewrite_prompt(prompt, name, text, kind, settings, backend, max_attempts=1, seed=7,
                                max_tokens=args.max_tokens)
        rewrite_s += time.perf_counter() - t
        rows.append((prompt.id, result.source, a, b))

    print(f"{'prompt':45} {'source':9} {'promptlint s':>12} {'direct s':>9}")
    for pid, source, a, b in rows:
        print(f"{pid:45} {source:9} {a:12.2f} {b:9.2f}")
    ttfts.sort()
    out = {
        "load_s": round(load_s, 3),
        "ttft_ms": round(ttfts[len(ttfts) // 2], 1),
        "tokens_per_s": round(tokens / gen_s, 2) if gen_s else 0.0,
        "rewrite_s": round(rewrite_s, 3),
        "direct_s": round(direct_s, 3),
        "overhead": round(ours_s / direct_s - 1, 4) if direct_s else None,
    }
    print(f"model load {out['load_s']} s; median TTFT {out['ttft_ms']} ms; {out['tokens_per_s']} tokens/s; "
          f"whole rewrites {out['rewrite_s']} s; generation promptlint {ours_s:.2f} s vs direct {direct_s:.2f} s")
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
