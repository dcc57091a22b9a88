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

from . import __version__
from .errors import UsageError
from .rulepacks import Rule, RuleSet, load_rules, pack_digest

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
    #: The ``ignore`` selectors of the config file and the command line: rules the user turned off by name.
    ignored: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    extend_include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    respect_gitignore: bool = True
    config_path: Path | None = None
    #: The ``[tool.promptlint.model]`` table as validated (plain values; see :attr:`model`).
    model_options: dict = field(default_factory=dict)
    layout: str | None = None
    fail_on: str = "warning"
    contract_rules_in_tests: bool = False
    #: Which prompts the structure rules (``missing-*``, ``sections-not-separated``) judge: ``labelled``
    #: (default) only prompts that label at least two contract parts (see :attr:`Analysis.labelled_parts`),
    #: ``all`` every prompt.
    structure_rules: str = "labelled"
    cache_dir: Path | None = None
    fingerprint: str = ""
    #: Configured prompt wrappers (``[tool.promptlint.extract] wrappers``; see
    #: :data:`promptlint.extract.python.WRAPPERS`).
    wrappers: tuple[str, ...] = ()
    #: Configured caching decorators (``[tool.promptlint.extract] cache-decorators``; see
    #: :mod:`promptlint.extract.caching`).
    cache_decorators: tuple[str, ...] = ()
    #: The ``[tool.promptlint.tokens]`` table (``tokenizer``, ``budget``; see :mod:`promptlint.tokens`).
    tokens_options: dict = field(default_factory=dict)
    #: The ``[tool.promptlint.prices]`` table (``input``/``output`` per million tokens, ``currency``), or ``None``.
    prices: dict | None = None
    #: Whether prompt summaries carry token counts (``promptlint prompts`` sets it; see :meth:`with_token_counts`).
    count_tokens: bool = False

    def tokenizer(self):  # noqa: ANN201 - promptlint.tokens.Tokenizer
        """The tokenizer the config names (loaded once per process; see
        :func:`promptlint.tokens.load_tokenizer`). Raises :class:`UsageError`
        when it cannot be loaded."""
        from .tokens import load_tokenizer

        return load_tokenizer(self.tokens_options.get("tokenizer"), self.model_options.get("path"), self.root)

    def tokenizer_stamp(self) -> str:
        """:func:`promptlint.tokens.tokenizer_stamp` of the configured tokenizer (raises :class:`UsageError`)."""
        from .tokens import tokenizer_stamp

        return tokenizer_stamp(self.tokens_options.get("tokenizer"), self.model_options.get("path"), self.root)

    def with_token_counts(self) -> "Settings":
        """These settings with token counts in prompt summaries (their results cached apart, per tokenizer file)."""
        from dataclasses import replace

        return replace(self, count_tokens=True, fingerprint=self.stamped_fingerprint("tokens"))

    def stamped_fingerprint(self, what: str) -> str:
        """:attr:`fingerprint` with ``what`` and a hash of :meth:`tokenizer_stamp`: a results-cache key for runs
        whose results depend on the tokenizer file. Raises :class:`UsageError` as :meth:`tokenizer_stamp`."""
        import hashlib

        return f"{self.fingerprint}-{what}-" + hashlib.sha256(self.tokenizer_stamp().encode()).hexdigest()[:8]

    @property
    def model(self):  # noqa: ANN201 - config_file.ModelConfig (imports pydantic)
        """The model options as a :class:`~promptlint.config_file.ModelConfig`."""
        from .config_file import ModelConfig

        return ModelConfig.model_validate(self.model_options)

    def file_ignores(self, path: str) -> list[str]:
        """The selectors of the ``per-file-ignores`` entries whose pattern matches ``path``."""
        ignored: list[str] = []
        rel = path.replace("\\", "/")
        for pattern, selectors in self.per_file_ignores:
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(Path(rel).name, pattern) or rel.endswith("/" + pattern.lstrip("/")):
                ignored.extend(selectors)
        return ignored

    def ignores(self, path: str, rule: Rule) -> bool:
        """Did the user turn ``rule`` off for ``path`` by name: an ``ignore``
        selector, or a ``per-file-ignores`` entry whose pattern matches ``path``,
        that matches the rule (not merely left out of the selection)?"""
        return any(_matches(s, rule) for s in (*self.ignored, *self.file_ignores(path)))

    def rules_for(self, path: str) -> tuple[Rule, ...]:
        """The selected rules minus those ``per-file-ignores`` turns off for ``path``."""
        ignored = self.file_ignores(path)
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
                from .config_file import toml_error

                raise toml_error(exc, str(q)) from None
            except (UnicodeDecodeError, OSError) as exc:
                raise UsageError(f"cannot read: {exc}", str(q)) from None
            if "promptlint" in data.get("tool", {}):
                return q
    return None


