"""File discovery: which files a run lints.

A path named on the command line is always linted (with the extractor for its
kind). Walking a folder, promptlint takes only files that hold prompts by their
kind, name or place, so a project's README, changelog or HTML templates are not
mistaken for prompts:

* Python files, Jupyter notebooks (their code cells), ``.prompt``, ``.prompty``, ``*.prompt.md``, ``*.instructions.md``;
* Jinja files that are not markup or code templates (``page.html.j2`` is not);
* Markdown/text files in prompt folders (``prompts/``, ``preprompts/`` …) or
  named for prompts (``system_prompt.txt``);
* agent instruction files (``AGENTS.md``, ``CLAUDE.md``, ``GEMINI.md``,
  ``.cursorrules``, ``.github/copilot-instructions.md``);
* YAML/JSON files whose content holds prompt keys.

``.gitignore`` files and the ``include``/``extend-include``/``exclude``
settings (gitignore-style patterns, via pathspec) adjust this.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pathspec

from .model import lone_cr_as_lf
from .extract.base import AGENT_FILES, is_recorded_traffic, search_near

PROMPT_DIRS = {"prompts", "prompt", "preprompts", "system_prompts", "prompt_templates", "prompt-templates",
               ".prompts"}
#: Folders of recorded HTTP traffic (VCR cassettes, snapshots): never prompts, often huge YAML; not walked
#: (a folder named on the command line is still linted).
RECORDED_DIRS = {"cassettes", "vcr_cassettes", "__snapshots__"}
DOC_DIRS = {"docs", "doc", "documentation", "site", "website", "blog", "examples-docs"}
_PROMPT_NAME = re.compile(r"(?:^|[._-])(?:system[._-]?)?(?:prompts?|instructions?)(?:[._-]|$)", re.I)
NOT_PROMPTS = re.compile(r"^(?:readme|changelog|changes|history|contributing|license|licence|notice|authors|"
                         r"code_of_conduct|security|codeowners|requirements.*|constraints)(?:\..*)?$", re.I)
MARKUP_INNER = {".html", ".htm", ".xml", ".xhtml", ".svg", ".css", ".js", ".ts", ".jsx", ".tsx", ".json", ".yaml",
                ".yml", ".toml", ".ini", ".conf", ".cfg", ".sql", ".py", ".sh", ".tf", ".hcl", ".service", ".j2",
                ".spec", ".in", ".env", ".bat", ".ps1", ".cmd", ".rb", ".go", ".java", ".cs", ".csproj", ".rs",
                ".properties", ".dockerfile", ".nginx", ".rst", ".tex", ".csv", ".lock"}
_PROMPT_KEYS = re.compile(
    r"""(?:(?:prompts?|templates?|instructions?|system_message)["']?\s*:)|(?:["']?\bsystem["']?\s*:\s*["'|>])|"""
    r"""(?:["']?role["']?\s*:\s*["']?(?:system|user|assistant|developer)\b)""",
)

#: JSON data files are many and their keys are anyone's: only the exact prompt keys (and role messages) count.
_TOML_PROMPT_KEYS = re.compile(
    r"""(?:(?:prompts?|templates?|instructions?|system_message|system)["']?\s*=)|"""
    r"""(?:\brole["']?\s*=\s*["'](?:system|user|assistant|developer)\b)|(?:\[\[?[\w.-]*prompts?\b)""")
#: Every match of :data:`_PROMPT_KEYS` or :data:`_JSON_PROMPT_KEYS` holds one of these (lower-case) words.
_KEY_WORDS = ("prompt", "template", "instruction", "system", "role")
_JSON_PROMPT_KEYS = re.compile(
    r"""(?:"(?:prompts?|system_prompt|prompt_template|user_prompt|instructions|template)"\s*:)|"""
    r"""(?:"role"\s*:\s*"(?:system|user|assistant|developer)")""")


#: Page suffixes that are never prompts in a documentation folder, and the page names that are prompts anywhere.
_DOC_PAGES = (".md", ".txt", ".markdown", ".mdx")
_PROMPT_PAGES = (".prompt.md", ".instructions.md", ".prompt.txt")
_CONTRACT_SUFFIXES = (".contract.yaml", ".contract.yml", ".contracts.yaml", ".contracts.yml")
_SKIP_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".pdf", ".zip", ".gz", ".tar", ".whl", ".lock",
    ".pyc", ".so", ".dll", ".bin", ".gguf", ".parquet", ".csv", ".tsv", ".ipynb_checkpoints", ".woff", ".woff2",
    ".ttf", ".mp3", ".mp4", ".wav", ".db", ".sqlite", ".html", ".htm", ".css", ".js", ".ts", ".tsx", ".jsx", ".map",
    ".cfg", ".ini", ".sh", ".rst",
})


