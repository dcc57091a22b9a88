"""Check kind ``injection``: template constructs that escape the template's data
(Jinja dunder access, ``|attr``, ``.format`` calls; ``str.format`` fields reading
private attributes)."""

from __future__ import annotations

from ..template import format_hazards, jinja_hazards, lex
from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report each hazard at the attribute or filter name."""
    a = ctx.analysis
    for view in a.views:
        msg = a.prompt.messages[view.index]
        if msg.syntax == "jinja":
            hazards = jinja_hazards(msg.text)
        elif msg.syntax == "format":
            hazards = format_hazards(lex(msg.text, "format"), msg.text)
        else:
            continue
        for off, what in hazards:
            word = msg.text[off:].split(None, 1)[0] if msg.text[off:].strip() else ""
            start = view.offset + off
            ctx.emit(start, start + max(1, len(word.rstrip("}|)") or "x")), what=what)
