"""``promptlint variance``: sample a prompt N times per fixture and check every
output against its contract.

For each contract: render each fixture safely (:mod:`promptlint.render`),
sample N outputs (the llama backend evaluates the shared prompt once and decodes
the N sequences in one batch, :mod:`promptlint.backends.llama_batch`), check
each output (JSON Schema, format checks, ``finish_reason == "length"`` is
"truncated", a sample slower than 4× the TTLT target is "runaway"), and compute
per fixture and per prompt: pass rate and pass^N, distinct output structures
and the modal structure's share, field-level agreement of JSON values, TTFT and
TTLT p50/p95/p99 (ms; cached samples left out), tokens in/out and, when the
config sets ``[tool.promptlint.prices]``, the cost of 1,000 such requests
(:func:`cost`; no price table is built in). The contract's
thresholds and latency targets decide pass/fail. The report's JSON shape is
:class:`VarianceReport` (its schema: :func:`report_schema`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Callable, Literal

from pydantic import BaseModel

from . import __version__
from .backends import Generation
from .backends.isolated import BackendCrashed
from .contracts import LoadedContract, fixture_vars
from .errors import UsageError

# --- output checks -------------------------------------------------------------

_FENCE = re.compile(r"\A\s*```[ \t]*(?:json)?[ \t]*\n(.*?)\n?```\s*\Z", re.S | re.I)


def parse_json_output(text: str) -> tuple[Any, bool] | None:
    """Parse an output as JSON, bare or inside one code fence.

    Returns ``(value, fenced)`` or ``None`` when it is not JSON.
    """
    m = _FENCE.match(text)
    body, fenced = (m.group(1), True) if m else (text, False)
    try:
        return json.loads(body), fenced
    except (json.JSONDecodeError, RecursionError):
        return None


def _shape(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        out = []
        for k in sorted(value):
            out += _shape(value[k], f"{prefix}.{k}" if prefix else str(k))
        return out or [f"{prefix or '$'}:{{}}"]
    if isinstance(value, list):
        inner = sorted({s for item in value for s in _shape(item, prefix + "[]")})
        return inner or [f"{prefix}[]:empty"]
    kind = {bool: "bool", int: "int", float: "num", str: "str", type(None): "null"}.get(type(value), "other")
    return [f"{prefix or '$'}:{kind}"]


def _blocks(text: str) -> str:
    kinds: list[str] = []
    in_code = False
    for para in re.split(r"\n\s*\n", text.strip()):
        first = para.lstrip().split("\n", 1)[0]
        if first.startswith("```") or in_code:
            kind = "code"
            in_code = para.count("```") % 2 == 1 if not in_code else para.count("```") % 2 == 0
        elif first.startswith("#"):
            kind = "heading"
        elif re.match(r"\s*(?:[-*+•]|\d+[.)])\s", first):
            kind = "list"
        elif first.lstrip().startswith(("{", "[")):
            kind = "json-like"
        else:
            kind = "paragraph"
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
    return ",".join(kinds) or "empty"


def structure_of(text: str, fmt: str) -> tuple[str, Any]:
    """The output's structure signature and, for JSON, its parsed value.

    JSON: the set of key paths with value types, and whether it came bare or in
    a code fence (``json:{a:str,b.c:int}`` / ``json(fenced):…``). Text: the
    sequence of block kinds (``text:heading,list``).
    """
    if fmt == "json":
        parsed = parse_json_output(text)
        if parsed is None:
            return "text:" + _blocks(text), None
        value, fenced = parsed
        return f"json{'(fenced)' if fenced else ''}:{{{','.join(_shape(value))}}}", value
    return "text:" + _blocks(text), None


def check_output(gen: Generation, lc: LoadedContract) -> tuple[list[str], str, Any]:
    """Failures of one sample against the contract, its structure signature and
    parsed JSON value (``None`` unless the format is JSON and it parsed)."""
    out = lc.contract.output
    failures: list[str] = []
    if gen.finish_reason == "length":
        failures.append(f"truncated: stopped at the {out.max_tokens}-token limit")
    lat = lc.contract.latency
    if lat and lat.ttlt_ms_p95 and gen.ttlt_ms and gen.ttlt_ms > 4 * lat.ttlt_ms_p95:
        failures.append(f"runaway: {gen.ttlt_ms:.0f} ms, over 4x the TTLT target")
    structure, value = structure_of(gen.text, out.format)
    text = gen.text.strip()
    if out.format == "json":
        if value is None and parse_json_output(gen.text) is None:
            failures.append("not JSON")
        elif lc.schema is not None:
            from jsonschema import validators

            validator = validators.validator_for(lc.schema)(lc.schema)
            errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
            if errors:
                where = "/".join(str(p) for p in errors[0].absolute_path) or "$"
                failures.append(f"schema: at {where}: {errors[0].message}")
    elif out.format == "text":
        if not text:
            failures.append("empty output")
    elif out.format == "markdown-list":
        lines = [ln for ln in text.splitlines() if ln.strip()]
        bad = [ln for ln in lines if not re.match(r"\s*(?:[-*+]|\d+[.)])\s+\S", ln)]
        if not lines or bad:
            failures.append("not a Markdown list" + (f": {bad[0][:60]!r}" if bad else " (empty)"))
    elif out.format == "one-sentence":
        ends = re.findall(r"[.!?](?:\s|$)", text)
        if not text or "\n" in text or len(ends) > 1:
            failures.append("not exactly one sentence")
    elif out.format == "regex":
        if out.pattern is None or not re.fullmatch(out.pattern, text, re.S):
            failures.append(f"does not match /{out.pattern}/")
    return failures, structure, value


# --- metrics -------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) by the nearest-rank method."""
    s = sorted(values)
    import math

    rank = max(1, math.ceil(q * len(s)))
    return s[rank - 1]


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix or "$": json.dumps(value, sort_keys=True)}


