"""Building and applying fixes: text encoding for each literal kind, edits, and
applying non-overlapping edits to a file's text."""

from __future__ import annotations

import json

from .model import Edit, LineIndex, Message, Provenance, Span


def encode_for(message: Message, text: str, literal: Provenance | None = None) -> str | None:
    """Spell ``text`` as it must be written inside ``message``'s source literal.

    ``literal`` is the literal the text goes into when the message was joined
    from several (its quoting decides, not the message's last piece's).
    Returns ``None`` when it cannot be written safely there (a raw
    single-quoted Python string that would need a newline, or a YAML scalar
    style promptlint does not edit).
    """
    if message.encoding == "raw":
        return text
    if message.encoding == "json":
        return json.dumps(text, ensure_ascii=False)[1:-1]
    if message.encoding == "python":
        raw_string = literal.raw_string if literal is not None else message.raw_string
        triple_quoted = literal.triple_quoted if literal is not None else message.triple_quoted
        if raw_string:
            if "\\" in text or ("\n" in text and not triple_quoted):
                return None
            return text
        out = text.replace("\\", "\\\\")
        if not triple_quoted:
            out = out.replace("\n", "\\n")
        return out
    return None


def insert_edit(index: LineIndex, offset: int, content: str) -> Edit:
    """An edit inserting ``content`` at file ``offset`` (0-based)."""
    pos = index.position(offset)
    return Edit(offset, offset, content, Span(pos, pos))


def file_newline(text: str) -> str:
    """The line ending most lines of ``text`` end with: ``"\\n"``, ``"\\r\\n"``
    or a lone ``"\\r"`` (``"\\n"`` on a tie or a file of one line)."""
    if "\r" not in text:
        return "\n"
    crlf = text.count("\r\n")
    cr, lf = text.count("\r") - crlf, text.count("\n") - crlf
    return "\r\n" if crlf > max(cr, lf) else "\r" if cr > max(crlf, lf) else "\n"


def with_newline(content: str, newline: str) -> str:
    """``content`` (new text for a file, its lines ending in ``\\n``) with each
    line ending spelled ``newline`` (see :func:`file_newline`)."""
    if newline == "\n" or "\n" not in content:
        return content
    return content.replace("\r\n", "\n").replace("\n", newline)


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, int]:
    """Apply ``edits`` to ``text``; an edit overlapping one already taken is skipped.

    Edits are taken in (start, end) order, so several insertions at the same
    offset keep their order. An edit's line breaks take the file's own line
    ending (:func:`file_newline`: a restructure writes ``\\n``, which in a CRLF
    or old Mac OS file would mix the endings or, next to a ``\\r``, merge two
    line breaks into one). Returns ``(new_text, applied_count)``.
    """
    newline = file_newline(text)
    taken: list[Edit] = []
    last_end = -1
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < last_end:
            continue
        taken.append(e)
        last_end = max(last_end, e.end)
    out: list[str] = []
    pos = 0
    for e in taken:
        out.append(text[pos:e.start])
        out.append(with_newline(e.content, newline))
        pos = e.end
    out.append(text[pos:])
    return "".join(out), len(taken)
