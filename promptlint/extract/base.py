"""What every extractor shares: :class:`Extraction` (what one file holds),
:class:`ParseProblem`, :func:`kind_for_path` and :func:`is_recorded_traffic` (the bottom of
:mod:`promptlint.extract`; the extractors import this, the package's
:func:`~promptlint.extract.extract` dispatches to them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from ..model import Prompt

#: Instruction files that coding agents read verbatim (lower-cased names): prompts, never templates.
AGENT_FILES = {"agents.md", "claude.md", "gemini.md", ".cursorrules", ".windsurfrules", "copilot-instructions.md",
               "agent.md"}


@dataclass
class ParseProblem:
    """A file (or part of one) that does not parse: ``offset`` is a 0-based
    file offset, ``message`` a one-line description."""

    offset: int
    message: str


@dataclass
class CallFact:
    """An LLM API call or client construction seen in code, for the serving rules.

    ``kind`` is ``call`` (a request: ``chat.completions.create``, ``messages.create``,
    ``litellm.completion`` …) or ``client`` (``OpenAI()``, ``Anthropic()``,
    ``ChatOpenAI()`` …); ``name`` the dotted callee as written; ``start``/``end``
    the file offsets of the callee; ``keywords`` the keyword-argument names
    given; ``splat`` is true when ``**kwargs`` may give more. ``streamed`` is
    true for a request with ``stream=True``; ``scorer`` for one made inside a
    reward model's class (a class named ``…Reward…``), which asks for scores.
    """

    kind: str
    name: str
    start: int
    end: int
    keywords: frozenset[str]
    splat: bool
    streamed: bool = False
    scorer: bool = False


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
    #: LLM calls and client constructions of a Python file (see :class:`CallFact`).
    calls: list[CallFact] = field(default_factory=list)
    #: ``(module, name)`` of names a Python file imports (``from .prompts import GUIDE``) whose text its prompts
    #: need: the module as written, one leading dot per relative level (``.prompts``), and the imported name.
    imported: list[tuple[str, str]] = field(default_factory=list)
    #: Files (display paths) whose text a Python file's prompts read at run time (``PATH.read_text()``): the
    #: result depends on them, so it is never answered from the cache by this file's content alone.
    reads: list[str] = field(default_factory=list)


def kind_for_path(path: str) -> str:
    """The extractor kind for ``path``: python, notebook, prompty, contract, json, yaml, toml or text."""
    p = PurePath(path)
    suffix = p.suffix.lower()
    if p.name.lower().endswith((".contract.yaml", ".contract.yml", ".contracts.yaml", ".contracts.yml")):
        return "contract"
    if suffix in (".py", ".pyi"):
        return "python"
    if suffix == ".ipynb":
        return "notebook"
    if suffix == ".prompty":
        return "prompty"
    if suffix == ".json":
        return "json"
    if suffix == ".toml":
        return "toml"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return "text"


def search_near(pattern: re.Pattern, text: str, words: tuple[str, ...], low: str | None = None,
                before: int = 16, after: int = 80) -> bool:
    """Does ``pattern`` match in ``text`` near an occurrence of one of ``words``
    in ``low`` (``text`` lower-cased, same length; computed when not given)?
    ``pattern`` is tried on ``before`` characters before each occurrence and
    ``after`` from its start: for a pattern every match of which holds one of the
    words, far faster than the regex's own scan, which starts a try at most
    positions of a big text."""
    low = text.lower() if low is None else low
    for word in words:
        i = low.find(word)
        while i != -1:
            if pattern.search(text, max(0, i - before), i + after):
                return True
            i = low.find(word, i + len(word))
    return False


def is_recorded_traffic(head: str) -> bool:
    """Does ``head`` (a YAML file's first bytes) start a VCR-style cassette of
    recorded HTTP traffic (``interactions:`` holding ``request:`` entries)?"""
    return bool(re.search(r"^interactions:[ \t]*\r?$", head[:4096], re.M)) and "request:" in head[:16384]