def load_settings(paths: list[str] | None = None, *, config: str | None = None, select: list[str] | None = None,
                  extend_select: list[str] | None = None, ignore: list[str] | None = None,
                  structure_rules: str | None = None) -> Settings:
    """Build :class:`Settings` from the config file found for ``paths`` (or the
    one named by ``config``) and CLI overrides. ``select`` replaces the file's
    ``select``; ``extend_select`` and ``ignore`` add to it; ``structure_rules``
    (``labelled`` | ``all``) replaces the file's ``structure-rules``.

    Settings built once are kept in the settings cache (:func:`settings_cache_dir`)
    under a key of everything they are built from: promptlint's version and
    source files, the config file's path and text, the working directory, the
    overrides; a hit is used only while the rule packs' bytes still hash to the
    same digest. A warm run so skips validating the config (pydantic), parsing
    the rule packs (YAML) and compiling the vocabulary.

    Raises :class:`UsageError` for a bad config, rule pack or selector.
    """
    if config:
        cfg_path: Path | None = Path(config)
        if not cfg_path.is_file():
            raise UsageError(f"config file {config!r} does not exist")
    else:
        first = Path(paths[0]) if paths else Path.cwd()
        cfg_path = find_config(first if first.is_dir() else first.parent)
    raw = ""
    if cfg_path is not None:
        try:
            raw = cfg_path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read config: {exc}", str(cfg_path)) from None
    root = cfg_path.parent.resolve() if cfg_path is not None else Path.cwd().resolve()
    key = _settings_key(cfg_path, raw, root, select, extend_select, ignore, structure_rules)
    cached = _cached_settings(key)
    if cached is not None:
        return cached
    # Built from the very text the key was made of (read once: an edit in between cannot file it under the old key).
    settings = _build_settings(cfg_path, raw, root, select, extend_select, ignore, structure_rules)
    _store_settings(key, settings)
    return settings


