"""Wall time of N samples of one long prompt: naive, sequential and batched.

Run: ``python benchmarks/variance_speed.py [--n 8] [--max-tokens 48] [--sentences 36] [--threads T]
[--extra-buffers auto|on|off]``

In one process and one run, with the default model (Gemma 3 270M Q4_K_M) and
``promptlint.backends.llama_batch.sample_many``: a prompt of about 1,000
tokens, built deterministically from numbered sentences (its token count, by
the model's tokenizer, is printed), sampled ``--n`` times (default 8) with
``max_tokens`` 48, temperature 0.8, top-p 0.95, seeds 0..n-1 and no schema:

* ``naive``: a fresh context per sample, the prompt evaluated every time;
* ``sequential``: the prompt evaluated once, the samples decoded one after
  another from its KV cache;
* ``batched``: the prompt evaluated once, all samples decoded together, one
  llama.cpp batch (one token per sequence) per step.

The model is loaded through promptlint's loader (``--extra-buffers``: whether
llama.cpp may repack weights into its extra CPU buffer types; ``auto`` applies
promptlint's CPU policy, off on AMX CPUs) and a 2-token warm-up is run before
anything is timed.
Timings move with the machine's load: compare modes within one run only.
Prints a table (seconds, generated tokens, mean TTFT and TTLT in ms); the last
line is one JSON object with ``naive_s``, ``sequential_s``, ``batched_s``,
``speedup_vs_naive`` and ``speedup_vs_sequential`` (targets: >= 3 and >= 1.5).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TOPICS = ["inputs", "task", "output format", "constraints", "stop condition", "verification step", "examples",
          "audience", "tone", "length limit", "refusal policy", "citation rule"]


def build_prompt(sentences: int) -> str:
    """A deterministic prompt: a heading, ``sentences`` numbered sentences about
    prompt contracts, and an open question to continue from."""
    lines = ["Notes on writing prompt contracts for language models.", ""]
    for i in range(sentences):
        topic = TOPICS[i % len(TOPICS)]
        other = TOPICS[(i * 5 + 3) % len(TOPICS)]
        lines.append(f"{i + 1}. A good prompt states its {topic} plainly, and a reviewer checks the {topic} "
                     f"against the {other} before the prompt ships.")
    lines += ["", "In one paragraph, the most common mistake in these notes is"]
    return "\n".join(lines)


def main() -> None:
    """Parse options, run the three modes, print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--sentences", type=int, default=36, help="prompt length knob (36 gives ~1,000 tokens)")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for every step (default: sample_many's: half the cores for one-token steps, all "
                    "for prefill and batched steps)")
    ap.add_argument("--extra-buffers", choices=("auto", "on", "off"), default="auto")
    ap.add_argument("--model", default=None, help="a GGUF path or packaged model name (default: promptlint's default)")
    args = ap.parse_args()

    from promptlint.backends.llama import resolve_model_path
    from promptlint.backends.loader import extra_buffer_types_policy
    from promptlint.backends.llama_batch import _threads, count_tokens, sample_many

    path = str(resolve_model_path(args.model))
    prompt = build_prompt(args.sentences)
    t0 = time.perf_counter()
    extra = {"auto": None, "on": True, "off": False}[args.extra_buffers]
    extra = extra_buffer_types_policy(extra)[0]
    tokens_in = count_tokens(path, prompt, extra_buffer_types=extra)
    load_s = time.perf_counter() - t0
    sample_many(path, "Warm-up.", 1, max_tokens=2, n_threads=args.threads, extra_buffer_types=extra)
    one, many = _threads(args.threads)
    print(f"model {Path(path).name}, load {load_s:.2f} s, threads {one} (one-token steps) / {many} (prefill, "
          f"batched steps) of {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"prompt: {tokens_in} tokens ({len(prompt)} characters); n={args.n}, max_tokens={args.max_tokens}, "
          f"temperature 0.8, no schema")

    results: dict[str, float] = {}
    rows = []
    for mode in ("naive", "sequential", "batched"):
        start = time.perf_counter()
        gens = sample_many(path, prompt, args.n, max_tokens=args.max_tokens, temperature=0.8, top_p=0.95,
                           seeds=list(range(args.n)), mode=mode, n_threads=args.threads, extra_buffer_types=extra)
        results[mode] = time.perf_counter() - start
        out = sum(g.tokens_out for g in gens)
        rows.append((mode, results[mode], out, sum(g.ttft_ms for g in gens) / len(gens),
                     sum(g.ttlt_ms for g in gens) / len(gens), len({g.text for g in gens})))

    print(f"{'mode':<11} {'wall_s':>8} {'tokens_out':>10} {'tok/s':>7} {'mean_ttft_ms':>12} {'mean_ttlt_ms':>12} "
          f"{'distinct':>8}")
    for mode, wall, out, ttft, ttlt, distinct in rows:
        print(f"{mode:<11} {wall:>8.2f} {out:>10d} {out / wall:>7.1f} {ttft:>12.0f} {ttlt:>12.0f} {distinct:>8d}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    summary = {
        "naive_s": round(results["naive"], 2),
        "sequential_s": round(results["sequential"], 2),
        "batched_s": round(results["batched"], 2),
        "speedup_vs_naive": round(results["naive"] / results["batched"], 2),
        "speedup_vs_sequential": round(results["sequential"] / results["batched"], 2),
        "extra_buffer_types": extra,
        "prompt_tokens": tokens_in,
        "n": args.n,
        "max_tokens": args.max_tokens,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
