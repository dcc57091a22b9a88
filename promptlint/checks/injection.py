"""Check kind ``injection``: template constructs that escape the template's data
(Jinja dunder access, ``|attr``, ``.format`` calls; ``str.format`` fields reading
private attributes)."""

from __future__ import annotations

import re

from ..template import format_hazards, jinja_hazards, lex
from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report each message's first hazard at its attribute or filter name; the
    message counts the others."""
    a = ctx.analysis
    for view in a.views:
        msg = a.prompt.messages[view.index]
        if msg.syntax == "jinja":
            hazards = jinja_hazards(msg.text)
        elif msg.syntax == "format":
            hazards = format_hazards(lex(msg.text, "format"), msg.text)
        else:
            continue
        if not hazards:
            continue
        # One finding per message, at its first hazard: a sandbox escape is one chain of dunder steps.
        off, what = min(hazards)
        if len(hazards) > 1:
            what += f" (and {len(hazards) - 1} more in this template)"
        word = re.match(r"\w*", msg.text[off:]).group(0)  # the attribute or filter name, nothing after it
        start = view.offset + off
        ctx.emit(start, start + max(1, len(word)), what=what)
