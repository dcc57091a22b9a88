"""Jupyter notebooks (``.ipynb``): the code cells are one Python module.

The cells' ``source`` strings (nbformat 4: a list of lines, or one string) are
joined in cell order into a virtual module that the Python extractor reads;
every offset it returns is mapped back to the JSON string in the notebook
file, so findings point at the notebook's own line and column. IPython line
magics and shell escapes (``%pip …``, ``!ls``) are read as comments; a cell
that starts with a cell magic (``%%bash``) or does not parse as Python
(IPython automagic such as ``pip install x``) is left out, so a notebook gets
no syntax-error findings. Prompts found in a
notebook carry no fixes: writing into a JSON-encoded source line is not done.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from json.decoder import scanstring

import yaml

from ..model import Declaration, LineIndex, SourceMap, Span
from .align import align
from .base import Extraction, ParseProblem


def extract_notebook(path: str, text: str, index: LineIndex, settings) -> Extraction:  # noqa: ANN001
    """Prompts in the code cells of notebook ``text`` (see module docstring)."""
    from .python import extract_python, needs_parse

    result = Extraction(comment_style="none")
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        result.problems.append(ParseProblem(exc.pos, f"invalid notebook JSON: {exc.msg}"))
        return result
    code = _code_text(notebook)
    if "promptlint" not in code and not needs_parse(code, settings, path):
        return result  # no sign of a prompt in any code cell: the positions are never worked out
    pieces = _source_pieces(text, notebook)
    if pieces is None:  # a layout the string scan cannot place: YAML's composer positions every node
        from .structured import _compose_all

        try:
            docs = _compose_all(text)
        except yaml.YAMLError:
            return result  # valid JSON that YAML cannot position (tabs, C1 controls): nothing to map back to
        pieces = _composed_pieces(docs[0] if docs else None)
    virtual, starts, ends = _module(text, pieces)
    if not virtual.strip():
        return result
    vindex = LineIndex(virtual)
    inner = extract_python(path, virtual, vindex, settings)

    def at(off: int) -> int:
        return starts[off] if off < len(starts) else (ends[-1] if ends else 0)

    def span(s: Span) -> Span:
        a = at(vindex.offset(s.start))
        b = at(vindex.offset(s.end)) if s.end != s.start else a
        return Span(index.position(a), index.position(max(a, b)))

    for problem in inner.problems:
        result.problems.append(ParseProblem(at(problem.offset), problem.message))
    for prompt in inner.prompts:
        for msg in prompt.messages:
            origins = {}
            for o in msg.source_map.origins:
                if o is not None and id(o) not in origins:
                    # (text a cell reads from another file keeps that file's offsets)
                    origins[id(o)] = o if o.path != path else replace(o, start=at(o.start),
                                                                       end=at(max(o.start, o.end - 1)) + 1)
            smap = msg.source_map
            here = [o is None or o.path == path for o in smap.origins]
            msg.source_map = SourceMap([at(x) if h else x for x, h in zip(smap.starts, here)],
                                       [at(max(0, x - 1)) + 1 if h else x for x, h in zip(smap.ends, here)],
                                       [origins.get(id(o)) if o is not None else None for o in smap.origins])
            msg.anchor = at(msg.anchor)
            msg.literal_span = None
            msg.encoding = None  # never rewritten (see module docstring)
        if prompt.extent is not None:
            prompt.extent = (at(prompt.extent[0]), at(max(prompt.extent[0], prompt.extent[1] - 1)) + 1)
        if prompt.declarations is not None:
            prompt.declarations = [Declaration(d.name, span(d.span), d.used_outside) for d in prompt.declarations]
        if prompt.sampling is not None and "temperature" in prompt.sampling:
            value, tspan = prompt.sampling["temperature"]
            prompt.sampling = {**prompt.sampling, "temperature": (value, span(tspan))}
        result.prompts.append(prompt)
    return result


def _cells(notebook) -> list:  # noqa: ANN001
    """The cells of a loaded notebook (nbformat 4), ``[]`` for any other shape."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []


def _lines(cell: dict) -> list:
    """A cell's ``source`` as the list of strings it is written as (a list, or one string)."""
    source = cell.get("source")
    return source if isinstance(source, list) else [source] if source is not None else []


def _code_text(notebook) -> str:  # noqa: ANN001
    """The code cells' text, magics as comments, joined: what the prefilter reads.
    (It may hold cells the virtual module leaves out; the prefilter only looks
    for signs of a prompt, so more text never hides one.)"""
    out = []
    for cell in _cells(notebook):
        if cell.get("cell_type") == "code":
            out.append(_magics_as_comments("".join(x for x in _lines(cell) if isinstance(x, str))))
    return "\n".join(out)


