"""File discovery: which files a run lints.

A path named on the command line is always linted (with the extractor for its
kind). Walking a folder, promptlint takes only files that hold prompts by their
kind, name or place, so a project's README, changelog or HTML templates are not
mistaken for prompts:

* Python files, ``.prompt``, ``.prompty``, ``*.prompt.md``, ``*.instructions.md``;
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

PROMPT_DIRS = {"prompts", "prompt", "preprompts", "system_prompts", "prompt_templates", "prompt-templates",
               "instructions", "agents", "personas", ".prompts"}
AGENT_FILES = {"agents.md", "claude.md", "gemini.md", ".cursorrules", ".windsurfrules", "copilot-instructions.md",
               "agent.md"}
NOT_PROMPTS = re.compile(r"^(?:readme|changelog|changes|history|contributing|license|licence|notice|authors|"
                         r"code_of_conduct|security|codeowners|requirements.*|constraints)(?:\..*)?$", re.I)
MARKUP_INNER = {".html", ".htm", ".xml", ".xhtml", ".svg", ".css", ".js", ".ts", ".jsx", ".tsx", ".json", ".yaml",
                ".yml", ".toml", ".ini", ".conf", ".cfg", ".sql", ".py", ".sh", ".tf", ".hcl", ".service", ".j2"}
_PROMPT_KEYS = re.compile(
    r"""(?:["']?\b(?:prompts?|system_prompt|prompt_template|user_prompt|instructions|template)["']?\s*:)|"""
    r"""(?:["']?role["']?\s*:\s*["']?(?:system|user|assistant|developer)\b)""",
    re.I,
)


def is_prompt_file(rel: str, read_head=None) -> str | None:  # noqa: ANN001
    """The extractor kind for a file met while walking, or ``None`` to skip it.

    ``rel`` is the path relative to the walked folder (``/``-separated);
    ``read_head`` returns the first bytes of the file, for YAML/JSON content
    sniffing.
    """
    from .extract import kind_for_path

    parts = rel.split("/")
    name = parts[-1]
    low = name.lower()
    suffixes = [s.lower() for s in Path(low).suffixes]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in (".py", ".pyi"):
        return "python"
    if suffix in (".prompt", ".prompty"):
        return kind_for_path(low)
    if low in AGENT_FILES or low.endswith((".prompt.md", ".instructions.md", ".prompt.txt")):
        return "text"
    if suffix in (".j2", ".jinja", ".jinja2"):
        inner = suffixes[-2] if len(suffixes) > 1 else ""
        return None if inner in MARKUP_INNER else "text"
    if suffix in (".md", ".txt", ".markdown", ".mdx"):
        if NOT_PROMPTS.match(low):
            return None
        dirs = {p.lower() for p in parts[:-1]}
        if dirs & PROMPT_DIRS or re.search(r"prompt|instruction", low):
            return "text"
        return None
    if suffix in (".yaml", ".yml", ".json"):
        if low in ("package.json", "package-lock.json", "tsconfig.json", "composer.json") or ".github/workflows" in rel:
            return None
        head = read_head() if read_head else ""
        return kind_for_path(low) if head and _PROMPT_KEYS.search(head) else None
    return None


def _gitignore_spec(folder: Path) -> pathspec.GitIgnoreSpec | None:
    gi = folder / ".gitignore"
    if not gi.is_file():
        return None
    try:
        return pathspec.GitIgnoreSpec.from_lines(gi.read_text("utf-8", errors="replace").splitlines())
    except Exception:  # noqa: BLE001 - a broken .gitignore must not stop the run
        return None


def discover(paths: list[str], settings) -> list[tuple[str, str]]:  # noqa: ANN001 - Settings
    """Expand command-line ``paths`` into ``(display_path, kind)`` pairs.

    ``display_path`` keeps the spelling the user gave (a file found under a
    folder is ``folder/rel``). Raises :class:`~promptlint.errors.UsageError`
    for a path that does not exist.
    """
    from .errors import UsageError
    from .extract import kind_for_path

    exclude = pathspec.GitIgnoreSpec.from_lines(settings.exclude)
    include = pathspec.GitIgnoreSpec.from_lines(settings.include) if settings.include else None
    extend = pathspec.GitIgnoreSpec.from_lines(settings.extend_include) if settings.extend_include else None
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for given in paths:
        p = Path(given)
        if p.is_file():
            key = os.path.normpath(given)
            if key not in seen:
                seen.add(key)
                out.append((given, kind_for_path(given)))
            continue
        if not p.is_dir():
            raise UsageError("no such file or directory", given)
        specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
        if settings.respect_gitignore:
            for parent in reversed([p.resolve(), *p.resolve().parents]):
                spec = _gitignore_spec(parent)
                if spec is not None:
                    specs.append((str(parent), spec))
                if (parent / ".git").exists():
                    specs = [(s, sp) for s, sp in specs if Path(s) == parent or parent in Path(s).parents] or specs
        for dirpath, dirnames, filenames in os.walk(p):
            dpath = Path(dirpath)
            rel_dir = os.path.relpath(dirpath, p).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            local = _gitignore_spec(dpath) if settings.respect_gitignore and dpath.resolve() != p.resolve() else None
            if local is not None:
                specs.append((str(dpath.resolve()), local))

            def ignored(name: str, is_dir: bool) -> bool:
                rel = rel_dir + name + ("/" if is_dir else "")
                if exclude.match_file(rel) or exclude.match_file(name + ("/" if is_dir else "")):
                    return True
                full = str((dpath / name).resolve())
                for base, spec in specs:
                    if full.startswith(base):
                        sub = os.path.relpath(full, base).replace(os.sep, "/") + ("/" if is_dir else "")
                        if spec.match_file(sub):
                            return True
                return False

            dirnames[:] = sorted(d for d in dirnames if not ignored(d, True))
            for name in sorted(filenames):
                if ignored(name, False):
                    continue
                rel = rel_dir + name
                fpath = dpath / name
                if include is not None:
                    kind = kind_for_path(name) if include.match_file(rel) else None
                else:
                    kind = is_prompt_file(rel, lambda f=fpath: _head(f))
                    if kind is None and extend is not None and extend.match_file(rel):
                        kind = kind_for_path(name)
                if kind is None:
                    continue
                display = os.path.join(given, rel) if given not in (".", "./") else rel
                key = os.path.normpath(display)
                if key not in seen:
                    seen.add(key)
                    out.append((display, kind))
    return out


def _head(path: Path, size: int = 65536) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""
