"""Check kind ``placeholders``: template variables against what the code declares.

``options.mode`` is ``undeclared`` (a placeholder no declaration names) or
``unused`` (a declared variable the template never uses). Declarations come
from ``input_variables=``/``partial_variables=``, a ``.prompty`` file's
``inputs`` (an input a tool's ``bindings:`` consumes is used), or the keyword
arguments of ``.format(...)`` calls in the module.
"""

from __future__ import annotations

from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report per name, at its first use (undeclared) or its declaration (unused)."""
    a = ctx.analysis
    decls = a.prompt.declarations
    if decls is None:
        return
    declared = {d.name for d in decls}
    if ctx.options["mode"] == "undeclared":
        seen: set[str] = set()
        # An f-string message's fields are filled by Python where it is written: no declaration names them, and
        # a conversation's declarations (``TEMPLATE.format(…)`` of its system message) are not theirs.
        filled = [(v.offset, v.offset + len(a.prompt.messages[v.index].text)) for v in a.views
                  if a.prompt.messages[v.index].syntax == "fstring"]
        for p in a.placeholders:
            if any(s <= p.start < e for s, e in filled):
                continue
            if p.name in declared or p.name in seen or not p.name.isidentifier():
                continue
            seen.add(p.name)
            ctx.emit(p.start, p.end, placeholder=p.name, fingerprint=f"undeclared {p.name}")
    else:
        used = set(a.names)
        for d in decls:
            if d.name not in used and not d.used_outside:
                ctx.emit(0, 0, span=d.span, variable=d.name, fingerprint=f"unused {d.name}")
