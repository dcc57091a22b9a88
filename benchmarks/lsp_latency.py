"""Language-server latency: time from ``didChange`` to ``publishDiagnostics``.

Run: ``python benchmarks/lsp_latency.py [--edits N]``

Generates a 2,000-line Python module holding 20 prompts, starts
``promptlint server`` as a subprocess, opens the file, then sends ``--edits``
changes one at a time (each edits one prompt's text, so the findings really
change) and records the wall time from sending ``didChange`` to receiving the
matching ``publishDiagnostics``. The debounce is set to 0 ms through the
initialization options, so the figure is the server's own work. In the same run
it times the engine's in-process lint of the same buffers
(``promptlint.engine.lint_text``).

Last line: one JSON object with ``p50_ms``, ``p95_ms`` (server), ``engine_ms``
(the in-process lint's p95 over the same buffers) and ``overhead`` (server p95
over engine p95, minus 1; target: at most 0.20).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def build_module(seed: int = 7) -> str:
    """A deterministic ~2,000-line module with 20 prompt constants among ordinary code."""
    rng = random.Random(seed)
    parts = ['"""Generated module for the LSP latency benchmark."""', "import json", "import logging", ""]
    for i in range(20):
        parts.append(f'TICKET_{i}_PROMPT = """You are a support assistant for team {i}.')
        parts.append("Classify the ticket and answer in JSON.")
        parts.append('Ticket: {ticket}')
        parts.append('"""')
        parts.append("")
        for j in range(12):
            parts.append(f"def helper_{i}_{j}(value, scale={rng.randint(1, 9)}):")
            parts.append(f'    """Scale value number {j}."""')
            for k in range(5):
                parts.append(f"    value = value * scale + {rng.randint(0, 99)}  # step {k}")
            parts.append("    return json.dumps({'v': value})")
            parts.append("")
    while len(parts) < 2000:
        parts.append(f"CONSTANT_{len(parts)} = {rng.randint(0, 10_000)}")
    return "\n".join(parts) + "\n"


def engine_times(texts: list[str]) -> list[float]:
    """In-process lint time (ms) of each buffer."""
    from promptlint.config import load_settings
    from promptlint.engine import lint_text

    settings = load_settings(None)
    lint_text("bench.py", texts[0], settings)  # warm imports
    out = []
    for text in texts:
        t0 = time.perf_counter()
        lint_text("bench.py", text, settings)
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def server_times(path: Path, texts: list[str]) -> list[float]:
    """Wall time (ms) from each didChange to its publishDiagnostics."""
    from lsprotocol import types as t
    from pytest_lsp import make_test_lsp_client

    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "promptlint", "server")
    await client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(), root_uri=path.parent.as_uri(),
        initialization_options={"debounce_ms": 0}))
    uri = path.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="python", version=1, text=texts[0])))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    times = []
    for version, text in enumerate(texts[1:], start=2):
        waiter = client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        t0 = time.perf_counter()
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)]))
        await waiter
        times.append((time.perf_counter() - t0) * 1000)
    await client.shutdown_session()
    await client.stop()
    return times


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1): the variance report's definition (nearest rank)."""
    from promptlint.variance import percentile

    return percentile(values, q)


def main() -> None:
    """Run both measurements and print the summary and JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=40)
    args = ap.parse_args()
    base = build_module()
    texts = [base]
    for n in range(args.edits):
        i = n % 20
        texts.append(base.replace("Classify the ticket and answer in JSON.\nTicket",
                                  f"Classify the ticket and answer in JSON (edit {n}).\nTicket", 1)
                     .replace(f"team {i}.", f"team {i}. Never guess an account number.", 1))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.py"
        path.write_text(base)
        server = asyncio.run(server_times(path, texts))
    engine = engine_times(texts[1:])
    # "The server adds at most 20% at p95": compare like with like, the server's
    # p95 against the engine's p95 over the same buffers (its median is printed too).
    out = {"p50_ms": round(pct(server, 0.5), 2), "p95_ms": round(pct(server, 0.95), 2),
           "engine_ms": round(pct(engine, 0.95), 2)}
    out["overhead"] = round(out["p95_ms"] / out["engine_ms"] - 1, 4)
    print(f"{len(base.splitlines())} lines, 20 prompts, {args.edits} edits")
    print(f"server didChange→publishDiagnostics: p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms")
    print(f"engine in-process lint: median {statistics.median(engine):.2f} ms, p95 {out['engine_ms']} ms")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