def _agent_spelling(name: str) -> bool:
    """Is ``name`` spelled as coding agents' instruction files are (``AGENTS.md``, ``CLAUDE.md``, ``.cursorrules``)?
    In a documentation folder only that spelling is an instruction file: ``docs/agents.md`` is a page about agents."""
    stem = name.split(".", 1)[0]
    return name.startswith(".") or stem.isupper() or "-" in stem  # copilot-instructions.md keeps its own spelling


def _suffixes(low: str) -> list[str]:
    """``PurePath(low).suffixes`` with string operations (this runs on every file of a walk)."""
    if low.endswith("."):
        return []
    pieces = low.lstrip(".").split(".")
    return ["." + p for p in pieces[1:]]


def is_prompt_file(rel: str, read_head=None, vocabulary=None) -> str | None:  # noqa: ANN001
    """The extractor kind for a file met while walking, or ``None`` to skip it.

    ``rel`` is the path relative to the walked folder (``/``-separated);
    ``read_head`` returns the first bytes of the file, for YAML/JSON content
    sniffing and for telling a bare Jinja file that renders instructions from one
    that renders a script, read with ``vocabulary`` (the configured
    :class:`~promptlint.sections.Vocabulary`; without one such a file is kept).
    """
    from .extract import kind_for_path

    if read_head is not None:
        raw_head, got = read_head, []

        def read_head() -> str:  # (lines end at a lone \r too, as the extractors read them)
            if not got:
                got.append(lone_cr_as_lf(raw_head()))
            return got[0]

    parts = rel.split("/")
    name = parts[-1]
    low = name.lower()
    suffixes = _suffixes(low)
    suffix = suffixes[-1] if suffixes else ""
    if suffix in (".py", ".pyi"):
        return "python"
    if suffix == ".ipynb":
        head = read_head() if read_head else ""
        # Only a notebook whose code could hold a prompt is read: the cheap signs the Python prefilter uses.
        return "notebook" if not read_head or re.search(r"prompt|completions|messages|instructions", head, re.I) \
            else None
    if suffix in _SKIP_SUFFIXES:
        return None  # images, archives, lock files … (most files of a repository: decided before anything else)
    if suffix in (".prompt", ".prompty") or low.endswith(_CONTRACT_SUFFIXES):
        return kind_for_path(low)
    dirs = {p.lower() for p in parts[:-1]}
    if low.endswith(_PROMPT_PAGES) or (low in AGENT_FILES and (_agent_spelling(name) or not dirs & DOC_DIRS)):
        return "text"
    if suffix in (".j2", ".jinja", ".jinja2"):
        inner = suffixes[-2] if len(suffixes) > 1 else ""
        if inner in MARKUP_INNER or NOT_PROMPTS.match(low.rsplit(".", 1)[0]):
            return None  # markup or code, or a template of a README / changelog
        if inner or dirs & PROMPT_DIRS or _PROMPT_NAME.search(low.rsplit(".", 1)[0]) or not read_head or not vocabulary:
            return "text"
        # A bare ``run.jinja2`` may render a shell script or a config file: left out when it is a script or,
        # long enough to tell, does not read as instructions.
        from .extract.heuristics import reads_as_instructions

        head = read_head()[:4096]  # the first 4 KB tell a script from instructions; this runs on every walk
        if head.lstrip().startswith("#!"):
            return None
        if len(re.findall(r"[A-Za-z]{2,}", head)) < 6 or reads_as_instructions(head, vocabulary):
            return "text"
        return None
    if suffix in (".md", ".txt", ".markdown", ".mdx", ""):
        if NOT_PROMPTS.match(low) or low.startswith("."):
            return None
        if dirs & DOC_DIRS:
            return None  # documentation pages are not prompts, whatever their names
        if dirs & PROMPT_DIRS:
            return "text"  # gpt-engineer-style prompt folders hold files with no suffix too
        if suffix and _PROMPT_NAME.search(low.rsplit(".", 1)[0]):
            return "text"
        return None
    if suffix == ".toml":
        if low in ("pyproject.toml", "promptlint.toml", "cargo.toml", "poetry.toml", "uv.toml", "ruff.toml",
                   ".ruff.toml", "netlify.toml", "fly.toml", "wrangler.toml", "rust-toolchain.toml"):
            return None  # build and tool configs
        head = read_head() if read_head else ""
        return "toml" if head and search_near(_TOML_PROMPT_KEYS, head.lower(), _KEY_WORDS) else None
    if suffix in (".yaml", ".yml", ".json"):
        if low in ("package.json", "package-lock.json", "tsconfig.json", "composer.json") or ".github/workflows" in rel:
            return None
        head = read_head() if read_head else ""
        if not head or (suffix != ".json" and is_recorded_traffic(head)):
            return None  # recorded HTTP traffic (a cassette outside a cassettes/ folder) is never parsed
        keys = _PROMPT_KEYS if suffix != ".json" else _JSON_PROMPT_KEYS
        return kind_for_path(low) if search_near(keys, head.lower(), _KEY_WORDS) else None  # lower-cased: faster than re.I
    return None


