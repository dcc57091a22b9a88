"""Prompt files: ``.md``, ``.txt``, ``.prompt``, Jinja files and agent instruction files.

The whole file body is one prompt. YAML front matter (``---`` … ``---`` at the
top) is not prompt text: it is parsed for promptlint's own keys.
"""

from __future__ import annotations

import os

import re
from pathlib import PurePath

import yaml

from ..errors import yaml_data
from ..model import LineIndex, Message, Prompt, SourceMap
from ..source import FRONT_MATTER
from ..template import detect_syntax
from .base import AGENT_FILES, Extraction, ParseProblem

_FRONT = FRONT_MATTER
JINJA_SUFFIXES = (".j2", ".jinja", ".jinja2")


def split_front_matter(text: str) -> tuple[dict | None, int, ParseProblem | None, str]:
    """Split YAML front matter off ``text``.

    Returns ``(data, body_offset, problem, raw_yaml)``: ``data`` is ``None``
    when there is no front matter (or it is not a mapping); ``body_offset`` is
    the 0-based offset where the body starts; ``problem`` reports YAML that does
    not parse, at its file offset.
    """
    m = _FRONT.match(text)
    if not m:
        if re.match(r"\A(?:\ufeff)?---[ \t]*\r?\n", text) and re.search(r"^\w[\w-]*:", text[3:200], re.M):
            return None, 0, ParseProblem(0, "front matter opened on line 1 is never closed with `---`"), ""
        return None, 0, None, ""
    raw = m.group(1)
    try:
        data = yaml_data(raw) if raw.strip() else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        off = m.start(1)
        if mark is not None:
            off += mark.index
        return None, m.end(), ParseProblem(off, f"front matter is not valid YAML: {exc.problem}"), raw
    except yaml.YAMLError as exc:
        return None, m.end(), ParseProblem(m.start(1), f"front matter is not valid YAML: {exc}"), raw
    return (data if isinstance(data, dict) else None), m.end(), None, raw


#: Fenced code blocks and inline code spans: a template syntax is never decided from a code sample in a prompt.
_CODE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?^[ \t]*\1[^\n]*$|`[^`\n]+`", re.S | re.M)


def file_syntax(path: str, body: str) -> str:
    """Template syntax of a prompt file: Jinja for Jinja suffixes, plain for
    agent instruction files (``AGENTS.md``, ``copilot-instructions.md``, …),
    otherwise detected from the text outside fenced code blocks and inline code
    spans (a prompt that mentions ```{{variable}}``` or shows a code sample is
    not a template for that); ``{{x}}`` in a ``.prompt`` file is
    Handlebars-style Mustache."""
    suffixes = [s.lower() for s in PurePath(path).suffixes]
    if suffixes and suffixes[-1] in JINJA_SUFFIXES:
        return "jinja"
    if PurePath(path).name.lower() in AGENT_FILES:
        return "plain"  # read verbatim by the agent that loads it: braces there are text, never a template
    syntax = detect_syntax(_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body))
    if syntax == "jinja" and suffixes and suffixes[-1] == ".prompt" and "{%" not in body:
        return "mustache"
    return syntax


def extract_text(path: str, text: str, index: LineIndex, settings) -> Extraction:  # noqa: ANN001
    """One prompt for the whole file body (after any front matter)."""
    front, body_off, problem, _ = split_front_matter(text)
    style = "jinja" if PurePath(path).suffix.lower() in JINJA_SUFFIXES else (
        "html" if PurePath(path).suffix.lower() in (".md", ".markdown", ".mdx") else "none")
    result = Extraction(front_matter=front, comment_style=style)
    if problem:
        result.problems.append(problem)
    body = text[body_off:]
    syntax = file_syntax(path, body)
    guessed = not PurePath(path).suffix.lower() in JINJA_SUFFIXES
    msg = Message(body, SourceMap.identity(body_off, len(body)), syntax=syntax, encoding="raw", anchor=body_off,
                  literal_span=(body_off, len(text)), syntax_guessed=guessed)
    prompt = Prompt(path, path, None, [msg], origin="file")
    if syntax == "jinja":
        prompt.includes = resolve_includes(path, body)
        prompt.composed_of = [os.path.normpath(found) for _, _, _, found in prompt.includes if found]
    result.prompts.append(prompt)
    return result


_INCLUDE = re.compile(r"""\{%-?\s*(?:include|extends|import|from)\s+(["'])([^"'{}%]+)\1(?P<rest>[^%]*)%\}""")


def resolve_includes(path: str, body: str) -> list[tuple[str, int, int, str | None]]:
    """The templates Jinja ``body`` (of the file at ``path``) includes, extends or
    imports by a literal name, each as ``(name, start, end, resolved path)``
    (offsets of the name in ``body``). A name is looked up the way a
    ``FileSystemLoader`` rooted at the file's folder or at a folder above it
    would find it (up to six levels, not above the folder holding ``.git``);
    ``None`` when there is no such file. ``ignore missing`` names are left out."""
    out = []
    for m in _INCLUDE.finditer(body):
        if "ignore missing" in m.group("rest"):
            continue
        name = m.group(2).strip()
        found = None
        folder = os.path.dirname(path) or "."
        for _ in range(7):
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                found = candidate
                break
            if os.path.isdir(os.path.join(folder, ".git")):
                break
            parent = os.path.dirname(os.path.abspath(folder))
            if parent == os.path.abspath(folder):
                break
            folder = os.path.relpath(parent) if not os.path.isabs(path) else parent
        out.append((name, m.start(2), m.end(2), found))
    return out