def field_agreement(values: list[Any]) -> float | None:
    """Mean, over JSON field paths, of the share of outputs that hold the most
    common value at that path (a missing field counts as disagreement).
    ``None`` with fewer than two parsed outputs."""
    if len(values) < 2:
        return None
    flats = [_flatten(v) for v in values]
    paths = sorted({p for f in flats for p in f})
    if not paths:
        return None
    shares = []
    for p in paths:
        counts = Counter(f.get(p, "\0missing") for f in flats)
        shares.append(counts.most_common(1)[0][1] / len(flats))
    return round(sum(shares) / len(shares), 4)


def metrics(samples: list["Sample"], values: list[Any] | None = None) -> dict:
    """Metrics over ``samples`` (see the module docstring for their meaning);
    ``values`` are the parsed JSON outputs (for field agreement)."""
    n = len(samples)
    passed = sum(s.passed for s in samples)
    structures = Counter(s.structure for s in samples)
    modal = structures.most_common(1)[0][1] if structures else 0
    live = [s for s in samples if not s.cached and s.ttlt_ms is not None]

    def dist(key: str) -> dict | None:
        vals = [getattr(s, key) for s in live if getattr(s, key) is not None]
        if not vals:
            return None
        return {"p50": round(percentile(vals, 0.5), 2), "p95": round(percentile(vals, 0.95), 2),
                "p99": round(percentile(vals, 0.99), 2)}

    tin = [s.tokens_in for s in samples if s.tokens_in is not None]
    tout = [s.tokens_out for s in samples]
    return {
        "samples": n, "passed": passed, "pass_rate": round(passed / n, 4) if n else 0.0,
        "pass_all": n > 0 and passed == n,
        "structures": dict(structures.most_common()), "distinct_structures": len(structures),
        "modal_share": round(modal / n, 4) if n else 0.0,
        "field_agreement": field_agreement([v for v in (values or []) if v is not None]),
        "ttft_ms": dist("ttft_ms"), "ttlt_ms": dist("ttlt_ms"),
        "tokens_in": {"mean": round(sum(tin) / len(tin), 2) if tin else None, "total": sum(tin) if tin else None},
        "tokens_out": {"mean": round(sum(tout) / len(tout), 2) if tout else 0.0, "total": sum(tout)},
    }


def cost(m: dict, prices: dict | None) -> dict | None:
    """What the mean request of metrics ``m`` costs at ``prices`` (the config's
    ``[tool.promptlint.prices]``: ``input``/``output`` per million tokens,
    ``currency``), scaled to 1,000 requests: ``{currency, input_per_million,
    output_per_million, input_per_1000, output_per_1000, per_1000_requests}``
    (money in ``currency``, rounded to 6 decimals). ``None`` without prices;
    the input part and the total are ``None`` when the backend reported no
    input token counts."""
    if not prices:
        return None
    tin, tout = m["tokens_in"]["mean"], m["tokens_out"]["mean"]
    per_in = None if tin is None else round(1000 * tin * prices["input"] / 1e6, 6)
    per_out = round(1000 * tout * prices["output"] / 1e6, 6)
    return {"currency": prices.get("currency", "USD"), "input_per_million": prices["input"],
            "output_per_million": prices["output"], "input_per_1000": per_in, "output_per_1000": per_out,
            "per_1000_requests": None if per_in is None else round(per_in + per_out, 6)}