class _FastSpec:
    """A gitignore-style spec (parsed by pathspec) matched with one combined regex
    per run of patterns of one polarity: the last pattern that matches decides
    (gitignore's rule), so the runs are tried from the last one back and the
    first run that matches gives the answer. A spec whose patterns pathspec
    gives no regex for falls back to pathspec's own matching."""

    def __init__(self, lines) -> None:  # noqa: ANN001
        self.spec = pathspec.GitIgnoreSpec.from_lines(lines)
        pats = [p for p in self.spec.patterns if p.include is not None]
        self.fast = all(getattr(p, "regex", None) is not None for p in pats)
        self.runs: list[tuple[bool, re.Pattern]] = []
        if self.fast:
            groups: list[tuple[bool, list]] = []
            for p in pats:
                if groups and groups[-1][0] == p.include:
                    groups[-1][1].append(p)
                else:
                    groups.append((p.include, [p]))
            for include, group in reversed(groups):
                body = "|".join("(?:" + re.sub(r"\(\?P<\w+>", "(?:", p.regex.pattern) + ")" for p in group)
                self.runs.append((include, re.compile(body)))

    def match_file(self, path: str) -> bool:
        """Does the spec ignore ``path`` (``/``-separated; a trailing ``/`` marks a folder)?"""
        if not self.fast:
            return self.spec.match_file(path)
        for include, rx in self.runs:
            if rx.match(path) is not None:
                return include
        return False


def _gitignore_spec(folder: Path) -> _FastSpec | None:
    gi = folder / ".gitignore"
    if not gi.is_file():
        return None
    try:
        return _FastSpec(gi.read_text("utf-8", errors="replace").splitlines())
    except Exception:  # noqa: BLE001 - a broken .gitignore must not stop the run
        return None


