"""A TOML document as a PyYAML node tree, so TOML agent and app configs go
through the same prompt shapes as YAML and JSON ones (:mod:`promptlint.extract.structured`).

``tomllib`` (the standard library's TOML 1.0 parser) validates the document and
decodes every string, but it reports no positions; this module walks the text
for the structure (tables, arrays of tables, dotted keys, arrays, inline
tables) and the spans of values, and asks ``tomllib`` for the value of each
string literal, so a message's text is exactly what TOML means and its source
map points at the characters written. Non-string values become scalar nodes
tagged ``:int`` (never prompt text).
"""

from __future__ import annotations

import re
import sys

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_OTHER = "tag:yaml.org,2002:int"
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")


class TomlError(ValueError):
    """A TOML document ``tomllib`` rejects: ``offset`` is the 0-based file offset of the error."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def mark(self, i: int) -> yaml.Mark:
        import bisect

        line = bisect.bisect_right(self.starts, i) - 1
        return yaml.Mark("toml", i, line, i - self.starts[line], None, None)

    def skip(self, i: int, newlines: bool = True) -> int:
        """Past spaces, tabs, comments and (with ``newlines``) line breaks."""
        t = self.text
        while i < len(t):
            ch = t[i]
            if ch in " \t\r" or (newlines and ch == "\n"):
                i += 1
            elif ch == "#":
                nl = t.find("\n", i)
                i = len(t) if nl == -1 else nl
            else:
                break
        return i

    def key(self, i: int) -> tuple[list[tuple[str, int, int]], int]:
        """A dotted key at ``i``: its parts as ``(name, start, end)``."""
        t, parts = self.text, []
        while True:
            i = self.skip(i, newlines=False)
            if i < len(t) and t[i] in "\"'":
                j = self._string_end(i)
                parts.append((tomllib.loads("k = " + t[i:j])["k"], i, j))
            else:
                m = _BARE.match(t, i)
                if not m:
                    raise TomlError("expected a key", i)
                j = m.end()
                parts.append((m.group(0), i, j))
            i = self.skip(j, newlines=False)
            if i < len(t) and t[i] == ".":
                i += 1
                continue
            return parts, i

    def _string_end(self, i: int) -> int:
        t = self.text
        for quote in ('"""', "'''"):
            if t.startswith(quote, i):
                j = i + 3
                while True:
                    k = t.find(quote, j)
                    if k == -1:
                        raise TomlError("unterminated string", i)
                    if quote == '"""' and _escaped(t, k):
                        j = k + 1
                        continue
                    k += 3
                    for _ in range(2):  # TOML lets one or two quotes end the body right before the closing three
                        if k < len(t) and t[k] == quote[0]:
                            k += 1
                    return k
        quote, j = t[i], i + 1
        while j < len(t) and t[j] != "\n":
            if t[j] == "\\" and quote == '"':
                j += 2
                continue
            if t[j] == quote:
                return j + 1
            j += 1
        raise TomlError("unterminated string", i)

    def value(self, i: int):  # noqa: ANN201 - (yaml node, end offset)
        t = self.text
        if i < len(t) and t[i] in "\"'":
            j = self._string_end(i)
            raw = t[i:j]
            style = '"' if raw[0] == '"' else "'"
            node = yaml.ScalarNode(_STR, tomllib.loads("v = " + raw)["v"], self.mark(i), self.mark(j), style=style)
            node.toml_triple = raw[:3] in ('"""', "'''")
            return node, j
        if i < len(t) and t[i] == "[":
            items, j = [], i + 1
            while True:
                j = self.skip(j)
                if j < len(t) and t[j] == "]":
                    return yaml.SequenceNode(_SEQ, items, self.mark(i), self.mark(j + 1)), j + 1
                node, j = self.value(j)
                items.append(node)
                j = self.skip(j)
                if j < len(t) and t[j] == ",":
                    j += 1
        if i < len(t) and t[i] == "{":
            table = yaml.MappingNode(_MAP, [], self.mark(i), None)
            j = self.skip(i + 1, newlines=False)
            while j < len(t) and t[j] != "}":
                parts, j = self.key(j)
                j = self.skip(j, newlines=False)
                if j >= len(t) or t[j] != "=":
                    raise TomlError("expected '='", j)
                node, j = self.value(self.skip(j + 1, newlines=False))
                _put(self, table, parts, node)
                j = self.skip(j, newlines=False)
                if j < len(t) and t[j] == ",":
                    j = self.skip(j + 1, newlines=False)
            table.end_mark = self.mark(j + 1)
            return table, j + 1
        m = _SCALAR_END.search(t, i)
        j = m.start() if m else len(t)
        while j > i and t[j - 1] in " \t\r":
            j -= 1
        return yaml.ScalarNode(_OTHER, t[i:j], self.mark(i), self.mark(j)), j


def _escaped(t: str, k: int) -> bool:
    n = 0
    while k - 1 - n >= 0 and t[k - 1 - n] == "\\":
        n += 1
    return n % 2 == 1


def _child(r: _Reader, table: yaml.MappingNode, name: str, start: int, end: int, array: bool = False):  # noqa: ANN202
    for k, v in table.value:
        if k.value == name:
            if isinstance(v, yaml.SequenceNode) and v.value and isinstance(v.value[-1], yaml.MappingNode):
                if array:
                    new = yaml.MappingNode(_MAP, [], r.mark(start), r.mark(end))
                    v.value.append(new)
                    return new
                return v.value[-1]  # [a.b] below the last [[a]]
            return v
    key = yaml.ScalarNode(_STR, name, r.mark(start), r.mark(end))
    if array:
        new = yaml.MappingNode(_MAP, [], r.mark(start), r.mark(end))
        table.value.append((key, yaml.SequenceNode(_SEQ, [new], r.mark(start), r.mark(end))))
        return new
    new = yaml.MappingNode(_MAP, [], r.mark(start), r.mark(end))
    table.value.append((key, new))
    return new


def _put(r: _Reader, table: yaml.MappingNode, parts: list[tuple[str, int, int]], node) -> None:  # noqa: ANN001
    for name, s, e in parts[:-1]:
        table = _child(r, table, name, s, e)
    name, s, e = parts[-1]
    table.value.append((yaml.ScalarNode(_STR, name, r.mark(s), r.mark(e)), node))


def toml_nodes(text: str) -> yaml.MappingNode:
    """The document ``text`` as a mapping node (see the module docstring).

    Raises :class:`TomlError` (with the file offset) when ``tomllib`` rejects
    the document."""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        r = _Reader(text)
        offset = r.starts[min(int(m.group(1)), len(r.starts)) - 1] + int(m.group(2)) - 1 if m else 0
        raise TomlError(re.sub(r"\s*\(at line.*\)$", "", str(exc)), offset) from None
    r = _Reader(text)
    root = yaml.MappingNode(_MAP, [], r.mark(0), r.mark(len(text)))
    table, i = root, r.skip(0)
    while i < len(text):
        if text.startswith("[[", i):
            parts, j = r.key(i + 2)
            table = root
            for n, (name, s, e) in enumerate(parts):
                table = _child(r, table, name, s, e, array=n == len(parts) - 1)
            i = r.skip(text.index("]]", j) + 2)
        elif text[i] == "[":
            parts, j = r.key(i + 1)
            table = root
            for name, s, e in parts:
                table = _child(r, table, name, s, e)
            i = r.skip(text.index("]", j) + 1)
        else:
            parts, j = r.key(i)
            j = r.skip(j, newlines=False)
            node, j = r.value(r.skip(j + 1, newlines=False))
            _put(r, table, parts, node)
            i = r.skip(j)
    return root