def settings_cache_dir() -> Path:
    """Where built :class:`Settings` are cached: ``$PROMPTLINT_SETTINGS_CACHE``,
    else ``settings`` in the user cache folder (platformdirs)."""
    import os

    env = os.environ.get("PROMPTLINT_SETTINGS_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("promptlint", appauthor=False)) / "settings"


#: Modules whose classes a cached :class:`Settings` holds: an edit to one of them (a development checkout) is a
#: new cache key, as a new version is.
_SHAPING_MODULES = ("config.py", "config_file.py", "rulepacks.py", "vocabulary.py", "extract/callsites.py",
                    "checks/__init__.py")


def _settings_key(cfg_path: Path | None, raw: str, root: Path, *overrides) -> str:  # noqa: ANN002
    here = Path(__file__).parent
    stamps = []
    for name in _SHAPING_MODULES:
        try:
            st = (here / name).stat()
            stamps.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((name, None, None))
    blob = json.dumps([__version__, sys.version, stamps, str(cfg_path) if cfg_path else None,
                       str(cfg_path.resolve()) if cfg_path else None, raw,
                       str(root), overrides], default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _cached_settings(key: str) -> Settings | None:
    """The cached settings under ``key`` while their rule packs are unchanged
    (``None`` otherwise, or when the cache cannot be read)."""
    import pickle

    try:
        with open(settings_cache_dir() / f"{key}.pickle", "rb") as fh:
            settings, pack_paths, digest = pickle.load(fh)
        if pack_digest(pack_paths) != digest or not isinstance(settings, Settings):
            return None
    except Exception:  # noqa: BLE001 - a missing, stale or corrupt entry is a miss
        return None
    return settings


def _store_settings(key: str, settings: Settings) -> None:
    import pickle

    from .source import WriteError, write_atomic

    try:
        folder = settings_cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        packs = settings.ruleset.pack_paths
        write_atomic(folder / f"{key}.pickle",
                     pickle.dumps((settings, packs, settings.ruleset.version), protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, WriteError, pickle.PicklingError, AttributeError):
        pass  # no cache: the next run builds the settings again


def _build_settings(cfg_path: Path | None, text: str, root: Path, select, extend_select, ignore,  # noqa: ANN001
                    structure_rules) -> Settings:  # noqa: ANN001
    from .config_file import FileConfig, key_position, read_file_config
    from .extract.callsites import DEFAULT_CALL_SITES, call_sites_from_config, wrapper_sites
    from .vocabulary import Vocabulary

    if cfg_path is not None:
        fc, raw = read_file_config(cfg_path, text)
    else:
        fc, raw = FileConfig(), ""
    rule_paths = tuple(str((root / p).resolve()) for p in fc.rule_paths)
    for given, p in zip(fc.rule_paths, rule_paths):
        if not Path(p).is_dir():
            line, col = key_position(raw, "rule-paths", 1)
            raise UsageError(f"rule pack folder {given!r} ({p}) does not exist", str(cfg_path), line, col)
    from .checks import RULE_CHECK_KINDS  # here, not at import: a warm run never loads the checks

    ruleset = load_rules(rule_paths, RULE_CHECK_KINDS)
    sel = select if select is not None else (fc.select or ["DEFAULT"])
    for key, selectors in (("select", fc.select or []), ("extend-select", fc.extend_select), ("ignore", fc.ignore)):
        for s in selectors:
            if not any(_matches(s, r) for r in ruleset.rules):
                line, col = key_position(raw, key, 1)
                raise UsageError(f"unknown rule selector {s!r} in `{key}` (see `promptlint rules`)", str(cfg_path),
                                 line, col)
    # ``--select`` replaces the file's selection, its ``extend-select`` included (as ruff's does); its ``ignore`` stays.
    extend = (fc.extend_select if select is None else []) + list(extend_select or [])
    rules = select_rules(ruleset, list(sel), extend, fc.ignore + list(ignore or []))
    try:
        vocab = Vocabulary.from_data(ruleset.vocabulary, fc.labels, fc.cues)
    except KeyError as exc:
        line, col = key_position(raw, exc.args[0], 1)
        raise UsageError(f"unknown contract part {exc.args[0]!r} in labels/cues (parts: context, constraints, task, "
                         "output_contract, stop_condition, verification)", str(cfg_path), line, col) from None
    except re.error as exc:
        raise UsageError(f"invalid cue regular expression: {exc}", str(cfg_path)) from None
    patterns = tuple(fc.extract.name_patterns or DEFAULT_NAME_PATTERNS) + tuple(fc.extract.extend_name_patterns)
    sites = (call_sites_from_config([c.model_dump(exclude_none=True) for c in fc.extract.call_sites])
             + wrapper_sites(fc.extract.wrappers) + DEFAULT_CALL_SITES)
    for pattern, selectors in fc.per_file_ignores.items():
        for s in selectors:
            if not any(_matches(s, r) for r in ruleset.rules):
                line, col = key_position(raw, pattern, 1)  # (the pattern's entry, in or after its table)
                raise UsageError(f"unknown rule selector {s!r} in per-file-ignores (see `promptlint rules`)",
                                 str(cfg_path), line, col)
    fp = hashlib.sha256(json.dumps([
        __version__, ruleset.version, [r.code for r in rules], raw, sel, extend_select, ignore,
    ], sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Settings(
        root=root, ruleset=ruleset, rules=rules, vocabulary=vocab, name_patterns=patterns, call_sites=sites,
        per_file_ignores=tuple((k, tuple(v)) for k, v in fc.per_file_ignores.items()),
        ignored=tuple(fc.ignore) + tuple(ignore or ()),
        include=tuple(fc.include or ()), extend_include=tuple(fc.extend_include),
        exclude=(tuple(fc.exclude) if fc.exclude is not None else DEFAULT_EXCLUDE) + tuple(fc.extend_exclude),
        respect_gitignore=fc.respect_gitignore, config_path=cfg_path, model_options=fc.model.model_dump(), layout=fc.layout,
        tokens_options=fc.tokens.model_dump(), cache_decorators=tuple(fc.extract.cache_decorators),
        wrappers=tuple(fc.extract.wrappers), prices=fc.prices.model_dump() if fc.prices else None,
        fail_on=fc.fail_on, contract_rules_in_tests=fc.contract_rules_in_tests, structure_rules=structure_rules or fc.structure_rules,
        cache_dir=(root / fc.cache_dir) if fc.cache_dir else None, fingerprint=fp,
    )
