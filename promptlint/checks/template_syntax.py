"""Check kind ``template-syntax``: a template that its engine cannot parse
(Jinja via jinja2's parser, Mustache section tags)."""

from __future__ import annotations

from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report the parser's error at the offset it names."""
    for view in ctx.analysis.views:
        if view.template.error:
            off, message = view.template.error
            nl = ctx.analysis.text.find("\n", off)
            end = nl if nl != -1 else len(ctx.analysis.text)
            ctx.emit(off, max(off + 1, end), error=message)
