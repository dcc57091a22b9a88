"""Check kind ``output-shape``: the output contract names a format without its shape.

``options.formats`` is a regular expression for format names ("JSON", "YAML"…);
``options.shape`` a list of regular expressions, any of which shows a shape
(fields, a schema, an example object or array, named keys or columns);
``options.request`` a regular expression that, found in the same sentence
before the format name, makes the mention a request for output ("respond in
JSON", "return a JSON object", "Output: JSON") rather than a description of
the input ("the documents are shown below in JSON format") or a file name
(``package.json``, ``pyproject.toml``, ``json.loads``, never a format request).
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import CheckContext

#: Where a sentence starts: after an end mark, a line break or a list bullet.
_SENTENCE_START = re.compile(r"(?:[.!?](?=\s)|\n|^)[^.!?\n]*$")


@lru_cache(maxsize=32)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


def _is_name(text: str, start: int, end: int) -> bool:
    """Is the format word at ``[start, end)`` part of a file or code name
    (``package.json``, ``.toml``, ``json.loads``, ``yaml_path``, ``$JSON``)?"""
    before = text[start - 1] if start else " "
    after = text[end:end + 2]
    return before in "._/-$`" or bool(re.match(r"[._-]\w|\(", after))


def output_mentions(text: str, formats: re.Pattern[str], request: re.Pattern[str]):
    """Yield the format-name matches of ``text`` that ask for output in that
    format: not part of a name (see :func:`_is_name`), and with ``request`` found
    between the start of their sentence and the mention."""
    for m in formats.finditer(text):
        if _is_name(text, m.start(), m.end()):
            continue
        head = _SENTENCE_START.search(text, 0, m.start())
        lead = text[head.start():m.start()] if head else text[:m.start()]
        if request.search(lead):
            yield m


def run(ctx: CheckContext) -> None:
    """Report the first format mention that asks for output when no shape cue
    appears anywhere in the prompt."""
    text = ctx.analysis.clean
    request = _compile(ctx.options.get("request", r"\b(?:respond|reply|answer|return|output|format)\b"))
    m = next(output_mentions(text, _compile(ctx.options["formats"]), request), None)
    if m is None:
        return
    if any(_compile(p).search(text) for p in ctx.options.get("shape", [])):
        return
    ctx.emit(m.start(), m.end(), format=m.group(0))