# --- report schema ---------------------------------------------------------------


class _Dist(BaseModel):
    p50: float
    p95: float
    p99: float


class _Tokens(BaseModel):
    mean: float | None
    total: int | None


class Cost(BaseModel):
    """The cost of 1,000 requests like the mean sample, at the configured prices (see :func:`cost`)."""

    currency: str
    input_per_million: float
    output_per_million: float
    input_per_1000: float | None
    output_per_1000: float
    per_1000_requests: float | None


class Metrics(BaseModel):
    """Metrics of a set of samples (times in ms, tokens in tokens)."""

    samples: int
    passed: int
    pass_rate: float
    pass_all: bool
    structures: dict[str, int]
    distinct_structures: int
    modal_share: float
    field_agreement: float | None
    ttft_ms: _Dist | None
    ttlt_ms: _Dist | None
    tokens_in: _Tokens
    tokens_out: _Tokens
    cost: Cost | None = None


class Sample(BaseModel):
    """One checked sample (times in ms; ``None`` for cached samples)."""

    index: int
    seed: int
    text: str
    passed: bool
    failures: list[str]
    structure: str
    finish_reason: str
    tokens_in: int | None
    tokens_out: int
    ttft_ms: float | None
    ttlt_ms: float | None
    cached: bool


class FixtureReport(BaseModel):
    """One fixture: its rendered prompt's hash, samples and metrics."""

    name: str
    rendered_sha256: str
    samples: list[Sample]
    metrics: Metrics


class SamplingReport(BaseModel):
    """The sampling settings a prompt's samples were drawn with.

    ``max_tokens`` is the cap per sample (tokens); ``seed_policy`` says how
    each sample's seed was chosen; ``sampling_mode`` is ``batched`` (the
    samples of a fixture decoded together in one llama.cpp batch, so their
    latencies overlap) or ``sequential`` (one request after another).
    """

    temperature: float
    top_p: float
    max_tokens: int
    seed_policy: str
    sampling_mode: Literal["batched", "sequential"]


class PromptReport(BaseModel):
    """One prompt under its contract.

    ``gate`` is ``contract`` when the contract sets thresholds, ``default``
    when it sets none and every sample must pass its output contract
    (``thresholds`` then shows ``pass_rate: 1.0``). ``not_evaluated`` lists
    latency targets that could not be measured (every sample cached);
    ``cached_samples`` counts samples read from the cache (no times).
    """

    prompt_id: str
    contract: str
    format: str
    samples_per_fixture: int
    passed: bool
    violations: list[str]
    fallback: str | None
    gate: Literal["contract", "default"]
    thresholds: dict[str, float | None]
    latency: dict[str, Any] | None
    not_evaluated: list[str]
    cached_samples: int
    sampling: SamplingReport
    metrics: Metrics
    fixtures: list[FixtureReport]


class VarianceReport(BaseModel):
    """The whole ``--report`` JSON document."""

    schema_version: int
    tool: str
    version: str
    backend: str
    model: str
    created: str
    passed: bool
    prompts: list[PromptReport]


def report_schema() -> dict:
    """The JSON Schema of the variance report (generated from :class:`VarianceReport`)."""
    schema = VarianceReport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://promptlint.dev/schemas/variance-report-1.json"
    return schema


# --- the run ---------------------------------------------------------------------


def _sample(backend, prompt: str, seeds: list[int], lc: LoadedContract) -> list[Generation]:  # noqa: ANN001
    s = lc.contract.sampling
    if hasattr(backend, "sample"):
        return backend.sample(prompt, seeds, max_tokens=lc.contract.output.max_tokens, temperature=s.temperature,
                              top_p=s.top_p)
    return [backend.generate(prompt, max_tokens=lc.contract.output.max_tokens, temperature=s.temperature, seed=seed)
            for seed in seeds]