#: A ``"source":`` key in notebook JSON (inside a JSON string its quotes would be escaped, so every match is a key).
_SOURCE_KEY = re.compile(r'"source"\s*:\s*')
_BLANK = re.compile(r"\s*")


def _source_pieces(text: str, notebook) -> list[list[tuple[str, int, int]]] | None:  # noqa: ANN001
    """For each code cell of ``notebook`` (``text`` loaded), its source strings as
    ``(value, start, end)``: ``start`` is the file offset after the opening
    quote, ``end`` the offset after the closing one. Found by scanning every
    ``"source":`` key's strings with the json module's own string scanner and
    pairing them with the cells in order by value (a ``source`` key in
    metadata or outputs pairs with no cell). ``None`` when a cell's strings
    are not found that way."""
    found: list[list[tuple[str, int, int]]] = []
    for m in _SOURCE_KEY.finditer(text):
        j = m.end()
        strings: list[tuple[str, int, int]] = []
        try:
            if text.startswith("[", j):
                j = _BLANK.match(text, j + 1).end()
                while text.startswith('"', j):
                    value, after = scanstring(text, j + 1)
                    strings.append((value, j + 1, after))
                    j = _BLANK.match(text, after).end()
                    if not text.startswith(",", j):
                        break
                    j = _BLANK.match(text, j + 1).end()
            elif text.startswith('"', j):
                value, after = scanstring(text, j + 1)
                strings.append((value, j + 1, after))
            else:
                continue
        except ValueError:
            return None
        found.append(strings)
    out: list[list[tuple[str, int, int]]] = []
    k = 0
    for cell in _cells(notebook):
        want = _lines(cell)
        while k < len(found) and [v for v, _, _ in found[k]] != want:
            k += 1
        if k == len(found):
            return None
        if cell.get("cell_type") == "code":
            out.append(found[k])
        k += 1
    return out


def _composed_pieces(root) -> list[list[tuple[str, int, int]]]:  # noqa: ANN001
    """:func:`_source_pieces` from the YAML composer's node tree of the notebook."""
    out = []
    cells = _get(root, "cells")
    for cell in getattr(cells, "value", []) if isinstance(cells, yaml.SequenceNode) else []:
        kind = _get(cell, "cell_type")
        if not isinstance(kind, yaml.ScalarNode) or kind.value != "code":
            continue
        source = _get(cell, "source")
        lines = source.value if isinstance(source, yaml.SequenceNode) else [source] if source is not None else []
        out.append([(str(node.value), node.start_mark.index + 1, node.end_mark.index) for node in lines
                    if isinstance(node, yaml.ScalarNode) and node.style == '"'])
    return out


def _module(text: str, cells: list[list[tuple[str, int, int]]]) -> tuple[str, list[int], list[int]]:
    """The virtual module of the code cells (each a list of ``(value, start,
    end)`` source strings) and, per character, the file offsets it starts and
    ends at."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for lines in cells:
        chars: list[tuple[str, int, int]] = []
        for value, start, end in lines:
            smap = align(value, text, 0, start, end)
            chars += [(c, smap.starts[i], smap.ends[i]) for i, c in enumerate(value)]
        code = "".join(c for c, _, _ in chars)
        if code.lstrip().startswith("%%"):
            continue  # a cell magic: the cell is not Python
        code = _magics_as_comments(code)
        if not _parses(code):
            continue  # IPython-only syntax (automagic ``pip install x``, ``obj?``) or a broken cell: not linted
        if out and not out[-1].endswith("\n"):
            out.append("\n")
            starts.append(ends[-1] if ends else 0)
            ends.append(ends[-1] if ends else 0)
        out.append(code)
        starts += [s for _, s, _ in chars]
        ends += [e for _, _, e in chars]
        if chars:
            out.append("\n")
            starts.append(chars[-1][2])
            ends.append(chars[-1][2])
    return "".join(out), starts, ends


def _parses(code: str) -> bool:
    """Does ``code`` (one cell) parse as Python?"""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _magics_as_comments(code: str) -> str:
    """``code`` with each IPython line magic or shell escape turned into a comment
    of the same length (``%pip install x`` → ``#pip install x``)."""
    lines = code.split("\n")
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped[:1] in ("%", "!"):
            pad = len(line) - len(stripped)
            lines[i] = line[:pad] + "#" + stripped[1:]
    return "\n".join(lines)


def _get(node, key: str):  # noqa: ANN001, ANN202
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None

