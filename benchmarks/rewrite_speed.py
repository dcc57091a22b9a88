"""Rewrite speed with the default model, and promptlint's overhead over raw llama-cpp-python.

Run: ``python benchmarks/rewrite_speed.py [--cases DIR] [--max-tokens N] [--repeats N] [--extra-buffers auto|on|off]``

For each prompt under ``--cases`` (default: the bundled ``fixtures/examples``),
in one process and one run:

* ``load_s``: time to load the default GGUF (once, through promptlint's loader);
* promptlint's generation: ``LlamaBackend.generate`` with the rewrite schema
  (in this process), giving TTFT (ms) and tokens/s;
* the same generation through promptlint's child process
  (``IsolatedBackend``, what ``promptlint rewrite`` and the editor use):
  ``isolation_overhead`` is its total time over the in-process one, minus 1;
* the same request through llama-cpp-python's own ``Llama.create_completion``
  (same GGUF, prompt, schema grammar, seed and token limit) with no promptlint
  around it. ``Llama(...)`` cannot turn off llama.cpp's extra buffer types,
  which crash on AMX CPUs, so this script builds it while
  ``llama_model_default_params`` is wrapped to apply the same setting as
  promptlint's loader. ``overhead`` is promptlint's in-process generation time
  over the direct one, minus 1 (target: under 0.10; promptlint samples under
  the grammar with a top-k prefilter, so it can be negative);
* ``rewrite_s``: whole ``rewrite_prompt`` calls (one model attempt, the
  invariant checks, the fallback when needed), summed over the prompts.

The order of the sides alternates between prompts. The last line of output is
one JSON object, which also records the extra-buffer setting used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CASES = HERE.parent / "fixtures" / "examples"


def direct_llama(path: str, extra_buffer_types: bool, n_ctx: int):  # noqa: ANN201 - llama_cpp.Llama
    """llama-cpp-python's ``Llama`` for ``path``, loaded with llama.cpp's extra
    buffer types on or off (see the module docstring)."""
    import llama_cpp.llama_cpp as low
    from llama_cpp import Llama

    original = low.llama_model_default_params

    def params():  # noqa: ANN202
        p = original()
        p.use_extra_bufts = extra_buffer_types
        return p

    low.llama_model_default_params = params
    try:
        return Llama(model_path=path, n_ctx=n_ctx, n_gpu_layers=0, seed=0, verbose=False)
    finally:
        low.llama_model_default_params = original


def direct_generation(llm, prompt: str, schema: dict, max_tokens: int, seed: int) -> tuple[float, float, int]:  # noqa: ANN001
    """Generate with llama-cpp-python alone; returns ``(ttft_s, total_s, pieces)``."""
    from llama_cpp import LlamaGrammar

    grammar = LlamaGrammar.from_json_schema(json.dumps(schema, sort_keys=True), verbose=False)
    llm.reset()  # no prefix-cache hit the other sides do not get
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
    ap.add_argument("--repeats", type=int, default=1, help="measured generations per side and prompt")
    ap.add_argument("--extra-buffers", choices=("auto", "on", "off"), default="auto",
                    help="llama.cpp's extra (repacking) buffer types: auto applies promptlint's CPU policy")
    args = ap.parse_args()

    sys.path.insert(0, str(HERE.parent))
    from promptlint.backends.isolated import IsolatedBackend
    from promptlint.backends.llama import LlamaBackend
    from promptlint.config import load_settings
    from promptlint.discover import discover
    from promptlint.extract import extract, kind_for_path
    from promptlint.rewrite import REWRITE_SCHEMA, model_prompt, rewrite_prompt

    extra = {"auto": None, "on": True, "off": False}[args.extra_buffers]
    settings = load_settings([str(args.cases)])
    t0 = time.perf_counter()
    backend = LlamaBackend(n_ctx=2048, seed=0, extra_buffer_types=extra)
    backend.count_tokens("warm")  # the model loads on first use
    load_s = time.perf_counter() - t0
    isolated = IsolatedBackend("promptlint.backends.llama:LlamaBackend",
                               dict(n_ctx=2048, seed=0, extra_buffer_types=extra))
    isolated.count_tokens("warm")
    llm = direct_llama(str(backend.path), backend.extra_buffer_types, 2048)

    targets = []
    for path, _ in discover([str(args.cases)], settings):
        text = Path(path).read_text(encoding="utf-8")
        for prompt in extract(path, text, kind_for_path(path), settings).prompts:
            targets.append((path, text, prompt))

    ours_s = direct_s = isolated_s = 0.0
    ttfts: list[float] = []
    tokens = 0
    gen_s = 0.0
    rewrite_s = 0.0
    rows = []
    for i, (path, text, prompt) in enumerate(targets):
        request = model_prompt(prompt.main.text, [])
        for r in range(args.repeats):
            seed = 100 + i * 10 + r

            def ours() -> float:
                g = backend.generate(request, max_tokens=args.max_tokens, temperature=0.3, seed=seed,
                                     schema=REWRITE_SCHEMA)
                nonlocal tokens, gen_s
                ttfts.append(g.ttft_ms)
                tokens += g.tokens_out
                gen_s += g.ttlt_ms / 1000
                return g.ttlt_ms / 1000

            def child() -> float:
                start = time.perf_counter()
                isolated.generate(request, max_tokens=args.max_tokens, temperature=0.3, seed=seed,
                                  schema=REWRITE_SCHEMA)
                return time.perf_counter() - start

            def direct() -> float:
                return direct_generation(llm, request, REWRITE_SCHEMA, args.max_tokens, seed)[1]

            if (i + r) % 2 == 0:
                a, c, b = ours(), child(), direct()
            else:
                b, c, a = direct(), child(), ours()
            ours_s += a
            direct_s += b
            isolated_s += c
        t = time.perf_counter()
        kind = kind_for_path(path)
        result = rewrite_prompt(prompt, path, text, kind, settings, backend, max_attempts=1, seed=7,
                                max_tokens=args.max_tokens)
        rewrite_s += time.perf_counter() - t
        rows.append((prompt.id, result.source, a, c, b))

    print(f"{'prompt':60} {'source':9} {'promptlint s':>12} {'child s':>8} {'direct s':>9}")
    for pid, source, a, c, b in rows:
        print(f"{pid:60} {source:9} {a:12.2f} {c:8.2f} {b:9.2f}")
    ttfts.sort()
    out = {
        "extra_buffer_types": backend.extra_buffer_types,
        "load_s": round(load_s, 3),
        "ttft_ms": round(ttfts[len(ttfts) // 2], 1),
        "tokens_per_s": round(tokens / gen_s, 2) if gen_s else 0.0,
        "rewrite_s": round(rewrite_s, 3),
        "promptlint_s": round(ours_s, 3),
        "isolated_s": round(isolated_s, 3),
        "direct_s": round(direct_s, 3),
        "overhead": round(ours_s / direct_s - 1, 4) if direct_s else None,
        "isolation_overhead": round(isolated_s / ours_s - 1, 4) if ours_s else None,
        "model_sources": dict(__import__("collections").Counter(r[1] for r in rows)),
    }
    print(f"model load {out['load_s']} s; median TTFT {out['ttft_ms']} ms; {out['tokens_per_s']} tokens/s; "
          f"whole rewrites {out['rewrite_s']} s; generation promptlint {ours_s:.2f} s, in its child process "
          f"{isolated_s:.2f} s, llama-cpp-python directly {direct_s:.2f} s")
    isolated.close()
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
