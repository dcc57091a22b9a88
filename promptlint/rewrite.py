"""``promptlint rewrite``: restructure a prompt with a model, check it, write it back.

The model only fills a JSON object (:data:`REWRITE_SCHEMA`, enforced by the
backend's JSON-schema grammar or structured outputs). promptlint renders it
deterministically (:func:`promptlint.restructure.render_parts`) in the
prompt's own template syntax and layout, then checks every invariant on every
attempt:

1. every placeholder of the original survives and none is added;
2. no new facts: numbers, URLs, quoted strings or proper names the original lacks;
3. the result has no ``missing-task``, ``missing-output-contract`` or
   ``sections-not-separated`` finding;
4. the file still parses, only that prompt's text changed, and extracting the
   prompt again gives back exactly the rewritten text;
5. nothing of the original is lost: at least :data:`MIN_COVERAGE` of its
   distinct content words (four letters or more) appear in the rewrite, and no
   part the model fills is a stub of fewer than two words.

A failed attempt is retried with its failures named; after ``max_attempts``
promptlint falls back to the deterministic restructure
(:mod:`promptlint.restructure`) and says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .analysis import Analysis, analyse
from .backends.isolated import BackendCrashed
from .writeback import RewriteError, escape_for_syntax, protected_spans, replace_message
from .config import Settings
from .extract import extract
from .model import PART_NAMES, Message, Prompt, SourceMap
from .restructure import layout_for, render_parts, restructure, todo_text, wanted_parts

REWRITE_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "required": ["context", "constraints", "task", "output_contract", "stop_condition", "verification", "changes"],
    "properties": {
        "context": {"type": "string", "maxLength": 240},
        "constraints": {"type": "array", "maxItems": 4, "items": {"type": "string", "maxLength": 120}},
        "task": {"type": "string", "maxLength": 160},
        "output_contract": {"type": "string", "maxLength": 160},
        "stop_condition": {"type": "string", "maxLength": 160},
        "verification": {"type": "string", "maxLength": 160},
        "changes": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 100}},
    },
}
MIN_COVERAGE = 0.8
_CONTENT_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{4,}")


def coverage(original: str, new: str, ignore: list[str] = ()) -> tuple[float, list[str]]:
    """Share of the distinct content words (four letters or more, case-folded)
    of ``original`` that ``new`` still contains, and the missing ones.
    Placeholder spellings in ``ignore`` are left out of both texts."""
    for spelling in ignore:
        original = original.replace(spelling, " ")
    words = {w.lower() for w in _CONTENT_WORD.findall(original)}
    if not words:
        return 1.0, []
    present = {w.lower() for w in _CONTENT_WORD.findall(new)}
    missing = sorted(words - present)
    return 1 - len(missing) / len(words), missing


@dataclass
class Attempt:
    """One model attempt: its failures (empty when it passed) and the model's
    clocks (``ttft_ms``/``ttlt_ms`` in ms) and token counts."""

    failures: list[str]
    ttft_ms: float = 0.0
    ttlt_ms: float = 0.0
    tokens_in: int | None = 0
    tokens_out: int = 0


@dataclass
class RewriteResult:
    """The outcome for one prompt: ``source`` is ``model`` or ``fallback``;
    ``file_after`` is the whole file with the rewrite applied."""

    prompt_id: str
    path: str
    source: str
    old_text: str
    new_text: str
    file_before: str
    file_after: str
    changes: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)


# --- facts -------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*")
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.]+")
_QUOTED = re.compile(r"\"([^\"\n]{1,80})\"|“([^”\n]{1,80})”|(?<![\w])'([^'\n]{2,80})'(?![\w])")
_CAPITALISED = re.compile(r"(?<![\w'’])([A-Z][a-zA-Z0-9]+(?:[-'][A-Za-z]+)?)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*(?:[-*•]\s+|\d+[.)]\s+|#+\s+)?|\"\s*|\(\s*)$")
_FREE_WORDS = {"todo", "i", "json", "yaml", "xml", "csv", "markdown", "html", "english", "ai", "llm"}


def facts(text: str) -> dict[str, set[str]]:
    """Numbers, URLs/emails, quoted strings and proper names in ``text``.

    A proper name is a capitalised word that does not start a sentence, a list
    item or a heading. Returns ``{kind: {fact, …}}``.
    """
    out: dict[str, set[str]] = {"number": set(), "url": set(), "quoted": set(), "name": set()}
    out["number"] = set(_NUMBER.findall(text))
    out["url"] = set(_URL.findall(text))
    out["quoted"] = {next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)}
    for m in _CAPITALISED.finditer(text):
        if not _SENTENCE_START.search(text[max(0, m.start() - 12):m.start()]):
            out["name"].add(m.group(1))
    return out


def new_facts(original: str, new: str, allowed: str = "") -> list[str]:
    """Facts of ``new`` that neither ``original`` nor ``allowed`` (labels, TODO
    text) contains, as readable strings (``number 42``)."""
    haystack = (original + "\n" + allowed).lower()
    words = set(re.findall(r"[\w'’-]+", haystack))
    found = []
    for kind, items in facts(new).items():
        for item in sorted(items):
            low = item.lower()
            if kind == "name":
                if low in words or low in _FREE_WORDS:
                    continue
            elif kind == "number":
                if re.search(r"(?<![\d.])" + re.escape(low) + r"(?![\d])", haystack):
                    continue
            elif low in haystack:
                continue
            found.append(f"{kind} {item!r}")
    return found


# --- rendering ---------------------------------------------------------------


def render_answer(answer: dict, analysis: Analysis, path: str, settings: Settings) -> tuple[str, list[str]]:
    """Render the model's JSON ``answer`` as prompt text; returns ``(text, failures)``."""
    msg = analysis.prompt.main
    keep = protected_spans(msg, analysis)
    parts: dict[str, list[str]] = {}
    failures: list[str] = []
    for part in PART_NAMES:
        value = answer.get(part)
        items = value if isinstance(value, list) else [value or ""]
        items = [i.strip() for i in items if isinstance(i, str) and i.strip()]
        for item in items:
            if len(item.split()) < 2:
                failures.append(f"gives the {part.replace('_', ' ')} as a stub ({item!r})")
        if not items:
            items = [todo_text(part, settings.ruleset)]
        escaped = []
        for item in items:
            text, fails = escape_for_syntax(item, msg.syntax, keep)
            escaped.append(text)
            failures += fails
        parts[part] = escaped
    return render_parts(parts, layout_for(path, analysis, settings.layout)), failures


