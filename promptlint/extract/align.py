"""Source maps for decoded string values whose source spelling differs.

Python literals are decoded exactly (:func:`decode_python_body`). JSON and YAML
scalars are mapped with :func:`align`, which walks the decoded value and the
raw source side by side.
"""

from __future__ import annotations

import re

from ..model import SourceMap

_SIMPLE_ESCAPES = {
    "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f",
    "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}


def decode_python_body(raw: str, base: int, *, raw_string: bool, keep_braces: bool = True) -> tuple[str, SourceMap]:
    """Decode the body of a Python string literal (between its quotes).

    ``raw`` is the body as written in source, starting at file offset ``base``.
    Returns the value and its source map (an escape such as ``\\n`` maps one
    text character to two source characters; a backslash-newline continuation
    produces no text). ``keep_braces`` is accepted for symmetry with f-string
    bodies, whose ``{{`` are kept as written. Unknown escapes keep their
    backslash, as CPython does.
    """
    smap = SourceMap()
    out: list[str] = []
    if raw_string:
        return raw, SourceMap.identity(base, len(raw))
    i, n = 0, len(raw)
    while i < n:
        k = raw.find("\\", i)
        if k == -1 or k + 1 >= n:
            k = n if k == -1 else k + 1  # a lone backslash at the very end is kept as written
        if k > i:  # a run with no escape is copied as written
            out.append(raw[i:k])
            smap.append_verbatim(base + i, k - i)
            i = k
            continue
        nxt = raw[i + 1]
        if nxt == "\n":
            i += 2
            continue
        if nxt == "\r" and raw[i + 2:i + 3] == "\n":
            i += 3
            continue
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            smap.append(base + i, base + i + 2)
            i += 2
            continue
        m = None
        if nxt == "x":
            m = re.compile(r"[0-9A-Fa-f]{2}").match(raw, i + 2)
        elif nxt == "u":
            m = re.compile(r"[0-9A-Fa-f]{4}").match(raw, i + 2)
        elif nxt == "U":
            m = re.compile(r"[0-9A-Fa-f]{8}").match(raw, i + 2)
        elif nxt == "N":
            m = re.compile(r"\{[^}]*\}").match(raw, i + 2)
        elif nxt in "01234567":
            m = re.compile(r"[0-7]{1,3}").match(raw, i + 1)
        if m:
            token = m.group(0)
            try:
                if nxt == "N":
                    import unicodedata

                    ch = unicodedata.lookup(token[1:-1])
                elif nxt in "01234567":
                    ch = chr(int(token, 8))
                else:
                    ch = chr(int(token, 16))
            except (KeyError, ValueError):
                ch = "\ufffd"
            out.append(ch)
            smap.append(base + i, base + m.end())
            i = m.end()
            continue
        out.append("\\")
        smap.append(base + i, base + i + 1)
        i += 1
    return "".join(out), smap


#: One escape sequence of a JSON, YAML or TOML string: ``\\U`` + 8 hex digits, ``\\u`` + 4 (with the low half of a
#: JSON surrogate pair, which decodes with it to one character), ``\\x`` + 2, or a backslash and one character.
_ESCAPE = re.compile(r"\\(?:U[0-9A-Fa-f]{8}|u[dD][89abAB][0-9A-Fa-f]{2}\\u[dD][c-fC-F][0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}"
                     r"|x[0-9A-Fa-f]{2}|.)", re.S)


def align(value: str, source: str, base: int, start: int, end: int) -> SourceMap:
    """Map each character of ``value`` to a position in ``source[start:end]``.

    ``value`` is a scalar decoded by a JSON or YAML parser; ``source`` is the
    whole file text and ``base`` is added to every offset (0 for whole files).
    Characters are matched left to right; an escape sequence in the source
    (``\\n``, ``\\u00e9``, ``\\"``) maps to its decoded character, and the
    indentation or line folding that a block scalar drops is skipped.
    """
    smap = SourceMap()
    j = start
    for i, ch in enumerate(value):
        while (j < end and source[j] == "\\" and source.startswith(("\n", "\r\n"), j + 1)
               and not (ch == "\\" and value.startswith(("\n", "\r\n"), i + 1))):
            # An escaped line break (YAML double-quoted, TOML multi-line basic): it and the blanks after it
            # decode to nothing (in a block scalar the backslash and the break are text, and the value has both).
            j += 1
            while j < end and source[j] in " \t\r\n":
                j += 1
        if j < end and source[j] == ch:
            smap.append(base + j, base + j + 1)
            j += 1
            continue
        if j < end and source[j] == "\\":
            m = _ESCAPE.match(source, j)
            width = m.end() - j if m else 1
            smap.append(base + j, base + j + width)
            j += width
            continue
        k = source.find(ch, j, min(end, j + 400))
        if k != -1 and (ch == "\n" or not source[j:k].strip(" \t\n\r\"'|>-")):
            smap.append(base + k, base + k + 1)
            j = k + 1
        else:
            # A folded line break or other synthesised character.
            smap.append(base + j, base + min(j + 1, end))
            if ch in " \n" and j < end and source[j] in "\r\n":
                nl = j
                while nl < end and source[nl] in " \t\r\n":
                    nl += 1
                j = nl
    return smap
