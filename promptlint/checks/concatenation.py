"""Check kind ``concatenation``: two concatenated literals glued without whitespace.

``"Avoid stopwords." "-----"`` becomes ``Avoid stopwords.-----``: the model sees
one run-on token. Reported where two pieces meet when one ends and the next
starts with a non-space character and the join glues two words, a sentence and
the next one, or a sentence and a delimiter line.

The fix (safe: it restores the separation the author wrote on separate lines)
inserts a newline before a delimiter and a space otherwise, and only ever into
a literal of the prompt's own statement (each character's
:class:`~promptlint.model.Provenance` says whose literal it is): at the end of
the first piece, or at the start of the next when the first belongs to a
constant the prompt reaches by name (``BASE + "Answer…"``: ``BASE`` may be
shared by other prompts and is left alone). When the join lies inside such a
constant, or between two of them, no fix is offered and the message says why
(the ``why`` field of the rule's message).
"""

from __future__ import annotations

from ..fixes import encode_for, insert_edit
from ..model import Fix, Message, Provenance
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


def _own(origin: Provenance | None) -> bool:
    """Is this literal the prompt's own (``None``: no literal recorded, the prompt's own file text)?"""
    return origin is None or origin.own


def _separator_fix(ctx: CheckContext, msg: Message, e1: int, s2: int, sep: str) -> tuple[Fix | None, str]:
    """The fix for the join of text ``[.., e1)`` and ``[s2, ..)`` of ``msg`` and,
    when there is none, the reason (``"; no fix: …"``) for the message."""
    smap = msg.source_map
    left, right = smap.origin(e1 - 1), smap.origin(s2)
    places = [(smap.file_end(e1), o) for o in (left,) if _own(o)]
    places += [(smap.file_start(s2), o) for o in (right,) if _own(o) and o is not left]
    for offset, origin in places:
        encoded = encode_for(msg, sep, origin)
        if encoded is None and sep == "\n":
            encoded = encode_for(msg, " ", origin)
        if encoded is not None:
            return Fix("safe", (insert_edit(ctx.index, offset, encoded),), "Insert the missing separator"), ""
    if places:
        return None, "; no fix: promptlint cannot write the separator into this literal safely"
    names = list(dict.fromkeys(o.constant or "a constant" for o in (left, right) if o is not None))
    if len(names) == 1:
        return None, f"; no fix: the separator would have to go into {names[0]}, a constant defined elsewhere"
    return None, f"; no fix: the separator would have to go into {' or '.join(names)}, constants defined elsewhere"


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
            fix, why = _separator_fix(ctx, msg, e1, s2, "\n" if delimiter else " ")
            ws = msg.text.rfind(" ", s1, e1)
            start = view.offset + (ws + 1 if ws != -1 else s1)
            nxt = msg.text.find(" ", s2)
            end = view.offset + (nxt if nxt != -1 else len(msg.text))
            end = min(end, view.offset + msg.text.find("\n", s2) if "\n" in msg.text[s2:] else end)
            ctx.emit(start, max(end, start + 1), fix=fix, left=msg.text[max(s1, e1 - 12):e1],
                     right=msg.text[s2:s2 + 12], why=why)