# --- invariants --------------------------------------------------------------


def check_invariants(analysis: Analysis, new_text: str, path: str, file_text: str, kind: str,
                     settings: Settings) -> tuple[list[str], str | None]:
    """Check invariants 1–4 for replacing the primary message with ``new_text``.

    Returns ``(failures, new_file_text)``; ``new_file_text`` is ``None`` when
    the file could not be built or parsed back.
    """
    prompt = analysis.prompt
    msg = prompt.main
    failures: list[str] = []
    before = set(n for n in lex_names(msg, analysis))
    after_msg = Message(new_text, SourceMap.identity(0, len(new_text)), role=msg.role, syntax=msg.syntax)
    if msg.syntax == "fstring":
        after_msg.placeholders = [p for p in _fstring_placeholders(new_text, protected_spans(msg, analysis))]
    after_prompt = Prompt(prompt.id, prompt.path, prompt.name,
                          [after_msg if i == prompt.primary else m for i, m in enumerate(prompt.messages)],
                          primary=prompt.primary)
    after = analyse(after_prompt, settings.vocabulary)
    after_names = set(lex_names(after_msg, after))
    for name in sorted(before - after_names):
        failures.append(f"drops placeholder {name!r}")
    for name in sorted(after_names - before):
        failures.append(f"adds placeholder {name!r}")
    allowed = " ".join(todo_text(p, settings.ruleset) for p in PART_NAMES) + " Context Constraints Task Output format Stop condition Verification"
    for fact in new_facts(analysis.text, new_text, allowed):
        failures.append(f"adds a fact the original lacks: {fact}")
    share, lost = coverage(msg.text, new_text, protected_spans(msg, analysis))
    if share < MIN_COVERAGE:
        failures.append(f"drops {1 - share:.0%} of the original's wording (e.g. {', '.join(lost[:5])})")
    if not after.sections.parts["task"].present:
        failures.append("missing-task: no task")
    if not after.sections.parts["output_contract"].present:
        failures.append("missing-output-contract: no output contract")
    if not after.sections.separated and len(after.sections.present) >= 2:
        failures.append("sections-not-separated: parts are not each in their own block")
    try:
        new_file = replace_message(file_text, msg, new_text, kind)
    except RewriteError as exc:
        return failures + [str(exc)], None
    from .source import reparses

    if not reparses(new_file, kind):
        return failures + ["the file no longer parses"], None
    again = extract(path, new_file, kind, settings)
    twin = next((p for p in again.prompts if p.id == prompt.id), None)
    if twin is None or twin.main.text.strip() != new_text.strip():
        failures.append("the rewritten file does not give back the rewritten prompt")
    if msg.syntax == "jinja":
        from jinja2 import TemplateSyntaxError

        from .template import parse_jinja

        try:
            parse_jinja(new_text)
        except TemplateSyntaxError as exc:
            failures.append(f"the Jinja template no longer parses: {exc.message}")
    return failures, new_file