def excluded(given: str, settings, text: str | None = None) -> bool:  # noqa: ANN001
    """Is the file ``given`` left out by the folder-walk rules: excluded,
    gitignored, or not a prompt file? (What ``--force-exclude`` applies to
    named files and the language server to open buffers.) ``text`` is the
    file's content when the caller has it (an editor buffer); else the first
    bytes are read from disk for YAML/JSON content sniffing."""

    path = Path(given).resolve()
    try:
        rel = path.relative_to(settings.root).as_posix()
    except ValueError:
        # Outside the project root (an editor buffer elsewhere): the whole path, so folder rules such as
        # prompts/ still see its folders; root-anchored excludes cannot match it anyway.
        rel = path.relative_to(path.anchor).as_posix()
    exclude = _FastSpec(settings.exclude)
    if exclude.match_file(rel):
        return True
    if settings.respect_gitignore:
        for parent in path.parents:
            spec = _gitignore_spec(parent)
            if spec is not None and spec.match_file(path.relative_to(parent).as_posix()):
                return True
            if (parent / ".git").exists():
                break
    if settings.include:
        return not pathspec.GitIgnoreSpec.from_lines(settings.include).match_file(rel)
    if settings.extend_include and pathspec.GitIgnoreSpec.from_lines(settings.extend_include).match_file(rel):
        return False
    head = (lambda: text[:65536]) if text is not None else (lambda: _head(path))
    return is_prompt_file(rel, head, settings.vocabulary) is None


def discover(paths: list[str], settings, force_exclude: bool = False,  # noqa: ANN001
             sniffed: dict | None = None) -> list[tuple[str, str]]:
    """Expand command-line ``paths`` into ``(display_path, kind)`` pairs.

    ``display_path`` keeps the spelling the user gave (a file found under a
    folder is ``folder/rel``). A file named on the command line is always
    linted, unless ``force_exclude`` (for pre-commit, which names every staged
    file) applies the folder-walk rules and excludes to it as well. Raises
    :class:`~promptlint.errors.UsageError` for a path that does not exist.

    ``sniffed`` (the result cache keeps one per settings) maps the absolute path of each
    file met while walking whose kind :func:`is_prompt_file` decided by reading
    it (YAML, JSON and TOML keys, a bare Jinja file's prose, a notebook's code)
    to ``(size in bytes, mtime in ns, kind or None, path as judged)``. A file
    whose size, mtime and judged path are unchanged keeps its kind without being
    read again (on the
    lint_speed corpus that judging is a tenth of a cached run); the others are
    judged and their entries updated in place.
    """
    from .errors import UsageError
    from .extract import kind_for_path

    exclude = _FastSpec(settings.exclude)
    include = pathspec.GitIgnoreSpec.from_lines(settings.include) if settings.include else None
    extend = pathspec.GitIgnoreSpec.from_lines(settings.extend_include) if settings.extend_include else None
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for given in paths:
        p = Path(given)
        if p.exists() and not p.is_file() and not p.is_dir():
            raise UsageError("not a regular file (a FIFO, socket or device); not linted", given)
        if p.is_file():
            if force_exclude and excluded(given, settings):
                continue
            key = os.path.normpath(given)
            if key not in seen:
                seen.add(key)
                out.append((given, kind_for_path(given)))
            continue
        if not p.is_dir():
            raise UsageError("no such file or directory", given)
        root = p.resolve()
        # A prompt folder named on the command line (``promptlint check prompts/``) keeps its meaning: its files are
        # classified as if the walk had started above it.
        context = root.name + "/" if root.name.lower() in PROMPT_DIRS else ""
        specs: list[tuple[Path, _FastSpec]] = []
        if settings.respect_gitignore:
            for parent in reversed(root.parents):
                spec = _gitignore_spec(parent)
                if spec is not None:
                    specs.append((parent, spec))
            # A folder named on the command line is linted even when a .gitignore above it ignores it:
            # drop just the patterns that ignore the folder itself.
            kept = []
            for base, spec in specs:
                target = root.relative_to(base).as_posix() + "/"
                if spec.match_file(target):
                    lines = (base / ".gitignore").read_text("utf-8", errors="replace").splitlines()
                    spec = _FastSpec(
                        [ln for ln in lines if not pathspec.GitIgnoreSpec.from_lines([ln]).match_file(target)])
                kept.append((base, spec))
            specs = kept
        # Folders as "/"-joined strings from here on (pathlib costs more than the walk itself on big trees).
        root_s = root.as_posix()
        string_specs = [(base.as_posix(), spec) for base, spec in specs]
        top = len(str(p).rstrip(os.sep)) + 1
        for dirpath, dirnames, filenames in os.walk(p):
            rel_dir = dirpath[top:].replace(os.sep, "/") if len(dirpath) >= top else ""
            dres = root_s + "/" + rel_dir if rel_dir else root_s
            rel_dir = rel_dir + "/" if rel_dir else ""
            if settings.respect_gitignore and ".gitignore" in filenames:
                local = _gitignore_spec(Path(dirpath))
                if local is not None:
                    string_specs.append((dres, local))
            # Each spec's view of this folder, computed once per folder.
            views = [(dres[len(base) + 1:] + "/" if dres != base else "", spec)
                     for base, spec in string_specs if dres == base or dres.startswith(base.rstrip("/") + "/")]

            def ignored(name: str, is_dir: bool) -> bool:
                tail = "/" if is_dir else ""
                if exclude.match_file(rel_dir + name + tail) or exclude.match_file(name + tail):
                    return True
                return any(spec.match_file(prefix + name + tail) for prefix, spec in views)

            dirnames[:] = sorted(d for d in dirnames if not ignored(d, True) and d.lower() not in RECORDED_DIRS)
            # In a documentation folder, pages are never prompts (is_prompt_file's rule, taken here once per
            # folder: a docs tree may hold tens of thousands of pages, one per version and language).
            doc_pages = include is None and extend is None and bool(
                {d.lower() for d in (context + rel_dir).split("/")[:-1]} & DOC_DIRS)
            for name in sorted(filenames):
                if doc_pages:
                    low = name.lower()
                    if low.endswith(_DOC_PAGES) and not low.endswith(_PROMPT_PAGES) and not (
                            low in AGENT_FILES and _agent_spelling(name)):
                        continue
                rel = rel_dir + name
                fpath = os.path.join(dirpath, name)
                # What kind of file it is comes first: most files of a repository are no prompt by their name
                # alone, and the ignore rules (the dearer test) then never run for them.
                if include is not None:
                    kind = kind_for_path(name) if include.match_file(rel) else None
                else:
                    kind = (is_prompt_file(context + rel, lambda f=fpath: _head(f), settings.vocabulary)
                            if sniffed is None else _sniffed_kind(context + rel, fpath, settings.vocabulary, sniffed))
                    if kind is None and extend is not None and extend.match_file(rel):
                        kind = kind_for_path(name)
                if kind is None or ignored(name, False) or not os.path.isfile(fpath):
                    continue  # not a prompt, ignored, or a FIFO/socket/device with a prompt's name (could block)
                display = os.path.join(given, rel) if given not in (".", "./") else rel
                key = os.path.normpath(display)
                if key not in seen:
                    seen.add(key)
                    out.append((display, kind))
    return out


