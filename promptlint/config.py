"""Configuration: ``[tool.promptlint]`` in ``pyproject.toml`` or a ``promptlint.toml``.

Keys use kebab-case, as in ruff. Unknown keys and wrong types are errors that
name the file, line and column. :func:`load_settings` turns the file plus CLI
overrides into the :class:`Settings` every stage reads.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import __version__
from .errors import UsageError
from .rulepacks import Rule, RuleSet, load_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_NAME_PATTERNS = (
    "*_prompt", "*_prompts", "prompt", "*_template", "*_tmpl", "template", "*_instructions",
    "*_instruction", "instructions", "system_prompt", "system_message", "*_system_message",
    "*_system", "system", "*_preamble",
)
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "node_modules", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".promptlint_cache", "build", "dist", "site-packages",
    ".eggs", "*.egg-info", ".ipynb_checkpoints",
)


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=_kebab, populate_by_name=True)


class CallSiteConfig(_Base):
    """One configured LLM call site: ``callee`` (dotted suffix, ``*`` allowed) and
    either ``argument`` (keyword name or 0-based position) or ``messages``."""

    callee: str
    argument: str | int | None = None
    messages: str | None = None


class ExtractConfig(_Base):
    """``[tool.promptlint.extract]``: prompt-name patterns and call sites."""

    name_patterns: list[str] | None = None
    extend_name_patterns: list[str] = Field(default_factory=list)
    call_sites: list[CallSiteConfig] = Field(default_factory=list)


class ModelConfig(_Base):
    """``[tool.promptlint.model]``: settings for the model-driven commands.

    ``extra_buffer_types``: let llama.cpp repack weights into its extra CPU
    buffer types (default: off on CPUs with AMX, where they crash; see
    :mod:`promptlint.backends.loader`). ``chat``: wrap prompts in the GGUF's
    chat template (default: when the model has one and is not a base model).
    ``timeout``: seconds one request to an OpenAI-compatible server may wait
    for an answer (default 60); ``deadline``: seconds a whole run may spend
    on such requests (default 600).
    """

    backend: str | None = None
    path: str | None = None
    base_url: str | None = None
    name: str | None = None
    n_ctx: int | None = None
    n_gpu_layers: int | None = None
    n_threads: int | None = None
    seed: int | None = None
    extra_buffer_types: bool | None = None
    chat: bool | None = None
    timeout: float | None = Field(default=None, gt=0)
    deadline: float | None = Field(default=None, gt=0)


class FileConfig(_Base):
    """The ``[tool.promptlint]`` table."""

    select: list[str] | None = None
    extend_select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict)
    include: list[str] | None = None
    extend_include: list[str] = Field(default_factory=list)
    exclude: list[str] | None = None
    extend_exclude: list[str] = Field(default_factory=list)
    respect_gitignore: bool = True
    rule_paths: list[str] = Field(default_factory=list)
    layout: str | None = None
    fail_on: Literal["error", "warning", "info"] = "warning"
    contract_rules_in_tests: bool = False
    structure_rules: Literal["labelled", "all"] = "labelled"
    labels: dict[str, list[str]] = Field(default_factory=dict)
    cues: dict[str, list[str]] = Field(default_factory=dict)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    cache_dir: str | None = None


@dataclass
class Settings:
    """Resolved settings for one run (picklable, sent to worker processes).

    ``root`` is the folder paths are matched against (the config file's
    folder, or the working directory); ``rules`` the selected rules;
    ``fingerprint`` a hash of everything that changes findings (used in cache
    keys).
    """

    root: Path
    ruleset: RuleSet
    rules: tuple[Rule, ...]
    vocabulary: object
    name_patterns: tuple[str, ...]
    call_sites: tuple
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    include: tuple[str, ...] = ()
    extend_include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    respect_gitignore: bool = True
    config_path: Path | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    layout: str | None = None
    fail_on: str = "warning"
    contract_rules_in_tests: bool = False
    #: Which prompts the structure rules (``missing-*``, ``sections-not-separated``) judge: ``labelled``
    #: (default) only prompts that label at least two contract parts (see :attr:`Analysis.labelled_parts`),
    #: ``all`` every prompt.
    structure_rules: str = "labelled"
    cache_dir: Path | None = None
    fingerprint: str = ""

    def rules_for(self, path: str) -> tuple[Rule, ...]:
        """The selected rules minus those ``per-file-ignores`` turns off for ``path``."""
        ignored: list[str] = []
        rel = path.replace("\\", "/")
        for pattern, selectors in self.per_file_ignores:
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(Path(rel).name, pattern) or rel.endswith("/" + pattern.lstrip("/")):
                ignored.extend(selectors)
        if not ignored:
            return self.rules
        return tuple(r for r in self.rules if not any(_matches(s, r) for s in ignored))


def _matches(selector: str, rule: Rule) -> int:
    """Specificity of ``selector`` for ``rule`` (0 = no match): a name or full
    code is most specific, then longer code prefixes; ``ALL`` (every rule) and
    ``DEFAULT`` (the rules with ``default: true``, the selection when ``select``
    is unset) match weakly."""
    s = selector.strip()
    if s.upper() == "ALL":
        return 1
    if s.upper() == "DEFAULT":
        return 1 if rule.default else 0
    if s.lower() == rule.name:
        return 100
    if rule.code.startswith(s.upper()) and len(s) >= 2:
        return 2 + len(s)
    return 0


def select_rules(ruleset: RuleSet, select: list[str], extend_select: list[str], ignore: list[str]) -> tuple[Rule, ...]:
    """Rules chosen by ruff-style selectors: for each rule the most specific
    matching selector decides; on a tie ``ignore`` wins.

    Raises :class:`UsageError` for a selector that matches no rule.
    """
    for s in select + extend_select + ignore:
        if not any(_matches(s, r) for r in ruleset.rules):
            raise UsageError(f"unknown rule selector {s!r} (see `promptlint rules`)")
    chosen = []
    for r in ruleset.rules:
        on = max((_matches(s, r) for s in select + extend_select), default=0)
        off = max((_matches(s, r) for s in ignore), default=0)
        if on and on > off:
            chosen.append(r)
    return tuple(chosen)


def toml_error(exc: Exception, path: str) -> UsageError:
    """A :class:`UsageError` at the line and column a ``tomllib`` error names."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    msg = re.sub(r"\s*\(at line.*\)$", "", str(exc))
    return UsageError(f"invalid TOML: {msg}", path, int(m.group(1)) if m else None, int(m.group(2)) if m else None)


