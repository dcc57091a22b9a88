"""Check kind ``concatenation``: two concatenated literals glued without whitespace.

``"Avoid stopwords." "-----"`` becomes ``Avoid stopwords.-----``: the model sees
one run-on token. Reported where two pieces meet when one ends and the next
starts with a non-space character and the join glues two words, a sentence and
the next one, or a sentence and a delimiter line. The fix (safe: it restores
the separation the author wrote on separate lines) inserts a newline before a
delimiter and a space otherwise, at the end of the first piece.
"""

from __future__ import annotations

from ..fixes import encode_for, insert_edit
from ..model import Fix
from . import CheckContext

_DELIMS = "-=#*_~"


def _glued(a: str, b: str) -> bool:
    if not a or not b or a.isspace() or b.isspace():
        return False
    if a in ".!?:;" and (b.isalnum() or b in _DELIMS + "{[(\"'<"):
        return True
    if (a.isalnum() or a in ")]}") and b.isalnum():
        return True
    return a in _DELIMS and (b.isalpha() or b == "{")


def run(ctx: CheckContext) -> None:
    """Report each glued join, spanning the last word of one piece and the first of the next."""
    a = ctx.analysis
    for view in a.views:
        msg = a.prompt.messages[view.index]
        for (s1, e1), (s2, _e2) in zip(msg.pieces, msg.pieces[1:]):
            if e1 != s2 or e1 <= s1:
                continue
            left, right = msg.text[e1 - 1], msg.text[s2] if s2 < len(msg.text) else ""
            if not _glued(left, right):
                continue
            delimiter = right in _DELIMS or left in _DELIMS
            sep = "\n" if delimiter else " "
            encoded = encode_for(msg, sep)
            if encoded is None and sep == "\n":
                encoded = encode_for(msg, " ")
            fix = None
            if encoded is not None:
                off = msg.source_map.file_end(e1)
                fix = Fix("safe", (insert_edit(ctx.index, off, encoded),), "Insert the missing separator")
            ws = msg.text.rfind(" ", s1, e1)
            start = view.offset + (ws + 1 if ws != -1 else s1)
            nxt = msg.text.find(" ", s2)
            end = view.offset + (nxt if nxt != -1 else len(msg.text))
            end = min(end, view.offset + msg.text.find("\n", s2) if "\n" in msg.text[s2:] else end)
            ctx.emit(start, max(end, start + 1), fix=fix, left=msg.text[max(s1, e1 - 12):e1],
                     right=msg.text[s2:s2 + 12])
