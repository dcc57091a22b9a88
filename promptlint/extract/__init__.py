"""Extractors: one per source kind, each turning a file's text into prompts.

Every extractor returns an :class:`Extraction`: the prompts found (each with a
source map from prompt-text offsets to file offsets) and the parse errors met.
:func:`kind_for_path` picks the extractor for a path named on the command line;
:mod:`promptlint.discover` decides which files a directory walk lints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from ..model import LineIndex, Prompt

TEXT_SUFFIXES = {".md", ".txt", ".prompt", ".j2", ".jinja", ".jinja2", ".mdx", ".markdown"}


@dataclass
class ParseProblem:
    """A file (or part of one) that does not parse: ``offset`` is a 0-based
    file offset, ``message`` a one-line description."""

    offset: int
    message: str


@dataclass
class Extraction:
    """What an extractor found in one file.

    ``front_matter`` is the parsed YAML front matter of a prompt file (used for
    suppressions), ``None`` when there is none. ``only_checks`` limits the
    check kinds run on these prompts (contract files run only ``contract``).
    """

    prompts: list[Prompt] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    front_matter: dict | None = None
    comment_style: str = "none"
    only_checks: tuple[str, ...] | None = None


def kind_for_path(path: str) -> str:
    """The extractor kind for ``path``: python, prompty, contract, json, yaml or text."""
    p = PurePath(path)
    suffix = p.suffix.lower()
    if p.name.lower().endswith((".contract.yaml", ".contract.yml", ".contracts.yaml", ".contracts.yml")):
        return "contract"
    if suffix in (".py", ".pyi"):
        return "python"
    if suffix == ".prompty":
        return "prompty"
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return "text"


def extract(path: str, text: str, kind: str, settings, index: LineIndex | None = None) -> Extraction:  # noqa: ANN001
    """Run the extractor for ``kind`` on ``text`` (the decoded file) and return
    its :class:`Extraction`. ``path`` is used for prompt ids; ``index`` may be
    passed when the caller already built one. Never raises for bad input:
    parse failures are :class:`ParseProblem` entries."""
    index = index or LineIndex(text)
    if kind == "python":
        from .python import extract_python

        return extract_python(path, text, index, settings)
    if kind == "prompty":
        from .prompty import extract_prompty

        return extract_prompty(path, text, index, settings)
    if kind == "contract":
        from .contract import extract_contract

        return extract_contract(path, text, index, settings)
    if kind in ("json", "yaml"):
        from .structured import extract_structured

        return extract_structured(path, text, index, settings, kind)
    from .text import extract_text

    return extract_text(path, text, index, settings)