def lex_names(msg: Message, analysis: Analysis) -> list[str]:
    """Placeholder names of ``msg`` as lexed in ``analysis``."""
    view = analysis.views[analysis.prompt.messages.index(msg)]
    return [p.name for p in view.template.placeholders]


def _fstring_placeholders(text: str, spellings: list[str]):  # noqa: ANN202
    from .model import Placeholder

    for s in set(spellings):
        for m in re.finditer(re.escape(s), text):
            yield Placeholder(s[1:-1].split("!")[0].split(":")[0].strip(), m.start(), m.end())
    for m in re.finditer(r"(?<!\{)\{(?!\{)([^{}]*)\}(?!\})", text):
        if m.group(0) not in spellings:
            yield Placeholder(m.group(1).strip(), m.start(), m.end())


# --- the job -----------------------------------------------------------------


def model_prompt(original: str, failures: list[str]) -> str:
    """The instruction the model completes (the JSON object follows it)."""
    retry = ""
    if failures:
        retry = "\nA previous answer was rejected because it " + "; ".join(failures[:6]) + ". Fix that.\n"
    return (
        "Rewrite the prompt below into labelled parts. Copy sentences from the original; keep every "
        "placeholder exactly as written; add no new numbers, names, quotes or URLs. Use an empty string for a "
        "part the original does not state.\n\n"
        f"Original prompt:\n<<<\n{original.strip()}\n>>>\n{retry}\n"
        "Answer with one JSON object with the keys context, constraints (a list), task, output_contract, "
        "stop_condition, verification and changes (a list saying what you changed and why).\nJSON: "
    )


def parse_answer(text: str, finish_reason: str) -> tuple[dict | None, list[str]]:
    """Parse and validate the model's JSON answer; returns ``(answer, failures)``."""
    from jsonschema import Draft202012Validator

    if finish_reason == "length":
        return None, ["was cut off at the token limit (truncated JSON)"]
    try:
        data = json.loads(text.strip() or "null")
    except json.JSONDecodeError as exc:
        return None, [f"is not valid JSON ({exc.msg} at character {exc.pos})"]
    errors = list(Draft202012Validator(REWRITE_SCHEMA).iter_errors(data))
    if errors:
        return None, [f"does not match the answer schema ({errors[0].message})"]
    return data, []


def select_prompts(path: str, text: str, kind: str, settings: Settings, prompt_id: str | None) -> list[Prompt]:
    """The prompts of ``path`` to rewrite: the one named ``prompt_id`` (full id or
    the part after ``::``), else every prompt with a structure finding, as
    ``check`` reports it with ``settings`` (a rule whose
    :attr:`~promptlint.rulepacks.Rule.restructures` is true). Where no
    structure rule is selected for ``path`` (the default selection), every
    prompt ``check`` judges as one (kind ``prompt``) that lacks a task or an
    output contract or whose parts run together.

    Raises :class:`RewriteError` for an unknown id or a file that does not parse.
    """
    ex = extract(path, text, kind, settings)
    if ex.problems:
        pos = ex.problems[0]
        from .model import LineIndex

        p = LineIndex(text).position(pos.offset)
        raise RewriteError(f"{path}:{p.line}:{p.column}: {pos.message}")
    if prompt_id:
        chosen = [p for p in ex.prompts if p.id == prompt_id or p.id == f"{path}::{prompt_id}" or p.name == prompt_id]
        if not chosen:
            known = ", ".join(p.id for p in ex.prompts) or "none"
            raise RewriteError(f"{path}: no prompt {prompt_id!r} (prompts found: {known})")
        return chosen
    from .engine import lint_text

    linted = lint_text(path, text, settings, kind)
    structure = {r.code for r in settings.rules_for(path) if r.restructures}
    if structure and linted.error is None:
        flagged = {f.prompt_id for f in linted.findings if f.code in structure}
        return [p for p in ex.prompts if p.id in flagged]
    judged = {s["id"] for s in linted.prompts if s.get("kind") == "prompt"} if linted.error is None else None
    out = []
    for p in ex.prompts:
        if judged is not None and p.id not in judged:
            continue  # a ping, a data value, a fragment: check judges no contract there, nor does rewrite
        a = analyse(p, settings.vocabulary)
        s = a.sections
        if not s.parts["task"].present or not s.parts["output_contract"].present or not s.separated:
            out.append(p)
    return out


