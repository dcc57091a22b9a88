"""Check kind ``empty``: a prompt with no text once template logic and comments are removed."""

from __future__ import annotations

from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report at the primary message's literal; a prompt file that is blank as a
    whole is left alone."""
    a = ctx.analysis
    if a.clean.strip():
        return
    if a.prompt.origin == "file" and not ctx.index.text.strip():
        return  # a blank prompt file is a deliberate slot (a loader renders it as nothing), not a broken prompt
    anchor = a.prompt.main.anchor
    pos = ctx.index.position(anchor)
    from ..model import Span

    ctx.emit(0, 0, span=Span(pos, ctx.index.position(anchor + 1)), fingerprint="empty")