def find_config(start: Path) -> Path | None:
    """The nearest ``promptlint.toml``, or ``pyproject.toml`` holding
    ``[tool.promptlint]``, in ``start`` or its parents."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        p = folder / "promptlint.toml"
        if p.is_file():
            return p
        q = folder / "pyproject.toml"
        if q.is_file():
            try:
                data = tomllib.loads(q.read_text("utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise toml_error(exc, str(q)) from None
            except (UnicodeDecodeError, OSError) as exc:
                raise UsageError(f"cannot read: {exc}", str(q)) from None
            if "promptlint" in data.get("tool", {}):
                return q
    return None


def _key_position(text: str, key: str, table_line: int) -> tuple[int, int]:
    """1-based line/column of ``key`` in the TOML ``text`` at or after ``table_line``."""
    rx = re.compile(r"^[ \t]*[\"']?" + re.escape(str(key)) + r"[\"']?[ \t]*=", re.M)
    lines = text.splitlines(keepends=True)
    start = sum(len(x) for x in lines[: max(0, table_line - 1)])
    m = rx.search(text, start) or rx.search(text)
    if not m:
        tm = re.search(r"^\[[^\]]*" + re.escape(str(key)) + r"[^\]]*\]", text, re.M)
        if tm:
            return text.count("\n", 0, tm.start()) + 1, 1
        return table_line, 1
    line = text.count("\n", 0, m.start()) + 1
    col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + len(m.group(0)) - len(m.group(0).lstrip())
    return line, col + 1


def read_file_config(path: Path) -> tuple[FileConfig, str]:
    """Parse and validate the config table of ``path``.

    Returns the model and the raw text. Raises :class:`UsageError` with line
    and column for TOML syntax errors, unknown keys and wrong types.
    """
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config: {exc}", str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, str(path)) from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("promptlint", {})
        header = re.search(r"^\[tool\.promptlint\]", text, re.M)
    else:
        table = data.get("tool", {}).get("promptlint", data)
        header = None
    table_line = text.count("\n", 0, header.start()) + 1 if header else 1
    try:
        return FileConfig.model_validate(table), text
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [x for x in err["loc"] if isinstance(x, str)]
        key = loc[-1] if loc else "promptlint"
        line, col = _key_position(text, key, table_line)
        if err["type"] == "extra_forbidden":
            where = "[tool.promptlint]" if path.name == "pyproject.toml" else path.name
            msg = f"unknown key {'.'.join(loc)!r} in {where}"
        else:
            msg = f"{'.'.join(loc)}: {err['msg']}"
        raise UsageError(msg, str(path), line, col) from None


def load_settings(paths: list[str] | None = None, *, config: str | None = None, select: list[str] | None = None,
                  extend_select: list[str] | None = None, ignore: list[str] | None = None,
                  structure_rules: str | None = None) -> Settings:
    """Build :class:`Settings` from the config file found for ``paths`` (or the
    one named by ``config``) and CLI overrides. ``select`` replaces the file's
    ``select``; ``extend_select`` and ``ignore`` add to it; ``structure_rules``
    (``labelled`` | ``all``) replaces the file's ``structure-rules``.

    Raises :class:`UsageError` for a bad config, rule pack or selector.
    """
    from .extract.callsites import DEFAULT_CALL_SITES, call_sites_from_config
    from .sections import Vocabulary

    if config:
        cfg_path: Path | None = Path(config)
        if not cfg_path.is_file():
            raise UsageError(f"config file {config!r} does not exist")
    else:
        first = Path(paths[0]) if paths else Path.cwd()
        cfg_path = find_config(first if first.is_dir() else first.parent)
    if cfg_path is not None:
        fc, raw = read_file_config(cfg_path)
        root = cfg_path.parent.resolve()
    else:
        fc, raw = FileConfig(), ""
        root = Path.cwd().resolve()
    rule_paths = tuple(str((root / p).resolve()) for p in fc.rule_paths)
    from .checks import RULE_CHECK_KINDS  # here, not at import: a warm run never loads the checks

    ruleset = load_rules(rule_paths, RULE_CHECK_KINDS)
    sel = select if select is not None else (fc.select or ["DEFAULT"])
    for key, selectors in (("select", fc.select or []), ("extend-select", fc.extend_select), ("ignore", fc.ignore)):
        for s in selectors:
            if not any(_matches(s, r) for r in ruleset.rules):
                line, col = _key_position(raw, key, 1)
                raise UsageError(f"unknown rule selector {s!r} in `{key}` (see `promptlint rules`)", str(cfg_path),
                                 line, col)
    rules = select_rules(ruleset, list(sel), fc.extend_select + list(extend_select or []), fc.ignore + list(ignore or []))
    try:
        vocab = Vocabulary.from_data(ruleset.vocabulary, fc.labels, fc.cues)
    except KeyError as exc:
        line, col = _key_position(raw, exc.args[0], 1)
        raise UsageError(f"unknown contract part {exc.args[0]!r} in labels/cues (parts: context, constraints, task, "
                         "output_contract, stop_condition, verification)", str(cfg_path), line, col) from None
    except re.error as exc:
        raise UsageError(f"invalid cue regular expression: {exc}", str(cfg_path)) from None
    patterns = tuple(fc.extract.name_patterns or DEFAULT_NAME_PATTERNS) + tuple(fc.extract.extend_name_patterns)
    sites = call_sites_from_config([c.model_dump(exclude_none=True) for c in fc.extract.call_sites]) + DEFAULT_CALL_SITES
    for pattern, selectors in fc.per_file_ignores.items():
        for s in selectors:
            if not any(_matches(s, r) for r in ruleset.rules):
                raise UsageError(f"unknown rule selector {s!r} in per-file-ignores", str(cfg_path))
    fp = hashlib.sha256(json.dumps([
        __version__, ruleset.version, [r.code for r in rules], raw, sel, extend_select, ignore,
    ], sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Settings(
        root=root, ruleset=ruleset, rules=rules, vocabulary=vocab, name_patterns=patterns, call_sites=sites,
        per_file_ignores=tuple((k, tuple(v)) for k, v in fc.per_file_ignores.items()),
        include=tuple(fc.include or ()), extend_include=tuple(fc.extend_include),
        exclude=(tuple(fc.exclude) if fc.exclude is not None else DEFAULT_EXCLUDE) + tuple(fc.extend_exclude),
        respect_gitignore=fc.respect_gitignore, config_path=cfg_path, model=fc.model, layout=fc.layout,
        fail_on=fc.fail_on, contract_rules_in_tests=fc.contract_rules_in_tests, structure_rules=structure_rules or fc.structure_rules,
        cache_dir=(root / fc.cache_dir) if fc.cache_dir else None, fingerprint=fp,
    )
