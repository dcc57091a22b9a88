"""Check kind ``empty``: a prompt with no text once template logic and comments are removed."""

from __future__ import annotations

from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report at the primary message's literal."""
    a = ctx.analysis
    if a.clean.strip():
        return
    anchor = a.prompt.main.anchor
    pos = ctx.index.position(anchor)
    from ..model import Span

    ctx.emit(0, 0, span=Span(pos, ctx.index.position(anchor + 1)), fingerprint="empty")