def evaluate_contract(lc: LoadedContract, settings, backend, *, samples: int | None = None, cache=None,  # noqa: ANN001
                      refresh: bool = False, model_identity: str | None = None,
                      advance: Callable[[int], None] | None = None) -> dict:
    """Run one contract and return its :class:`PromptReport` as a dict.

    Raises :class:`UsageError` when the prompt cannot be found or a fixture
    cannot be rendered.
    """
    import hashlib

    from .source import read_source
    from .extract import extract, kind_for_path
    from .render import RenderError, render_prompt
    from .sample_cache import sample_key

    text, problem = read_source(lc.prompt_path)
    if text is None:
        raise UsageError(problem or "cannot read prompt", lc.prompt_path)
    ex = extract(lc.prompt_path, text, kind_for_path(lc.prompt_path), settings)
    name = lc.prompt_id.split("::", 1)[1] if "::" in lc.prompt_id else None
    prompt = next((p for p in ex.prompts if (name is None and p.name is None) or p.name == name
                   or p.id.endswith("::" + (name or "\0"))), None)
    if prompt is None:
        line, col = lc.position("prompt")
        found = ", ".join(p.id for p in ex.prompts) or "none"
        raise UsageError(f"no prompt {lc.prompt_id!r} in {lc.prompt_path} (found: {found})", lc.path, line, col)
    c = lc.contract
    n = samples or c.sampling.samples
    base_seed = c.sampling.seed if c.sampling.seed is not None else 0
    identity = model_identity or backend.model_id
    fixtures = []
    everything: list[Sample] = []
    all_values: list[Any] = []
    for fname, values in fixture_vars(lc):
        try:
            rendered = render_prompt(prompt, values)
        except RenderError as exc:
            line, col = lc.position("fixtures")
            raise UsageError(f"fixture {fname!r}: {exc}", lc.path, line, col) from None
        seeds = [base_seed + i for i in range(n)]
        gens: dict[int, tuple[Generation, bool]] = {}
        keys = [sample_key(backend.name, identity, c.sampling.temperature, c.sampling.top_p, c.output.max_tokens,
                           seeds[i], rendered, i) for i in range(n)]
        if cache is not None and not refresh:
            for i, k in enumerate(keys):
                hit = cache.get(k)
                if hit is not None:
                    gens[i] = (hit, True)
        todo = [i for i in range(n) if i not in gens]
        if advance and len(todo) < n:
            advance(n - len(todo))
        if todo:
            try:
                new = _sample(backend, rendered, [seeds[i] for i in todo], lc)
            except BackendCrashed as exc:
                raise exc.during(f"sampling {prompt.id}") from None
            for i, g in zip(todo, new):
                gens[i] = (g, False)
                if cache is not None:
                    cache.put(keys[i], g)
            if advance:
                advance(len(todo))
        results: list[Sample] = []
        values: list[Any] = []
        for i in range(n):
            g, cached = gens[i]
            failures, structure, value = check_output(g, lc)
            results.append(Sample(index=i, seed=seeds[i], text=g.text, passed=not failures, failures=failures,
                                  structure=structure, finish_reason=g.finish_reason, tokens_in=g.tokens_in,
                                  tokens_out=g.tokens_out, ttft_ms=None if cached else round(g.ttft_ms, 2),
                                  ttlt_ms=None if cached else round(g.ttlt_ms, 2), cached=cached))
            values.append(value)
        everything += results
        all_values += values
        fixtures.append({
            "name": fname, "rendered_sha256": hashlib.sha256(rendered.encode("utf-8", "surrogatepass")).hexdigest(),
            "samples": [r.model_dump() for r in results],
            "metrics": metrics(results, values),
        })
        fixtures[-1]["metrics"]["cost"] = cost(fixtures[-1]["metrics"], getattr(settings, "prices", None))
    overall = metrics(everything, all_values)
    overall["cost"] = cost(overall, getattr(settings, "prices", None))
    violations = []
    t = c.thresholds
    gate = "contract"
    if t.pass_rate is None and t.modal_share is None and t.field_agreement is None:
        # No thresholds: the contract still promises an output shape, so every sample must keep it.
        gate = "default"
        t = t.model_copy(update={"pass_rate": 1.0})
    if t.pass_rate is not None and overall["pass_rate"] < t.pass_rate:
        violations.append(f"pass_rate {overall['pass_rate']:.2f} < {t.pass_rate:.2f}")
    if t.modal_share is not None and overall["modal_share"] < t.modal_share:
        violations.append(f"modal_share {overall['modal_share']:.2f} < {t.modal_share:.2f}")
    if t.field_agreement is not None:
        fa = overall["field_agreement"]
        if fa is None or fa < t.field_agreement:
            violations.append(f"field_agreement {fa:.2f} < {t.field_agreement:.2f}" if fa is not None else
                              f"field_agreement not measured (fewer than two outputs parsed as JSON, or none holds a "
                              f"field), the contract "
                              f"asks for >= {t.field_agreement:.2f}")
    fallback = None
    not_evaluated: list[str] = []
    lat = c.latency
    cached = sum(1 for r in everything if r.cached)
    if lat is not None:
        for key, target in (("ttft_ms", lat.ttft_ms_p95), ("ttlt_ms", lat.ttlt_ms_p95)):
            got = overall[key]
            if target is None:
                continue
            if got is None:
                not_evaluated.append(f"{key} p95 target {target:.0f} ms: every sample came from the cache, so no "
                                     "time was measured (run with --refresh to measure)")
            elif got["p95"] > target:
                violations.append(f"{key} p95 {got['p95']:.0f} ms > target {target:.0f} ms")
                fallback = lat.fallback or "(the contract names no fallback)"
    seed_policy = (f"contract seed {base_seed} + sample index" if c.sampling.seed is not None
                   else "seed 0 + sample index (the contract sets no seed)")
    return {
        "prompt_id": prompt.id, "contract": lc.path, "format": c.output.format, "samples_per_fixture": n,
        "passed": not violations, "violations": violations, "fallback": fallback, "gate": gate,
        "thresholds": t.model_dump(), "latency": lat.model_dump() if lat else None,
        "not_evaluated": not_evaluated, "cached_samples": cached,
        "sampling": {"temperature": c.sampling.temperature, "top_p": c.sampling.top_p,
                     "max_tokens": c.output.max_tokens, "seed_policy": seed_policy,
                     "sampling_mode": getattr(backend, "sampling_mode", "sequential")},
        "metrics": overall, "fixtures": fixtures,
    }


