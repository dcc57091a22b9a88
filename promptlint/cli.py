"""The ``promptlint`` command line (typer). Thin: parsing options, calling the
engine, rendering, choosing the exit code (0 clean, 1 findings, 2 usage,
config or internal error)."""

from __future__ import annotations

import difflib
import sys
from collections import Counter
from enum import Enum
from typing import List, Optional

import typer
from rich.console import Console

from .errors import UsageError
from .source import read_source, write_atomic

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Lint LLM prompt templates against the prompt contract.")


def _version(value: bool) -> None:
    if value:
        from . import __version__

        sys.stdout.write(f"promptlint {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Lint LLM prompt templates against the prompt contract."""
_err = Console(stderr=True, highlight=False, soft_wrap=True)


class FailOn(str, Enum):
    """Lowest severity that fails a ``check`` run."""

    error = "error"
    warning = "warning"
    info = "info"


#: Severity order for ``--fail-on``: a finding fails the run when its rank is at least the level's.
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


class CheckFormat(str, Enum):
    """Output formats of ``check``."""

    full = "full"
    concise = "concise"
    json = "json"
    sarif = "sarif"
    github = "github"


class PromptsFormat(str, Enum):
    """Output formats of ``prompts``."""

    table = "table"
    json = "json"


def _split(values: Optional[List[str]]) -> list[str] | None:
    if values is None:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _fail(message: str) -> None:
    _err.print(f"promptlint: error: {message}", markup=False)
    raise typer.Exit(2)


def _print_errors(errors: list) -> None:
    """One stderr line per file promptlint failed on (a usage error as ``error:``,
    an internal one as ``internal error: PATH:``); when more than three files
    share one internal error (a worker process that died takes its batches with
    it), the first three and a count of the rest."""
    seen: dict[str, int] = {}
    for r in errors:
        if r.usage:
            _err.print(f"promptlint: error: {r.error}", markup=False)
            continue
        seen[r.error] = seen.get(r.error, 0) + 1
        if seen[r.error] <= 3:
            _err.print(f"promptlint: internal error: {r.path}: {r.error}", markup=False)
    for error, n in seen.items():
        if n > 3:
            _err.print(f"promptlint: internal error: {n - 3} more files: {error}", markup=False)


def _table_console(table=None) -> Console:  # noqa: ANN001 - a rich Table
    """The console a table goes to on stdout: the terminal's width, or, when stdout
    is not a terminal (a pipe, a file, a CI log), no colour and at least 200
    columns, instead of the 80 that would fold every cell: as many as ``table``
    needs to fold none (a long prompt id split in two cannot be searched for)."""
    out = Console()
    if out.is_terminal:
        return out
    width = 200
    if table is not None:
        from rich.measure import Measurement

        wide = Console(width=100_000, no_color=True)
        width = max(width, Measurement.get(wide, wide.options, table).maximum)
    return Console(width=width, no_color=True)


@app.command()
def check(
    paths: List[str] = typer.Argument(None, help="Files or folders to lint (default: .)."),
    output_format: CheckFormat = typer.Option(CheckFormat.full, "--output-format", help="How to print findings."),
    fix: bool = typer.Option(False, "--fix", help="Apply safe fixes."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help="Also apply unsafe fixes (with --fix or --diff)."),
    diff: bool = typer.Option(False, "--diff", help="Print the fixes as a unified diff; write nothing."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Rules to run (codes, prefixes, names; replaces the config's select and extend-select)."),
    extend_select: Optional[List[str]] = typer.Option(None, "--extend-select", help="Rules to add to the selection."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Rules to turn off."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when there are findings."),
    fail_on: Optional[FailOn] = typer.Option(None, "--fail-on", help="Lowest severity that makes the run exit 1 (default: config fail-on, else warning; info findings are reported but do not fail)."),
    statistics: bool = typer.Option(False, "--statistics", help="Print counts per rule instead of findings."),
    show_suppressed: bool = typer.Option(False, "--show-suppressed", help="Also list suppressed findings and their reasons."),
    config: Optional[str] = typer.Option(None, "--config", help="Config file (default: nearest promptlint.toml / pyproject.toml)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the result cache."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes (default: CPU count)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Report only findings not recorded in this baseline file."),
    write_baseline: Optional[str] = typer.Option(None, "--write-baseline", help="Record today's findings in this file and exit 0."),
    force_exclude: bool = typer.Option(False, "--force-exclude",
                                       help="Apply excludes and the prompt-file rules to files named on the command line too (pre-commit)."),
) -> None:
    """Find prompt templates under PATHS and report contract findings."""
    from . import engine

    baselines = None
    if baseline or write_baseline:
        from . import baseline as baselines
    from .config import load_settings

    paths = paths or ["."]
    if write_baseline and diff:
        _fail("--write-baseline cannot be combined with --diff")
    try:
        settings = load_settings(paths, config=config, select=_split(select), extend_select=_split(extend_select),
                                 ignore=_split(ignore))
        known = baselines.load_baseline(baseline) if baseline else None
        report = engine.lint_paths(paths, settings, use_cache=not no_cache and not (fix or diff), jobs=jobs,
                                   force_exclude=force_exclude)
    except UsageError as exc:
        _fail(str(exc))
        return
    sources: dict[str, str] = dict(report.texts)
    changed = 0
    write_failed = False
    if fix or diff:
        outcomes = engine.fix_paths(report, settings, unsafe=unsafe_fixes, write=not diff)
        for o in outcomes:
            if o.status in ("did not converge", "would not parse"):
                why = (f"fixes did not converge after {engine.MAX_FIX_ROUNDS} rounds" if o.status == "did not converge"
                       else "the next fixes would not parse back, so they were not applied")
                _err.print(f"promptlint: warning: {o.path}: {why}", markup=False)
            if o.error:
                # Keep going: the other files still get their fixes; the run exits 2.
                _err.print(f"promptlint: error: {o.error}", markup=False)
                write_failed = True
                continue
            changed += o.applied
            if diff and o.text != o.before:
                sys.stdout.write("".join(difflib.unified_diff(
                    o.before.splitlines(keepends=True), o.text.splitlines(keepends=True),
                    fromfile=f"a/{o.path}", tofile=f"b/{o.path}")))
            if o.text:
                sources[o.path] = o.text
        if diff:
            _err.print(f"{changed} fix{'es' if changed != 1 else ''} would be applied.")
            raise typer.Exit(1 if changed and not exit_zero else 0)
        report = engine.Report([o.result for o in outcomes], report.cached, sources)
    everything, matched = known.filter(report.findings) if known is not None and not write_baseline else (report.findings, 0)
    if not force_exclude:
        _warn_empty(paths, report)
    findings = [f for f in everything if show_suppressed or not f.suppressed]
    active = [f for f in everything if not f.suppressed]
    if write_baseline and not report.errors:
        try:
            n = baselines.write_baseline(active, write_baseline)
        except UsageError as exc:
            _fail(str(exc))
        _err.print(f"Wrote {n} finding{'s' if n != 1 else ''} to baseline {write_baseline}.", markup=False)
        raise typer.Exit(0)
    out = sys.stdout
    if statistics:
        counts = Counter((f.code, f.name) for f in active)
        rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if output_format is CheckFormat.json:
            import json

            out.write(json.dumps([{"code": code, "name": name, "count": n} for (code, name), n in rows],
                                 indent=2) + "\n")
        else:
            for (code, name), n in rows:
                out.write(f"{n:>5}\t{code}\t{name}\n")
    elif output_format is CheckFormat.full:
        from .output import full

        for f in findings:
            if f.path not in sources:
                sources[f.path] = read_source(f.path)[0] or ""
        console = Console(highlight=False, soft_wrap=True)
        full.render(findings, console, sources, show_suppressed)
        n_fixable = sum(1 for f in active if f.fix and f.fix.applicability == "safe")
        summary = f"Found {len(active)} finding{'s' if len(active) != 1 else ''} in {len(report.results)} file{'s' if len(report.results) != 1 else ''}"
        n_prompts = len({p["id"] for r in report.results for p in r.prompts})  # a contract file's prompt is one
        summary += f" ({n_prompts} prompt{'' if n_prompts == 1 else 's'})."
        if changed:
            summary += f" Fixed {changed}."
        if n_fixable:
            summary += f" {n_fixable} fixable with --fix."
        if matched:
            summary += f" {matched} in the baseline not shown."
        console.print(summary, highlight=False)
    elif output_format is CheckFormat.sarif:
        from .output import sarif

        out.write(sarif.render(findings, settings.ruleset.rules, show_suppressed) + "\n")
    else:
        from importlib import import_module

        mod = import_module(f".output.{output_format.value}", __package__)
        text = mod.render(findings, show_suppressed)
        if text:
            out.write(text + "\n")
    _print_errors(report.errors)
    if report.errors or write_failed:
        raise typer.Exit(2)
    level = (fail_on.value if fail_on else settings.fail_on)
    failing = [f for f in active if SEVERITY_RANK[f.severity] >= SEVERITY_RANK[level]]
    raise typer.Exit(0 if exit_zero or not failing else 1)


def _warn_empty(paths: list[str], report) -> None:  # noqa: ANN001 - engine.Report
    """One warning on stderr for each path the user named that yields no prompt: a
    folder with no prompt files, or files read that hold none (the exit code is
    not changed; a file that failed to parse is reported as a finding already)."""
    import os

    for given in paths:
        key = os.path.normpath(given)
        under = [r for r in report.results
                 if key == "." or os.path.normpath(r.path) == key or os.path.normpath(r.path).startswith(key + os.sep)]
        if not under:
            _err.print(f"promptlint: warning: no prompt files found under {given}", markup=False)
        elif not any(r.prompts or r.findings or r.error for r in under):
            what = "this file" if len(under) == 1 and os.path.isfile(given) else f"the {len(under)} files read"
            _err.print(f"promptlint: warning: {given}: no prompts found in {what}", markup=False)


@app.command()
def prompts(
    paths: List[str] = typer.Argument(None, help="Files or folders (default: .)."),
    output_format: PromptsFormat = typer.Option(PromptsFormat.table, "--output-format"),
    config: Optional[str] = typer.Option(None, "--config"),
    no_cache: bool = typer.Option(False, "--no-cache"),
) -> None:
    """List the prompt templates found, with their placeholders and contract parts."""
    import json

    from . import engine
    from .config import load_settings

    paths = paths or ["."]
    try:
        settings = load_settings(paths, config=config)
        tokenizer = None
        try:
            tokenizer = settings.tokenizer()
            settings = settings.with_token_counts()
        except UsageError as exc:
            _err.print(f"promptlint: warning: no token counts: {exc}", markup=False)
        report = engine.lint_paths(paths, settings, use_cache=not no_cache)
    except UsageError as exc:
        _fail(str(exc))
        return
    _warn_empty(paths, report)
    for f in report.findings:  # a file that does not parse may hold prompts this list cannot show
        if f.name == "parse-error" and not f.suppressed:
            _err.print(f"promptlint: warning: {f.path}:{f.span.start.line}:{f.span.start.column}: {f.message} "
                       "(its prompts are not listed)", markup=False)
    # A contract file lints the prompt it names: that prompt is listed once, from the file it lives in.
    own = {p["id"] for r in report.results for p in r.prompts if p["path"] == r.path}
    found, listed = [], set()
    for r in report.results:
        for p in r.prompts:
            if p["id"] not in listed and (p["path"] == r.path or p["id"] not in own):
                listed.add(p["id"])
                found.append(p)
    if output_format is PromptsFormat.json:
        sys.stdout.write(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
    else:
        from rich.table import Table

        from .model import PART_NAMES

        short = {"context": "ctx", "constraints": "rules", "task": "task", "output_contract": "out",
                 "stop_condition": "stop", "verification": "verify"}
        counted = f"; tokens: {tokenizer.name}" if tokenizer else ""
        table = Table(title=f"{len(found)} prompt{'' if len(found) == 1 else 's'}{counted}")
        for col in ("id", "line", "syntax", "placeholders", "tokens", "parts", "separated", "kind", "checks"):
            table.add_column(col, overflow="fold", max_width=60 if col == "placeholders" else None)
        for p in found:
            parts = " ".join(short[n] if p["parts"][n]["present"] else "-" for n in PART_NAMES)
            tokens = str(p["tokens"]["count"]) if p.get("tokens") else "-"
            table.add_row(p["id"], str(p["line"]), p["syntax"], ", ".join(p["placeholders"]), tokens, parts,
                          "yes" if p["separated"] else "no", p.get("kind", ""), p.get("checks", ""))
        _table_console(table).print(table)
    _print_errors(report.errors)
    raise typer.Exit(2 if report.errors else 0)


@app.command()
def rule(key: str = typer.Argument(..., help="Rule code or name.")) -> None:
    """Print one rule's documentation (rule packs from the config included)."""
    from .config import load_settings

    try:
        r = load_settings(None).ruleset.by_key(key)
    except UsageError as exc:
        _fail(str(exc))
        return
    if r is None:
        _fail(f"unknown rule {key!r} (see `promptlint rules`)")
        return
    fix = {"none": "No fix.", "safe": "Safe fix.", "unsafe": "Unsafe fix (needs --unsafe-fixes).",
           "display-only": "Fix shown, never applied."}[r.fix]
    text = (f"# {r.name} ({r.code})\n\nSeverity: {r.severity}. {fix} {r.fix_safety}\n\n"
            f"## Why\n{' '.join(r.docs['why'].split())}\n\n## Bad\n```\n{r.docs['bad'].rstrip()}\n```\n\n"
            f"## Good\n```\n{r.docs['good'].rstrip()}\n```\n\nDocs: {r.url}\n")
    sys.stdout.write(text)


@app.command("rules")
def rules_cmd(output_format: PromptsFormat = typer.Option(PromptsFormat.table, "--output-format")) -> None:
    """List every rule (rule packs from the config included) and whether this
    project's selection runs it: on, off, or opt-in (not in the default selection)."""
    import json

    from .config import load_settings

    try:
        settings = load_settings(None)
    except UsageError as exc:
        _fail(str(exc))
        return
    rs = settings.ruleset.rules
    on = {r.code for r in settings.rules}

    def state(r) -> str:  # noqa: ANN001
        return "on" if r.code in on else ("off" if r.default else "opt-in")

    if output_format is PromptsFormat.json:
        sys.stdout.write(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "fix": r.fix,
                                      "default": r.default, "selected": r.code in on, "url": r.url} for r in rs],
                                    indent=2) + "\n")
        return
    for r in rs:
        sys.stdout.write(f"{r.code}\t{r.name}\t{r.severity}\t{state(r)}\t{'fix: ' + r.fix if r.fix != 'none' else ''}\n")


@app.command()
def rewrite(
    targets: List[str] = typer.Argument(..., help="PATH or PATH::PROMPT_ID (a path alone: every prompt there that lacks a task or an output contract, or whose parts are not separated)."),
    backend: Optional[str] = typer.Option(None, "--backend", help="llama (local GGUF) or openai (OpenAI-compatible server)."),
    model: Optional[str] = typer.Option(None, "--model", help="GGUF path (llama) or model name (openai)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
    write: bool = typer.Option(False, "--write", help="Apply the rewrite to the file (atomically)."),
    diff: bool = typer.Option(True, "--diff/--no-diff", help="Print a unified diff (default)."),
    max_attempts: int = typer.Option(3, "--max-attempts", min=1, help="Model attempts before the deterministic fallback."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed of the first attempt."),
    no_model: bool = typer.Option(False, "--no-model", help="Skip the model: deterministic restructure only."),
    n_ctx: Optional[int] = typer.Option(None, "--n-ctx", help="llama: context size in tokens."),
    n_gpu_layers: Optional[int] = typer.Option(None, "--n-gpu-layers", help="llama: layers to offload (-1 all, 0 none)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.001, help="openai: seconds one request may wait for the server (default 60)."),
    deadline: Optional[float] = typer.Option(None, "--deadline", min=0.001, help="openai: seconds the whole run may spend on requests (default 600)."),
    output_format: PromptsFormat = typer.Option(PromptsFormat.table, "--output-format", help="table (diff + changes) or json."),
    config: Optional[str] = typer.Option(None, "--config"),
) -> None:
    """Restructure prompts into the contract parts with a local model, check the result, show or write it."""
    import json

    from .backends import BackendError, make_backend
    from .config import load_settings
    from .extract import kind_for_path
    from .rewrite import rewrite_prompt, select_prompts
    from .writeback import RewriteError

    pairs = [(t.split("::", 1)[0], t.split("::", 1)[1] if "::" in t else None) for t in targets]
    try:
        settings = load_settings([p for p, _ in pairs], config=config)
        from .discover import discover

        expanded = []
        for path, pid in pairs:
            if pid is None:
                expanded += [(found, None) for found, _ in discover([path], settings)]
            else:
                expanded.append((path, pid))
        pairs = expanded
    except UsageError as exc:
        _fail(str(exc))
        return
    results = []
    be = None
    try:
        if not no_model:
            be = make_backend(backend, model=model, base_url=base_url, n_ctx=n_ctx, n_gpu_layers=n_gpu_layers,
                              seed=seed, timeout=timeout, deadline=deadline, config=settings.model)
        skipped = 0
        changed: dict[str, tuple[str, str]] = {}  # path -> (the file as read, with every rewrite applied)
        for path, pid in pairs:
            text, problem = read_source(path)
            if text is None:
                raise RewriteError(f"{path}: {problem}")
            kind = kind_for_path(path)
            current = text
            done = []
            # Bottom up: a rewrite moves the lines below it, and ids such as ``call@42`` name their line.
            chosen = select_prompts(path, current, kind, settings, pid)
            if pid is None:  # a whole file: a prompt that cannot be written back is passed over, not fatal
                passed = [p for p in chosen if p.main.encoding is None or p.main.literal_span is None]
                chosen = [p for p in chosen if all(p is not q for q in passed)]
                for p in passed:
                    _err.print(f"{p.id}: skipped: promptlint cannot write new text there (a YAML or TOML "
                               "value, a notebook cell, or text built by code)", markup=False)
                skipped += len(passed)
            for prompt in sorted(chosen, key=lambda p: -p.main.anchor):
                # Re-select by id on the current text so earlier rewrites in the file are kept.
                fresh = select_prompts(path, current, kind, settings, prompt.id)[0]

                def report(n: int, attempt, pid=prompt.id) -> None:  # noqa: ANN001
                    status = "passed" if not attempt.failures else "; ".join(attempt.failures[:3])
                    _err.print(f"{pid}: attempt {n}/{max_attempts}: {status}", markup=False)

                r = rewrite_prompt(fresh, path, current, kind, settings, be, max_attempts=max_attempts, seed=seed,
                                   on_attempt=report)
                current = r.file_after
                done.append(r)
            results += reversed(done)  # (reported in file order)
            if current != text:
                changed[path] = (text, current)
            if write and current != text:
                write_atomic(path, current, text)
    except (BackendError, RewriteError) as exc:
        _fail(str(exc))
        return
    except RuntimeError as exc:
        if isinstance(exc, typer.Exit):
            raise
        _fail(str(exc))
        return
    if output_format is PromptsFormat.json:
        sys.stdout.write(json.dumps([{
            "prompt_id": r.prompt_id, "path": r.path, "source": r.source, "new_text": r.new_text,
            "changes": r.changes, "attempts": [a.__dict__ for a in r.attempts]} for r in results], indent=2) + "\n")
        return
    for r in results:
        how = "the model's answer" if r.source == "model" else "promptlint's deterministic restructure (fallback)"
        sys.stdout.write(f"# {r.prompt_id}: rewritten by {how}\n")
        for c in r.changes:
            sys.stdout.write(f"#   - {c}\n")
    if diff:
        # One unified diff per file, from the file as read to the file with every rewrite applied
        # (applies with `patch -p1` / `git apply`).
        for path, (before, after) in changed.items():
            sys.stdout.write("".join(difflib.unified_diff(before.splitlines(keepends=True),
                                                          after.splitlines(keepends=True),
                                                          fromfile=f"a/{path}", tofile=f"b/{path}")))
    if not results:
        _err.print(f"Nothing rewritten ({skipped} skipped)." if skipped else "No prompt needs a rewrite.", markup=False)
    elif write:
        _err.print(f"Wrote {len(results)} rewrite(s).", markup=False)


@app.command()
def variance(
    targets: List[str] = typer.Argument(None, help="Contract files, prompt files with a contract, PATH::NAME ids, or folders."),
    all_: bool = typer.Option(False, "--all", help="Every contract under the working directory."),
    samples: Optional[int] = typer.Option(None, "--samples", min=1, help="Samples per fixture (overrides the contract)."),
    backend: Optional[str] = typer.Option(None, "--backend", help="llama (local GGUF) or openai."),
    model: Optional[str] = typer.Option(None, "--model", help="GGUF path (llama) or model name (openai)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
    report: Optional[str] = typer.Option(None, "--report", help="Write the JSON report here."),
    html: Optional[str] = typer.Option(None, "--html", help="Write the self-contained HTML report here."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write cached samples."),
    refresh: bool = typer.Option(False, "--refresh", help="Sample again and overwrite cached samples."),
    n_ctx: Optional[int] = typer.Option(None, "--n-ctx", help="llama: context size per sequence (tokens)."),
    n_gpu_layers: Optional[int] = typer.Option(None, "--n-gpu-layers", help="llama: layers to offload (-1 all, 0 none)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.001, help="openai: seconds one request may wait for the server (default 60)."),
    deadline: Optional[float] = typer.Option(None, "--deadline", min=0.001, help="openai: seconds the whole run may spend on requests (default 600)."),
    print_schema: bool = typer.Option(False, "--print-schema", help="Print the report's JSON Schema and exit."),
    config: Optional[str] = typer.Option(None, "--config"),
) -> None:
    """Sample prompts N times per fixture and check every output against its contract (exit 1 on a missed threshold)."""
    import json

    from rich.console import Console as RichConsole
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from .backends import BackendError, make_backend
    from .config import load_settings
    from .render import RenderError
    from .variance import build_report, evaluate_contract, find_contracts, report_schema

    if print_schema:
        sys.stdout.write(json.dumps(report_schema(), indent=2) + "\n")
        return
    targets = targets or []
    try:
        settings = load_settings([t.split("::", 1)[0] for t in targets] or None, config=config)
        contracts = find_contracts(targets, all_, settings)
        if not contracts:
            raise UsageError("no contracts found (NAME.contract.yaml, *.contracts.yaml, .prompty outputs)")
        cache = None
        if not no_cache:
            from .sample_cache import SampleCache

            cache = SampleCache()  # before the model loads: a broken cache is a quick error
        be = make_backend(backend, model=model, base_url=base_url, n_ctx=n_ctx, n_gpu_layers=n_gpu_layers,
                          timeout=timeout, deadline=deadline, config=settings.model)
    except (UsageError, BackendError) as exc:
        _fail(str(exc))
        return
    identity = be.model_id
    if be.name == "llama":
        from .sample_cache import file_sha256

        identity = file_sha256(str(be.path))
    total = sum((samples or lc.contract.sampling.samples) * max(1, len(lc.contract.fixtures)) for lc in contracts)
    results = []
    console = RichConsole(stderr=True)
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=False) as progress:
            task = progress.add_task("sampling", total=total)
            for lc in contracts:
                progress.update(task, description=f"sampling {lc.prompt_id}")
                results.append(evaluate_contract(lc, settings, be, samples=samples, cache=cache, refresh=refresh,
                                                 model_identity=identity,
                                                 advance=lambda k: progress.advance(task, k)))
    except (UsageError, BackendError, RenderError) as exc:
        _fail(str(exc))
        return
    finally:
        if cache is not None:
            cache.close()
    doc = build_report(results, be)
    out = _table_console()
    modes = sorted({p["sampling"]["sampling_mode"] for p in results})
    table = Table(title=f"promptlint variance — {be.name} {be.model_id} ({', '.join(modes)} sampling)")
    priced = settings.prices is not None
    for col in ("prompt", "pass rate", "pass^N", "structures", "modal", "field agr.", "TTFT p95 ms", "TTLT p95 ms",
                "tokens in/out", *(["cost / 1k requests"] if priced else []), "cached", "result"):
        table.add_column(col, overflow="fold")
    for p in results:
        m = p["metrics"]
        money = []
        if priced:
            c = m["cost"]
            money = [f"{c['per_1000_requests']:.4f} {c['currency']}" if c["per_1000_requests"] is not None
                     else f"out {c['output_per_1000']:.4f} {c['currency']} (input tokens unknown)"]
        table.add_row(p["prompt_id"], f"{m['pass_rate']:.0%}", "yes" if m["pass_all"] else "no",
                      str(m["distinct_structures"]), f"{m['modal_share']:.0%}",
                      "-" if m["field_agreement"] is None else f"{m['field_agreement']:.0%}",
                      "-" if m["ttft_ms"] is None else f"{m['ttft_ms']['p95']:.0f}",
                      "-" if m["ttlt_ms"] is None else f"{m['ttlt_ms']['p95']:.0f}",
                      f"{m['tokens_in']['mean'] or '-'}/{m['tokens_out']['mean']}", *money,
                      f"{p['cached_samples']}/{m['samples']}",
                      "[green]pass[/]" if p["passed"] else "[red]FAIL[/]")
    out.print(table)
    cached = sum(p["cached_samples"] for p in results)
    drawn = sum(p["metrics"]["samples"] for p in results)
    if cached:
        how = "wholly" if cached == drawn else "partly"
        _err.print(f"note: this run was served {how} from the sample cache ({cached} of {drawn} samples; cached "
                   "samples carry no times): --refresh samples again, --no-cache skips the cache", markup=False)
    for p in results:
        if p["gate"] == "default":
            _err.print(f"{p['prompt_id']}: the contract sets no thresholds; default gate: every sample must pass "
                       "its output contract", markup=False)
        for v in p["violations"]:
            _err.print(f"{p['prompt_id']}: {v}", markup=False)
        for ne in p["not_evaluated"]:
            _err.print(f"{p['prompt_id']}: not evaluated: {ne}", markup=False)
        if p["fallback"]:
            _err.print(f"{p['prompt_id']}: latency target missed; fallback: {p['fallback']}", markup=False)
    if report:
        with open(report, "w", encoding="utf-8", errors="backslashreplace") as fh:
            json.dump(doc, fh, indent=2, ensure_ascii=False)
    if html:
        from .output.variance_html import render_html

        with open(html, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(render_html(doc))
    raise typer.Exit(0 if doc["passed"] else 1)


@app.command("server")
def server_cmd() -> None:
    """Run the language server on stdio (for editors)."""
    try:
        from .lsp.server import main as serve
    except ImportError:
        _fail("the language server needs pygls: pip install 'prompt-contract-lint[lsp]'")
        return
    serve()


def main() -> None:
    """Console-script entry point. Text that cannot be encoded (a lone surrogate a
    ``\\ud800`` escape in a linted file decodes to) is written as a backslash
    escape, which in JSON output is the same escape, instead of ending the run."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):  # not a text stream that can be reconfigured (a test's capture)
            pass
    app()


if __name__ == "__main__":
    main()
