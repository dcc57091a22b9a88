"""The lint engine: discover → extract → check → suppress → report / fix.

The CLI, the language server and the pre-commit hook are doors into this
module, one entry per unit of work:

* :func:`lint_document` -- one document (a path and its text, e.g. an editor
  buffer), with discovery's include/exclude rules applied to the path exactly
  as ``check --force-exclude`` applies them;
* :func:`lint_paths` -- a run over paths (in parallel across files, with a
  cache keyed by content hash, settings and rule-pack version);
* :func:`fix_paths` -- the fix loop over a run's files (bounded rounds; a file
  whose fixes do not converge or would not parse back says so).

:func:`lint_text` lints a text with no discovery rules (tests, rewrite checks).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from .model import PART_NAMES, Finding, LineIndex, Prompt, Span, lone_cr_as_lf
from .source import WriteError, read_source, reparses, write_atomic

if TYPE_CHECKING:  # the analysis, checks and extractors are imported where a file is linted: a warm run needs none
    from .analysis import Analysis
    from .config import Settings

CACHE_VERSION = "4"
MAX_FIX_ROUNDS = 10
_STAT_KEY = "\0stat"
#: The result cache's entry of file kinds judged by content (see :func:`promptlint.discover.discover`).
_SNIFF_KEY = "\0sniffed"


@dataclass
class FileResult:
    """The outcome of linting one file.

    ``findings`` includes suppressed ones (``Finding.suppressed``);
    ``prompts`` are summaries in the ``promptlint prompts --output-format json``
    shape; ``error`` is set when promptlint itself failed on this file (an
    internal error: the run must exit 2); ``comment_styles`` are the comment
    syntaxes whose suppression directives count in this file (``hash``,
    ``jinja``, ``html``; empty when only front matter can suppress; see
    :func:`promptlint.suppress.ignore_comment`).
    """

    path: str
    findings: list[Finding] = field(default_factory=list)
    prompts: list[dict] = field(default_factory=list)
    error: str | None = None
    comment_styles: tuple[str, ...] = ()
    #: ``error`` is the user's (a contract's token budget with no tokenizer to count it): printed as an error at
    #: its ``path:line:column``, not as an internal one; the run still exits 2.
    usage: bool = False
    #: The result depends on more than the file and the settings (a contract's token budget counted with a
    #: tokenizer file): never answered from the cache.
    volatile: bool = False
    #: ``(module, name)`` of imported names whose text this file's prompts need (see
    #: :attr:`promptlint.extract.base.Extraction.imported` and :func:`follow_imports`).
    imports: tuple[tuple[str, str], ...] = ()


@dataclass
class Report:
    """All file results of a run, in discovery order, plus cache statistics."""

    results: list[FileResult]
    cached: int = 0
    texts: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def findings(self) -> list[Finding]:
        """Every finding of the run (suppressed ones included)."""
        return [f for r in self.results for f in r.findings]

    @property
    def errors(self) -> list[FileResult]:
        """Results where promptlint failed internally."""
        return [r for r in self.results if r.error]


def _file_finding(settings: Settings, path: str, span: Span, code_name: str, **fields: str) -> Finding | None:
    rule = next((r for r in settings.rules_for(path) if r.name == code_name), None)
    if rule is None:
        return None
    from collections import defaultdict

    # A parse error's fingerprint leaves out the line and column numbers its message may name (PyYAML's "while
    # scanning … that starts at line 2"): lines added above it must not make a baselined finding new.
    basis = re.sub(r"\b(line|column) \d+", r"\1", fields.get("error", "")) or fields.get("codes", "")
    return Finding(rule.code, rule.name, rule.message.format_map(defaultdict(str, fields)), rule.severity,  # type: ignore[arg-type]
                   path, span, None, None, rule.url, fingerprint_text=basis)


def _written_run_end(msg, path: str, file_text: str) -> int:  # noqa: ANN001 - a Message
    """File offset just after the run of ``msg``'s text that is written in
    ``path`` (whose text is ``file_text``) from its anchor on, in file order and
    with at most two line breaks between one character and the next (the pieces
    of one concatenation, not a helper defined further down): the text where
    the prompt is written, when later pieces (``prompt += SUFFIX``, ``BODY +
    HEADER``) come from constants defined above it. Its last character's
    position alone then ends the prompt's span before its own text does. 0 when
    no character of ``msg`` lies at or after the anchor in ``path``."""
    sm = msg.source_map
    n = min(len(msg.text.rstrip()), len(sm.starts))  # (trailing white space does not end a span)
    starts, ends = sm.starts, sm.ends
    if not n or max(ends[:n]) <= sm.file_end(n):
        return 0  # (the last character is already the furthest: nothing to find)
    i = next((k for k in range(n) if starts[k] >= msg.anchor), None)
    if i is None or sm.path_of(i, path) != path:
        return 0
    origins = sm.origins
    while i + 1 < n and starts[i + 1] >= starts[i] and (
            origins[i + 1] is None or origins[i + 1].path == path) and (
            starts[i + 1] <= ends[i] or file_text.count("\n", ends[i], starts[i + 1]) <= 2):
        i += 1
    return ends[i]


def summarise(prompt: Prompt, analysis: Analysis, index: LineIndex, indexes: dict[str, LineIndex] | None = None) -> dict:
    """The JSON summary of one prompt (``promptlint prompts`` shape): id, path,
    1-based line/column span from its primary message's start to the end of its
    last message written in this file (one message: that message), syntax,
    placeholders, parts (``{present, labelled, line, evidence}``: ``evidence`` is
    ``{line, column, text}`` of the label or sentence cue that made the part
    present, 1-based, the text cut to 80 characters; ``None`` when absent), ``separated``, the
    number of messages, ``composed_of`` / ``composed_into`` (prompt ids), ``found_by`` (why it was taken:
    :attr:`promptlint.model.Prompt.found_by`) and ``statement_line`` (first line of the code
    statement that builds it; ``None`` for prompt files). Evidence written in another file than
    ``prompt.path`` (text the prompt reads from a file) carries that file as ``path``, with its
    line and column there (``indexes`` caches those files' line indexes by path)."""
    start = index.position(prompt.main.anchor)
    end = start
    for msg in prompt.messages:  # a conversation's span runs to its last message written in this file
        if msg is not prompt.main and (not msg.text or msg.source_map.path_of(0, prompt.path) != prompt.path):
            continue
        last = index.position(msg.source_map.file_end(len(msg.text.rstrip()))) if msg.text.strip() else start
        if msg.literal_span is not None:
            last = index.position(msg.literal_span[1])
        elif msg.text.strip():
            last = max(last, index.position(_written_run_end(msg, prompt.path, index.text)))
        end = max(end, last)
    parts = {}
    for name in PART_NAMES:
        info = analysis.sections.parts[name]
        line, evidence = None, None
        if info.present and info.offsets:
            at = info.label_offset if info.label_offset is not None else info.offsets[0]
            where = analysis.source_map.path_of(at, prompt.path)
            pos = analysis.source_map.span(index if where == prompt.path else _index_of(where, indexes),
                                           at, at + 1).start
            line = pos.line
            nl = analysis.text.find("\n", at)
            said = analysis.text[at:nl if nl != -1 else len(analysis.text)].strip()
            evidence = {"line": pos.line, "column": pos.column, "text": said[:80] + ("…" if len(said) > 80 else "")}
            if where != prompt.path:
                evidence["path"] = where
        parts[name] = {"present": info.present, "labelled": info.labelled, "line": line, "evidence": evidence}
    return {
        "id": prompt.id, "path": prompt.path, "line": start.line, "column": start.column,
        "end_line": end.line, "end_column": end.column, "syntax": prompt.syntax,
        "placeholders": analysis.names, "parts": parts, "separated": analysis.sections.separated,
        "messages": len(prompt.messages), "composed_of": list(prompt.composed_of),
        "composed_into": list(prompt.composed_into), "found_by": prompt.found_by,
        "statement_line": index.position(prompt.extent[0]).line if prompt.extent else None,
    }


def _index_of(path: str, indexes: dict[str, LineIndex] | None) -> LineIndex:
    """The line index of file ``path`` as it is on disk (empty when unreadable), kept in ``indexes``."""
    if indexes is None:
        indexes = {}
    if path not in indexes:
        indexes[path] = LineIndex(read_source(path)[0] or "")
    return indexes[path]


def _prompt_lines(prompt: Prompt, index: LineIndex) -> set[int]:
    lines: set[int] = set()
    ranges = []
    if prompt.extent:
        ranges.append(prompt.extent)
    for m in prompt.messages:
        smap = m.source_map
        unique = dict(zip(map(id, smap.origins), smap.origins)).values()  # (one record per literal: C-speed dedupe)
        if m.text and any(o is not None and o.path != prompt.path for o in unique):
            # Text read from another file: only the characters written in this one count.
            here = [s for s, o in zip(smap.starts, smap.origins) if o is None or o.path == prompt.path]
            if here:
                ranges.append((min(here), max(here)))
        elif m.text:
            ranges.append((m.source_map.file_start(0), m.source_map.file_end(len(m.text))))
        ranges.append((m.anchor, m.anchor))
    for s, e in ranges:
        lines.update(range(index.position(s).line, index.position(e).line + 1))
    return lines


def lint_text(path: str, text: str, settings: Settings, kind: str | None = None, *,
              hazards_only: bool = False, hints: frozenset[str] = frozenset()) -> FileResult:
    """Lint one buffer: ``path`` is used for ids and messages, ``text`` is its content.
    ``hazards_only`` runs the template-hazard rules (less those test suites provoke on purpose or that are
    harmless in fixtures:
    :data:`promptlint.rulepacks.SKIPPED_ON_TEST_DATA`) but not the contract rules
    (see :data:`promptlint.rulepacks.CONTRACT_CHECKS`): what files found in test
    folders get by default (:func:`in_test_folder`). ``hints`` names module
    constants of a Python file that another module sends to a model (see
    :func:`follow_imports`).

    Never raises: an internal failure becomes ``FileResult.error``.
    """
    from .extract import kind_for_path

    kind = kind or kind_for_path(path)
    result = FileResult(path)
    from .errors import UsageError

    try:
        _lint_into(result, path, text, settings, kind, hazards_only, hints)
    except UsageError as exc:
        result.error, result.usage = str(exc), True
    except Exception as exc:  # noqa: BLE001 - fail closed: reported, exit code 2
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" ({Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
        result.error = f"{type(exc).__name__}: {exc}{where}"
    return result


def _lint_into(result: FileResult, path: str, text: str, settings: Settings, kind: str,
               hazards_only: bool = False, hints: frozenset[str] = frozenset()) -> None:
    from .analysis import analyse
    from .checks import ENGINE_KIND, FILE_KINDS, CheckContext, get_check
    from .rulepacks import SKIPPED_ON_FILLS
    from .extract import extract
    from .suppress import apply as apply_suppressions
    from .suppress import front_matter_directive, parse_directives

    text = lone_cr_as_lf(text)  # (lines end at a lone \r too: see lone_cr_as_lf)
    index = LineIndex(text)
    rules = settings.rules_for(path)
    extraction = extract(path, text, kind, settings, index, hints)
    result.imports = tuple(extraction.imported)
    if extraction.reads:
        result.volatile = True  # its prompts hold text read from other files, which its content key does not
    for problem in extraction.problems:
        pos = index.position(problem.offset)
        f = _file_finding(settings, path, Span(pos, index.position(problem.offset + 1)), "parse-error",
                          error=problem.message)
        if f:
            result.findings.append(f)
    prompt_lines: dict[str, set[int]] = {}
    others: dict[str, LineIndex] = {}  # line indexes of other files: a contract file's prompts, files a prompt reads
    sample = in_sample_folder(path)
    for prompt in extraction.prompts:
        if hazards_only:
            prompt.cache = None  # a cache in a test module is a stand-in, not a service's cache
        analysis = analyse(prompt, settings.vocabulary)  # type: ignore[arg-type]
        if prompt.path == path:
            result.prompts.append(summarise(prompt, analysis, index, others))
            prompt_lines[prompt.id] = _prompt_lines(prompt, index)
        else:  # its offsets belong to its own file: positions use that file's line index
            result.prompts.append(summarise(prompt, analysis, _index_of(prompt.path, others), others))
        # A Jinja file that includes others is only part of what the model sees: its contract is not judged alone.
        judged = not hazards_only and analysis.kind == "prompt" and not any(inc[3] for inc in prompt.includes)
        structure = judged and (settings.structure_rules == "all" or len(analysis.labelled_parts) >= 2
                                or (prompt.contract is not None and prompt.contract.path != prompt.path))
        result.prompts[-1]["kind"] = analysis.kind
        if settings.count_tokens:
            from .tokens import prompt_tokens

            result.prompts[-1]["tokens"] = prompt_tokens(analysis, settings)
        result.prompts[-1]["checks"] = "all" if structure else ("free-form" if judged else "hazards")
        for rule in rules:
            if rule.check in FILE_KINDS:
                continue  # run once for the file below
            if sample and rule.check in SAMPLE_SKIPPED:
                continue
            if not judged and rule.judges_contract:
                continue
            if hazards_only and rule.skipped_on_test_data:
                continue
            if prompt.fill and rule.check in SKIPPED_ON_FILLS:
                continue
            if not structure and rule.restructures:
                continue
            if rule.check == ENGINE_KIND or (extraction.only_checks and rule.check not in extraction.only_checks):
                continue
            if rule.check == "contract" and prompt.contract is None and prompt.sampling is None and prompt.cache is None:
                continue
            ctx = CheckContext(analysis, rule, index, path, settings.ruleset, others, layout=settings.layout,
                               settings=settings)
            get_check(rule.check)(ctx)
            result.findings.extend(ctx.findings)
        if "tokens" in analysis.memo and prompt.contract is not None and prompt.contract.path != prompt.path:
            result.volatile = True  # counted for its contract's token_budget, with a tokenizer file the key lacks
    if extraction.calls and kind == "python" and not sample and not is_tooling(path, text):
        from .checks.serving_calls import findings as call_findings

        for rule in rules:
            if rule.check not in FILE_KINDS or (hazards_only and rule.skipped_on_test_data):
                continue
            for span, fields in call_findings(rule, extraction.calls, index):
                f = _file_finding(settings, path, span, rule.name, **fields)
                if f:
                    f.fingerprint_text = f"{rule.code} {fields}"
                    result.findings.append(f)
    styles = {"hash": ("hash",), "jinja": ("jinja",), "html": ("html", "jinja"), "none": ()}[extraction.comment_style]
    if extraction.comment_style == "none" and any(m.syntax == "jinja" for p in extraction.prompts for m in p.messages):
        styles = ("jinja",)
    result.comment_styles = styles
    directives = parse_directives(text, styles, index)
    fm = front_matter_directive(extraction.front_matter, index)
    if fm:
        directives.append(fm)
    apply_suppressions(result.findings, directives, prompt_lines)
    for d in directives:
        if not d.used:
            codes = ", ".join(d.codes) if d.codes else "all rules"
            f = _file_finding(settings, path, d.span, "unused-suppression", codes=codes)
            if f:
                result.findings.append(f)
    # A constant filled into a template at two markers is judged twice at the same characters: reported once.
    unique = {(f.code, f.span, f.message, f.prompt_id, f.suppressed): f for f in result.findings}
    result.findings = sorted(unique.values(), key=lambda f: (f.span.start, f.code))


def lint_file(path: str, kind: str, settings: Settings) -> FileResult:
    """Read ``path`` and lint it; an unreadable or non-UTF-8 file is one
    ``parse-error`` finding."""
    text, problem = read_source(path)
    if text is None:
        result = FileResult(path)
        from .model import Position
        from .source import undecodable_position

        line, column = undecodable_position(path) if "not UTF-8" in (problem or "") else (1, 1)
        at = Position(line, column)
        f = _file_finding(settings, path, Span(at, at), "parse-error", error=problem or "")
        if f:
            result.findings.append(f)
        return result
    return lint_text(path, text, settings, kind)


def lint_document(path: str, text: str, settings: Settings, kind: str | None = None, *,
                  location: str | None = None) -> FileResult | None:
    """Lint one document as the other doors would: ``None`` when discovery's
    rules leave it out (an ``exclude``/``extend-exclude`` pattern, a
    ``.gitignore``, or not a prompt file by the folder-walk rules: the same test
    as ``check --force-exclude``, so the editor and the pre-commit hook agree).
    ``path`` names the document in ids and findings; ``location`` is where it
    lives on disk (default ``path``), which the rules are applied to. A
    document that is not a file on disk (an unsaved buffer) is always linted;
    ``text`` is what is linted and what the content sniffing of YAML/JSON
    files reads. Never raises: see :func:`lint_text`."""
    from .discover import excluded

    where = location or path
    if Path(where).is_file() and excluded(where, settings, text):
        return None
    return lint_text(path, text, settings, kind)


# --- parallel run with cache ---------------------------------------------------

_WORKER_SETTINGS: Settings | None = None

#: Small inputs that make a process import the extractors and compile the vocabulary's patterns (see _warm_up).
_WARM_UP = {
    "python": 'SYSTEM_PROMPT = "You are a bot. Answer in JSON: {\\"a\\": 1}. ref 0123456789abcdef0123"\n'
              'def ask(client, q):\n    p = f"Task: {q}"\n'
              '    return client.chat.completions.create(model="m", messages=[{"role": "user", "content": p}])\n',
    # The token makes the secret detectors load here, once, instead of in every worker.
    "text": "Context: notes.\nTask: summarise {{ notes }}.\nOutput: JSON.\nStop when done.\nref 0123456789abcdef0123\n",
    "yaml": "prompts:\n  - name: a\n    template: Summarise {text}.\n",
}


def _warm_up(settings: Settings, kinds: set[str]) -> None:
    """Lint a tiny input of each kind in this process before the worker pool
    forks, so the workers inherit imported extractors and compiled patterns
    instead of each paying for them (on two cores that was a second per run)."""
    for kind, text in _WARM_UP.items():
        if kind in kinds:
            lint_text(f"warm-up.{kind}", text, settings, kind)


def _init_worker(settings: Settings, warm: bool = False) -> None:
    import gc

    global _WORKER_SETTINGS
    _WORKER_SETTINGS = settings
    from .aside import die_with_parent

    die_with_parent()  # (a pool's workers hold both ends of its task pipe: killed, the parent leaves them blocked)
    if warm:  # started before discovery (see :func:`_early_pool`): the kinds to come are not known yet
        _warm_up(settings, set(_WARM_UP))
    # What a worker holds by now (imported modules, compiled patterns, the settings) lives as long as the
    # worker: frozen, the cyclic garbage collector stops walking it at each full collection, which the
    # many short-lived nodes of ``ast`` and libcst trigger (about a tenth of a worker's time on the
    # lint_speed corpus). ``gc.freeze`` is the standard library's hook for this (Python 3.7+).
    gc.freeze()


def _work(batch: list[tuple[str, str, str | None, bool]]) -> list[FileResult]:
    """Lint one batch of ``(display path, kind, text, hazards_only)`` in a worker;
    a text of ``None`` is in :data:`_FORKED_TEXTS`."""
    settings = _WORKER_SETTINGS
    assert settings is not None
    out = []
    for path, kind, text, h in batch:
        if text is None:
            text = _FORKED_TEXTS[path]
        out.append(FileResult(path, comment_styles=("hash",)) if _dropped(path, kind, text, settings)
                   else lint_text(path, text, settings, kind, hazards_only=h))
    return out


def _dropped(path: str, kind: str, text: str, settings: Settings) -> bool:
    """Is ``text`` a Python file that the extractor's prefilter drops and that has
    no ``promptlint`` comment? Such a file (most of a code base) has no prompt
    and no finding: its result is ``FileResult(path, comment_styles=("hash",))``,
    what :func:`lint_text` returns for it, without the line index, rule lookup
    and directive scan that call would still make."""
    if kind != "python" or "promptlint" in text:
        return False
    from .extract.python import needs_parse  # imports libcst: not on a run the cache answers

    return not needs_parse(lone_cr_as_lf(text), settings, path)


#: File kinds whose linting loads the contract models (:mod:`promptlint.contracts`).
_CONTRACT_KINDS = frozenset({"prompty", "contract"})

#: Folder names whose files are test data by default (see :func:`in_test_folder`).
TEST_FOLDERS = frozenset({"test", "tests", "testing", "__tests__", "fixtures", "testdata", "test_data"})


#: Folders of code shown to readers rather than served (see :func:`in_sample_folder`).
SAMPLE_FOLDERS = frozenset({"examples", "example", "demos", "demo", "docs", "doc", "cookbooks", "cookbook",
                            "notebooks", "samples", "sample", "tutorials", "tutorial"})


#: Check kinds that judge served code or real data and do not run in sample folders.
SAMPLE_SKIPPED = frozenset({"serving-call", "personal-data"})


def in_sample_folder(path: str) -> bool:
    """Is ``path`` (as displayed, relative to where promptlint runs) in a folder of
    example or documentation code (:data:`SAMPLE_FOLDERS`)? The serving rules
    (output caps, timeouts) judge code that serves users and the personal-data rule
    real data: they do not run there (:data:`SAMPLE_SKIPPED`)."""
    return bool({p.lower() for p in Path(path).parts[:-1]} & SAMPLE_FOLDERS)


#: Folders of maintainer tooling: evaluation harnesses, benchmarks, scripts, developer tools, profiling and
#: command-line front ends (see :func:`is_tooling`).
TOOLING_FOLDERS = frozenset({"evaluation", "evaluations", "eval", "evals", "benchmark", "benchmarks", "bench",
                             "scripts", "script", "devtools", "profiling", "cli", "experiments"})
_CLI_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+(?:typer|click|argparse|fire)\b", re.M)


def is_tooling(path: str, text: str) -> bool:
    """Is ``path`` maintainer tooling rather than code that serves users: in a
    :data:`TOOLING_FOLDERS` folder, or a module that builds a command-line
    interface (it imports typer, click, argparse or fire)? On twelve public LLM
    projects the calls the serving rules (``serving-call`` kind) flagged there were
    deliberate (an eval run or an interactive command may wait on the SDK's
    default), so those rules do not run there (nor in notebooks: exploration)."""
    return bool({p.lower() for p in Path(path).parts[:-1]} & TOOLING_FOLDERS) or bool(_CLI_IMPORT.search(text))


def in_test_folder(display: str, named: list[str], settings: Settings) -> bool:
    """Is ``display`` (a file found by walking one of the ``named`` paths) inside
    a test or fixture folder (:data:`TEST_FOLDERS`) below the folder the user
    named? A file or folder named on the command line is never test data (the
    user asked for it), and ``contract-rules-in-tests = true`` turns this off."""
    if settings.contract_rules_in_tests:
        return False
    rel = None
    for given in named:
        g = os.path.normpath(given)
        d = os.path.normpath(display)
        if d == g:
            return False
        if g in (".", "") or d.startswith(g + os.sep):
            rel = d if g in (".", "") else d[len(g) + 1:]
            break
    if rel is None:
        return False
    return bool(set(Path(rel).parts[:-1]) & TEST_FOLDERS)


def _span_t(s: Span) -> tuple[int, int, int, int]:
    return (s.start.line, s.start.column, s.end.line, s.end.column)


def _span_of(t: tuple[int, int, int, int]) -> Span:
    from .model import Position

    return Span(Position(t[0], t[1]), Position(t[2], t[3]))


def pack_result(r: FileResult) -> tuple:
    """``r`` as nested tuples of plain values (what the cache stores: faster to
    unpickle than dataclass instances)."""
    findings = tuple(
        (f.code, f.name, f.message, f.severity, _span_t(f.span), f.prompt_id,
         None if f.fix is None else (f.fix.applicability, f.fix.message,
                                     tuple((e.start, e.end, e.content, _span_t(e.span)) for e in f.fix.edits)),
         f.url, f.fingerprint_text, f.suppressed, f.suppression_reason)
        for f in r.findings)
    return (r.path, findings, r.prompts, r.comment_styles, r.imports)


def unpack_result(t: tuple) -> FileResult:
    """The inverse of :func:`pack_result`."""
    from .model import Edit, Fix

    path, findings, prompts, styles, imports = t
    out = []
    for code, name, message, severity, span, pid, fix, url, fp, suppressed, reason in findings:
        fx = None
        if fix is not None:
            fx = Fix(fix[0], tuple(Edit(s, e, c, _span_of(sp)) for s, e, c, sp in fix[2]), fix[1])
        out.append(Finding(code, name, message, severity, path, _span_of(span), pid, fx, url, fp, suppressed, reason))
    return FileResult(path, out, prompts, None, styles, imports=imports)


def cache_file(settings: Settings) -> Path:
    """Where results for these settings are cached (``.promptlint_cache`` under the root)."""
    base = settings.cache_dir or (settings.root / ".promptlint_cache")
    return base / CACHE_VERSION / f"{settings.fingerprint}.pickle"


def _load_cache(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            data = pickle.load(fh)
        return data if isinstance(data, dict) else {}
    except Exception:  # noqa: BLE001 - a corrupt cache is a cold cache
        return {}


def _save_cache(path: Path, data: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        top = path.parent.parent
        if not (top / ".gitignore").exists():
            (top / ".gitignore").write_text("# Created by promptlint\n*\n")
            (top / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
        write_atomic(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, WriteError):
        pass  # an unwritable cache folder means a cold cache next time, not a failed run


def lint_paths(paths: list[str], settings: Settings, *, use_cache: bool = True, jobs: int | None = None,
               force_exclude: bool = False) -> Report:
    """Discover files under ``paths`` and lint them all.

    Files whose content hash is in the cache for these settings are not
    re-linted (and files whose size and mtime are unchanged are not re-read).
    The rest run in ``jobs`` worker processes (default: one per CPU) when
    there are enough of them to pay for the start-up, or whenever a pool was
    started before discovery for a run expected to be cold (:func:`_early_pool`).
    Then modules whose constants others send are linted again with hints
    (:func:`follow_imports`). ``force_exclude`` applies the folder-walk rules
    to named files too. Returns a :class:`Report` in discovery order. Raises
    :class:`~promptlint.errors.UsageError` for a path that does not exist.
    """
    budget = bool(settings.tokens_options.get("budget") and any(r.check == "token-budget" for r in settings.rules))
    if budget and not settings.count_tokens:
        from dataclasses import replace

        # Results depend on the tokenizer's file: a replaced or missing one is never answered from the cache.
        stamped = _tokenizer_error_at_config(settings, lambda: settings.stamped_fingerprint("budget"))
        settings = replace(settings, fingerprint=stamped)
    cpath = cache_file(settings)
    workers = jobs or os.cpu_count() or 1
    pool, walk = _early_pool(paths, settings, workers, use_cache and cpath.exists(), budget, force_exclude)
    try:
        return _lint_paths(paths, settings, use_cache, force_exclude, budget, cpath, workers, pool, walk)
    finally:
        if pool is not None:
            pool.shutdown()


def _early_pool(paths: list[str], settings: Settings, workers: int, cached: bool, budget: bool,  # noqa: ANN202
                force_exclude: bool = False):
    """``(pool, walk)``: the worker pool of a run expected to be cold (no cache
    to answer from, a folder named, more than one worker, no tokenizer to load
    first), started before discovery, and the folder walk running beside it, or
    ``(None, None)`` otherwise (a warm run, a named file, ``--jobs 1``: the pool
    is then made when enough files need linting).

    On Linux, with no other thread running, the walk and the reading of the
    files run in a forked child (:func:`_walk_and_read` by
    :func:`~promptlint.aside.run_aside`) while this process imports the
    extractors and compiles their patterns (:func:`_warm_up`, 0.5-0.8 s on two
    cores); the workers are forked from this process once the files are in, so
    they start with the extractors loaded and the texts in memory
    (:data:`_FORKED_TEXTS`): one warm-up per run instead of one per worker, and
    no text pickled to a worker. ``walk`` is then the function that waits for the
    child. Elsewhere the workers start at once and warm up themselves while this
    process walks (``walk`` is ``None``)."""
    if cached or workers <= 1 or budget or settings.count_tokens or not any(os.path.isdir(p) for p in paths):
        return None, None
    import threading
    from concurrent.futures import ProcessPoolExecutor

    from .aside import run_aside

    # (forking a process that runs other threads can deadlock the child on a lock one of them holds)
    walk = None
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        walk = run_aside(_walk_and_read, paths, settings, force_exclude)
    if walk is not None:
        import multiprocessing

        _warm_up(settings, set(_WARM_UP))
        # (the workers fork at the first task, which waits for the texts: see _lint_paths)
        return ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(settings,),
                                   mp_context=multiprocessing.get_context("fork")), walk
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(settings, True))
    pool.submit(int)  # (forked workers start on the first task, all at once)
    return pool, None


#: Texts of the files to lint, by display path, in the process the workers are forked from when they are
#: forked after the files were read (see :func:`_early_pool`): a batch then names its files, and
#: :func:`_work` takes their texts from here.
_FORKED_TEXTS: dict[str, str] = {}


def _stamp(path: str) -> tuple[int, int] | None:
    """``(size in bytes, mtime in ns)`` of ``path``, or ``None`` when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _read_for_lint(display: str, kind: str, paths: list[str], settings: Settings):  # noqa: ANN202
    """``(text, hazards, content key)`` of one discovered file, or ``(None, False, None)``
    when it cannot be read as text (:func:`lint_file` then reports why)."""
    text, _ = read_source(display)
    if text is None:
        return None, False, None
    hazards = in_test_folder(display, paths, settings)
    return text, hazards, content_key(display, kind, hazards, text)


def _walk_and_read(paths: list[str], settings: Settings, force_exclude: bool) -> tuple[list[tuple], dict]:
    """What a cold run needs before linting, for :func:`_early_pool`'s child:
    ``([(display, kind, stamp, text, hazards, key), …], sniffed)``, the files in
    discovery order (see :func:`_stamp` and :func:`_read_for_lint`) and the kinds
    judged by content (see :func:`~promptlint.discover.discover`). Raises what
    :func:`discover` raises."""
    from .discover import discover

    sniffed: dict = {}
    files = discover(paths, settings, force_exclude, sniffed)
    return [(display, kind, _stamp(display), *_read_for_lint(display, kind, paths, settings))
            for display, kind in files], sniffed


def _lint_paths(paths: list[str], settings: Settings, use_cache: bool, force_exclude: bool, budget: bool,  # noqa: ANN001
                cpath: Path, workers: int, pool, walk=None) -> Report:
    global _FORKED_TEXTS
    from .discover import discover

    done = walk() if walk is not None else None  # ([(display, kind, stamp, text, hazards, key), …], sniffed)
    cache = _load_cache(cpath) if use_cache else {}
    # path -> (size, mtime_ns, content key): a file whose size and mtime are unchanged is not even
    # read again (as ruff's cache does); its result is still looked up by its content key.
    stats: dict = cache.setdefault(_STAT_KEY, {})
    sniffed: dict = cache.setdefault(_SNIFF_KEY, {})  # kinds judged by content: see discover()
    before = dict(sniffed)
    if done is None:  # no walk aside, or it failed: here (a missing path raises its UsageError here)
        read = None
        files = discover(paths, settings, force_exclude, sniffed)
    else:
        read, found = done
        sniffed.update(found)
        files = [(display, kind) for display, kind, *_ in read]
    stats_changed = sniffed != before
    results: dict[str, FileResult] = {}
    todo: list[tuple[str, str, str]] = []
    keys: dict[str, str] = {}
    texts: dict[str, str] = {}
    cached = 0
    for i, (display, kind) in enumerate(files):
        stamp = read[i][2] if read is not None else _stamp(display)
        known = stats.get(display)
        if use_cache and stamp is not None and known and known[:2] == stamp and known[2] in cache:
            results[display] = unpack_result(cache[known[2]])
            cached += 1
            continue
        text, hazards, key = read[i][3:] if read is not None else _read_for_lint(display, kind, paths, settings)
        if text is None:
            results[display] = lint_file(display, kind, settings)
            continue
        texts[display] = text
        keys[display] = key
        if stamp is not None:
            stats[display] = (*stamp, key)
            stats_changed = True
        hit = cache.get(key)
        if hit is not None:
            results[display] = unpack_result(hit)
            cached += 1
        else:
            todo.append((display, kind, text, hazards))
    # A Python file the extractor's prefilter drops (most of a code base) has no prompt and, without a
    # ``promptlint`` comment, no finding either: on a serial run it is settled here, before any other work.
    kept, settled = [], []
    serial = workers <= 1 or len(todo) < (1 if pool is not None else 64)  # a pool already started is used
    for item in todo:
        display, kind, text, _ = item
        # (with workers, the prefilter runs there, in parallel: here it would run on one core)
        if serial and _dropped(display, kind, text, settings):
            results[display] = FileResult(display, comment_styles=("hash",))
            settled.append(item)
        else:
            kept.append(item)
    todo = kept
    if todo and (settings.count_tokens or budget):
        _tokenizer_error_at_config(settings, settings.tokenizer)  # loaded here, once: forked workers inherit it
    if not serial:
        # Longest files first, in small batches: the workers finish together instead of one waiting on a
        # last batch of big files (results are keyed by path, so the order is free).
        # Prompty and contract files go to one worker in one batch, first: only that worker then imports the
        # contract models and the schema validator (pydantic and jsonschema, 0.34 s per process).
        contracts = [item for item in todo if item[1] in _CONTRACT_KINDS]
        todo = [item for item in todo if item[1] not in _CONTRACT_KINDS]
        todo.sort(key=lambda item: -len(item[2]))
        size = max(4, len(todo) // (workers * 32))
        batches = ([contracts] if contracts else []) + [todo[i:i + size] for i in range(0, len(todo), size)]
        todo = contracts + todo
        if read is not None:  # the workers fork from here now: they find the texts in memory
            _FORKED_TEXTS = texts
            batches = [[(display, kind, None, hazards) for display, kind, _, hazards in b] for b in batches]
        if pool is None:
            _warm_up(settings, {kind for _, kind, _, _ in todo})
            from concurrent.futures import ProcessPoolExecutor

            pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(settings,))
        from concurrent.futures.process import BrokenProcessPool

        with pool:
            try:
                for batch_results in pool.map(_work, batches):
                    for r in batch_results:
                        results[r.path] = r
            except BrokenProcessPool:  # a worker was killed (a signal, the OOM killer) or crashed in native code
                for display, *_ in todo:
                    if display not in results:
                        results[display] = lost = FileResult(display)
                        lost.error = "a worker process died while linting this file (killed, out of memory or a " \
                                     "crash in native code); nothing was reported for it"
        _FORKED_TEXTS = {}
    else:
        for display, kind, text, hazards in todo:
            results[display] = lint_text(display, text, settings, kind, hazards_only=hazards)
    if use_cache:  # each file's own result, under its own key (before imports re-lint any with hints)
        for display, *_ in todo + settled:
            r = results[display]
            if r.error is None and not r.volatile:
                cache[keys[display]] = pack_result(r)
            else:
                stats.pop(display, None)
    followed = follow_imports(results, files, settings, cache if use_cache else None, paths, texts)
    if use_cache and (todo or settled or stats_changed or followed):
        _save_cache(cpath, cache)
    _drop_echoes([results[d] for d, _ in files])
    _link_files([results[d] for d, _ in files])
    return Report([results[d] for d, _ in files], cached, texts)


def _module_files(files: list[tuple[str, str]]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Python files by every dotted suffix of their module path (``src/app/prompts.py``
    is ``app.prompts``, ``src.app.prompts`` and ``prompts``; a package's
    ``__init__.py`` is the package), and each file's display path by its
    normalised one."""
    by_module: dict[str, list[str]] = {}
    display_of: dict[str, str] = {}
    for display, kind in files:
        if kind != "python" or not display.endswith(".py"):
            continue
        norm = _normal(display)
        display_of[norm] = display
        parts = [x for x in norm[:-3].split("/") if x]
        if parts and parts[-1] == "__init__":
            parts.pop()
        for i in range(len(parts)):
            by_module.setdefault(".".join(parts[i:]), []).append(display)
    return by_module, display_of


def _normal(path: str) -> str:
    """``path`` absolute and normalised, with ``/``: module paths do not depend on where promptlint runs."""
    return os.path.abspath(path).replace(os.sep, "/")


def _resolve_import(importer: str, module: str, by_module: dict[str, list[str]],
                    display_of: dict[str, str]) -> str | None:
    """The linted file that ``from MODULE import …`` in ``importer`` reads
    (``module`` with one leading dot per relative level), or ``None`` when it is
    not one of them or more than one file could be meant."""
    level = len(module) - len(module.lstrip("."))
    rest = module[level:]
    if level:
        base = os.path.dirname(_normal(importer))
        for _ in range(level - 1):
            base = os.path.dirname(base)
            if f"{base}/__init__.py" not in display_of:
                return None  # above the top package (each level up must reach a package): Python's ImportError
        stem = "/".join(([base] if base else []) + (rest.split(".") if rest else []))
        init = f"{stem}/__init__.py" if stem else "__init__.py"
        return (display_of.get(_normal(stem + ".py")) if rest else None) or display_of.get(_normal(init))
    found = by_module.get(rest, [])
    return found[0] if len(found) == 1 else None


def content_key(display: str, kind: str, hazards: bool, text: str, extra: str = "") -> str:
    """The result-cache key of one file's text as linted (32 hex digits, BLAKE2b):
    its display path, extractor kind, whether it is test data, ``extra``
    (import hints) and its content. The settings are in the cache file's name."""
    head = f"{display}\0{kind}\0{hazards}\0" + (f"{extra}\0" if extra else "")
    return hashlib.blake2b(head.encode() + text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def follow_imports(results: dict[str, FileResult], files: list[tuple[str, str]], settings: Settings,
                   cache: dict | None, named: list[str], texts: dict[str, str] | None = None) -> bool:
    """Re-lint the modules whose constants other linted modules send to a model.

    A call site whose text is a name imported from another module of the
    project (``from .prompts import GUIDE``) makes ``GUIDE`` a prompt of that
    module (found by ``flow``) whatever its name says. Each such module is
    linted again with those names as hints, the result replacing its first one
    in ``results`` (keyed by display path); it is cached under its content, its
    hints and the settings (``cache``, ``None`` for no cache), so a warm run
    re-reads nothing. One step: names the re-linted module imports in turn are
    not followed. Imports are resolved against the files of this run only (a
    relative import from the importer's package; an absolute one when exactly
    one linted module has that dotted path). ``texts``: the files' contents
    already read, by display path. Returns whether ``cache`` changed.
    """
    texts = texts or {}
    wanted = [(d, r.imports) for d, r in results.items() if r.imports]
    if not wanted:
        return False
    by_module, display_of = _module_files(files)
    targets: dict[str, set[str]] = {}
    for display, imports in wanted:
        for module, name in imports:
            target = _resolve_import(display, module, by_module, display_of)
            if target is not None and target != display and target in results:
                targets.setdefault(target, set()).add(name)
    changed = False
    for target, names in sorted(targets.items()):
        old = results[target]
        have = {p["id"].split("::", 1)[-1] for p in old.prompts}
        need = sorted(n for n in names if n not in have)
        if old.error is not None or not need:
            continue
        text = texts.get(target) or read_source(target)[0]  # (a file the stat cache answered was not read)
        if text is None:
            continue
        hazards = in_test_folder(target, named, settings)
        key = content_key(target, "python", hazards, text, f"hints {' '.join(need)}")
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            results[target] = unpack_result(hit)
            continue
        new = lint_text(target, text, settings, "python", hazards_only=hazards, hints=frozenset(need))
        results[target] = new
        if cache is not None and new.error is None and not new.volatile:
            cache[key] = pack_result(new)
            changed = True
    return changed


def _tokenizer_error_at_config(settings: Settings, step):  # noqa: ANN001, ANN202
    """``step()``; a :class:`UsageError` it raises is placed at the config's ``tokenizer`` key (else ``budget``)."""
    from .errors import UsageError

    try:
        return step()
    except UsageError as exc:
        if settings.config_path is None:
            raise
        from .config_file import key_position

        try:
            text = settings.config_path.read_text("utf-8")
        except OSError:
            text = ""
        line, col = key_position(text, "tokenizer" if settings.tokens_options.get("tokenizer") else "budget", 1)
        raise UsageError(exc.message, str(settings.config_path), line, col) from None


def _drop_echoes(results: list[FileResult]) -> None:
    """A finding about text another file of the run holds (a prompt file a
    Python prompt reads) is reported once, by that file's own result: the
    reader's copy, at the same code, line and column there, is dropped (so a
    suppression written in that file silences both)."""
    if not any(f.elsewhere for r in results for f in r.findings):
        return
    own = {(os.path.normpath(r.path), f.code, f.span.start.line, f.span.start.column)
           for r in results for f in r.findings if f.elsewhere is None}
    for r in results:
        if any(f.elsewhere for f in r.findings):
            r.findings = [f for f in r.findings if f.elsewhere is None
                          or (os.path.normpath(f.elsewhere[0]), f.code, f.elsewhere[1], f.elsewhere[2]) not in own]


def _link_files(results: list[FileResult]) -> None:
    """Across files: a prompt file another one includes (``composed_of`` holds its
    path) lists the includer in its ``composed_into`` (prompt summaries only)."""
    by_id = {p["id"]: p for r in results for p in r.prompts}
    for r in results:
        for p in r.prompts:
            for piece in p.get("composed_of", ()):
                target = by_id.get(piece)
                if target is not None and target is not p and p["id"] not in target["composed_into"]:
                    target["composed_into"].append(p["id"])


# --- fixes ----------------------------------------------------------------------


def fixable(f: Finding, unsafe: bool) -> bool:
    """Would ``--fix`` (with ``--unsafe-fixes`` when ``unsafe``) apply ``f``'s fix?"""
    if f.fix is None or f.suppressed or not f.fix.edits:
        return False
    return f.fix.applicability == "safe" or (unsafe and f.fix.applicability == "unsafe")


@dataclass
class FixOutcome:
    """The fix loop's result for one file: ``text`` after the fixes that were
    applied (``before`` when none), ``applied`` the number of fixes, ``result``
    the lint of ``text``, and ``status``: ``fixed``, ``unchanged``, ``did not
    converge`` (fixable findings were left after :data:`MAX_FIX_ROUNDS`
    rounds) or ``would not parse`` (a round's fixes would break the file, so
    that round was dropped); ``error`` is set when writing failed."""

    path: str
    before: str
    text: str
    applied: int
    result: FileResult
    status: str
    error: str | None = None


def fix_text(path: str, text: str, kind: str, settings: Settings, *, unsafe: bool = False,
             max_rounds: int = MAX_FIX_ROUNDS, first: FileResult | None = None) -> FixOutcome:
    """Apply fixes to ``text`` round by round until none is left (at most
    ``max_rounds`` rounds; each round re-lints). ``first`` is the lint of
    ``text`` when the caller has it already (it is not linted again). A round
    whose result does not parse back is dropped and the loop stops. Returns
    a :class:`FixOutcome` (never raises)."""
    from .fixes import apply_edits

    before = text
    applied = 0
    result = first if first is not None else lint_text(path, text, settings, kind)
    status = "unchanged"
    for _ in range(max_rounds):
        edits, fixes = _group_edits(result.findings, unsafe)
        if not edits:
            break
        new_text, count = apply_edits(text, edits)
        if count == 0 or new_text == text:
            break
        if not reparses(new_text, kind):
            status = "would not parse"
            break
        text = new_text
        applied += fixes
        result = lint_text(path, text, settings, kind)
    else:
        if any(fixable(f, unsafe) for f in result.findings):
            status = "did not converge"
    if status == "unchanged" and text != before:
        status = "fixed"
    return FixOutcome(path, before, text, applied, result, status)


def fix_paths(report: Report, settings: Settings, *, unsafe: bool = False, write: bool = True) -> list[FixOutcome]:
    """Run the fix loop on every file of ``report`` that has a fixable finding
    (``unsafe`` adds the unsafe fixes) and, with ``write``, write each changed
    file atomically (only if it still holds the text that was linted; a write
    failure is the outcome's ``error``, and the other files go on). The text
    each file was linted from is reused (``Report.texts``); a file served by
    the stat cache is read once here. Returns one :class:`FixOutcome` per file
    of the report, in its order."""
    from .extract import kind_for_path

    out = []
    for r in report.results:
        text = report.texts.get(r.path)
        if not any(fixable(f, unsafe) for f in r.findings):
            out.append(FixOutcome(r.path, text or "", text or "", 0, r, "unchanged"))
            continue
        if text is None:
            text, _ = read_source(r.path)
            if text is None:
                out.append(FixOutcome(r.path, "", "", 0, r, "unchanged"))
                continue
        outcome = fix_text(r.path, text, kind_for_path(r.path), settings, unsafe=unsafe, first=r)
        if write and outcome.text != text:
            try:
                write_atomic(r.path, outcome.text, text)
            except WriteError as exc:
                outcome = FixOutcome(r.path, text, text, 0, r, outcome.status, str(exc))
        out.append(outcome)
    return out


def _group_edits(findings: list[Finding], unsafe: bool) -> tuple[list, int]:
    """Edits of all applicable fixes, keeping each fix whole: a fix with an edit
    overlapping an edit already taken is left for the next pass. Returns
    ``(edits, number_of_fixes)``."""
    taken: list = []
    fixes = 0
    spans: list[tuple[int, int]] = []
    for f in findings:
        if not fixable(f, unsafe):
            continue
        edits = f.fix.edits  # type: ignore[union-attr]
        if all(e in taken for e in edits):
            continue  # the same fix offered by several findings (one restructure per prompt)
        if any(e.start < t and s < e.end for e in edits for s, t in spans):
            continue
        taken.extend(edits)
        spans.extend((e.start, e.end) for e in edits)
        fixes += 1
    return taken, fixes