def build_report(prompts: list[dict], backend) -> dict:  # noqa: ANN001
    """The whole report document around per-prompt reports (validated)."""
    report = {
        "schema_version": 1, "tool": "promptlint", "version": __version__, "backend": backend.name,
        "model": backend.model_id, "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "passed": all(p["passed"] for p in prompts), "prompts": prompts,
    }
    VarianceReport.model_validate(report)
    return report


def find_contracts(targets: list[str], all_: bool, settings) -> list[LoadedContract]:  # noqa: ANN001
    """Contracts for CLI targets: contract files, prompt files with a sibling
    contract, ``.prompty`` files, ``PATH::NAME`` ids listed in a contracts file,
    folders (every contract under them), or ``--all`` (every contract under the
    working directory). Raises :class:`UsageError` for a target with no contract."""
    from pathlib import Path

    from .contracts import load_contracts

    def under(folder: Path) -> list[Path]:
        found = [p for p in folder.rglob("*") if p.is_file() and (
            p.name.endswith((".contract.yaml", ".contract.yml", ".contracts.yaml", ".contracts.yml"))
            or p.suffix == ".prompty") and ".promptlint_cache" not in p.parts]
        return sorted(found)

    files: list[Path] = []
    wanted_ids: list[str] = []
    if all_ or not targets:
        files += under(Path("."))
    for t in targets:
        path_part = t.split("::", 1)[0]
        p = Path(path_part)
        if "::" in t:
            wanted_ids.append(t)
            files += under(Path("."))
        elif p.is_dir():
            files += under(p)
        elif p.is_file() and (p.name.endswith((".contract.yaml", ".contract.yml", ".contracts.yaml",
                                               ".contracts.yml")) or p.suffix == ".prompty"):
            files.append(p)
        elif p.is_file():
            sib = [q for q in (p.with_name(p.name.rsplit(".", 1)[0] + ".contract.yaml"),
                               p.with_name(p.name.rsplit(".", 1)[0] + ".contract.yml")) if q.is_file()]
            if not sib:
                raise UsageError("no contract for this prompt (expected NAME.contract.yaml beside it)", t)
            files += sib
        else:
            raise UsageError("no such file, folder or prompt id", t)
    seen: set[str] = set()
    out: list[LoadedContract] = []
    for f in files:
        key = str(f.resolve())
        if key in seen:
            continue
        seen.add(key)
        for lc in load_contracts(str(f)):
            out.append(lc)
    if wanted_ids:
        norm = {w.replace("\\", "/").lstrip("./") for w in wanted_ids}
        out = [lc for lc in out if lc.prompt_id.replace("\\", "/").lstrip("./") in norm
               or f"{Path(lc.prompt_path).as_posix()}::{lc.prompt_id.split('::', 1)[-1]}".lstrip("./") in norm]
        if not out:
            raise UsageError(f"no contract names {', '.join(wanted_ids)}")
    return out