def rewrite_prompt(prompt: Prompt, path: str, file_text: str, kind: str, settings: Settings, backend=None,  # noqa: ANN001
                   max_attempts: int = 3, seed: int | None = 0, max_tokens: int = 400,
                   on_attempt=None) -> RewriteResult:  # noqa: ANN001
    """Rewrite one prompt (see module docstring). ``backend`` ``None`` skips the
    model and goes straight to the deterministic restructure.

    Raises :class:`RewriteError` when even the fallback cannot be written back,
    and :class:`~promptlint.backends.BackendError` when the model cannot run.
    """
    analysis = analyse(prompt, settings.vocabulary)
    msg = prompt.main
    if msg.encoding is None:  # (said before any model time is spent, and not as a failed check)
        raise RewriteError(f"{path}: {prompt.id}: promptlint does not write new text into this {kind} value "
                           "(it rewrites Python literals, JSON strings and prompt files)")
    attempts: list[Attempt] = []
    failures: list[str] = []
    if backend is not None:
        for n in range(max_attempts):
            try:
                gen = backend.generate(model_prompt(msg.text, failures), max_tokens=max_tokens, temperature=0.3,
                                       seed=None if seed is None else seed + n, schema=REWRITE_SCHEMA)
            except BackendCrashed as exc:
                raise exc.during(f"rewriting {prompt.id}") from None
            attempt = Attempt([], gen.ttft_ms, gen.ttlt_ms, gen.tokens_in, gen.tokens_out)
            attempts.append(attempt)
            answer, failures = parse_answer(gen.text, gen.finish_reason)
            new_file = None
            if answer is not None:
                new_text, failures = render_answer(answer, analysis, path, settings)
                if not failures:
                    failures, new_file = check_invariants(analysis, new_text, path, file_text, kind, settings)
            attempt.failures = list(failures)
            if on_attempt:
                on_attempt(n + 1, attempt)
            if not failures and new_file is not None:
                changes = [c for c in answer.get("changes", []) if isinstance(c, str) and c.strip()]
                return RewriteResult(prompt.id, path, "model", msg.text, new_text, file_text, new_file,
                                     changes or ["Restructured into labelled contract parts."], attempts)
    fallback = restructure(analysis, path, settings.ruleset, settings.layout, wanted_parts(settings, path))
    new_text = fallback.text
    if msg.syntax in ("format", "fstring"):
        new_text, _ = escape_for_syntax(new_text, msg.syntax, protected_spans(msg, analysis)) if msg.syntax == "format" else (new_text, [])
    fails, new_file = check_invariants(analysis, new_text, path, file_text, kind, settings)
    hard = [f for f in fails if not f.startswith(("missing-", "sections-"))]
    if new_file is None or hard:
        raise RewriteError(f"{path}: {prompt.id}: the deterministic restructure failed its checks: {'; '.join(fails)}")
    changes = []
    if not fallback.kept_layout:
        changes.append("Moved each sentence of the original under the label of the contract part it states.")
    if fallback.todo_parts:
        changes.append("Added TODO markers for parts the original lacks: "
                       + ", ".join(p.replace("_", " ") for p in fallback.todo_parts) + ".")
    if attempts:
        changes.append(f"The model's answers failed the checks {len(attempts)} time(s); this is promptlint's "
                       "deterministic restructure.")
    return RewriteResult(prompt.id, path, "fallback", msg.text, new_text, file_text, new_file, changes, attempts)