def _sniffed_kind(rel: str, fpath: str, vocabulary, sniffed: dict) -> str | None:  # noqa: ANN001
    """:func:`is_prompt_file` for the file at ``fpath``, answered from
    ``sniffed`` when its entry's size and mtime still match (see :func:`discover`),
    else judged, and recorded there when the judgment read the file."""
    key = os.path.abspath(fpath)  # (one cache serves runs from any folder of the project)
    prior = sniffed.get(key)
    if prior is not None:
        try:
            st = os.stat(fpath)
        except OSError:
            st = None
        if st is not None and prior[:2] == (st.st_size, st.st_mtime_ns) and prior[3] == rel:
            return prior[2]
    read: list[str] = []

    def head() -> str:
        if not read:
            read.append(_head(fpath))
        return read[0]

    kind = is_prompt_file(rel, head, vocabulary)
    if read and read[0]:  # (nothing read, as from a file it may not open, judges nothing for next time)
        try:
            st = os.stat(fpath)
        except OSError:
            sniffed.pop(key, None)
        else:
            sniffed[key] = (st.st_size, st.st_mtime_ns, kind, rel)
    else:
        sniffed.pop(key, None)
    return kind


def _head(path, size: int = 65536) -> str:  # noqa: ANN001 - a Path or a str
    """The first ``size`` bytes of file ``path`` decoded as UTF-8 ("" for a non-regular file or on error)."""
    if not os.path.isfile(path):  # a FIFO must not be opened: that blocks until a writer comes
        return ""
    try:
        with open(path, "rb") as fh:
            return fh.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""

