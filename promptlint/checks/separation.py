"""Check kind ``separation``: contract parts are present but not each in a block of its own."""

from __future__ import annotations

from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report once per prompt, at the first block that mixes parts (or the
    prompt's first line when parts are only stated inside other parts' blocks)."""
    s = ctx.analysis.sections
    present = s.present
    if s.separated or len(present) < ctx.options.get("min_parts", 2):
        return
    if s.mixed:
        b = s.mixed[0]
        start = b.start + (len(ctx.analysis.text[b.start:b.end]) - len(ctx.analysis.text[b.start:b.end].lstrip()))
        end = ctx.line_end(start, b.end)
        names = ", ".join(p.replace("_", " ") for p in sorted(b.parts, key=present.index))
    else:
        start, end = ctx.head_span()
        names = ", ".join(p.replace("_", " ") for p in present)
    from .parts import scaffold_fix

    ctx.emit(start, end, parts=names, fix=scaffold_fix(ctx, "context"), fingerprint="sections " + ",".join(present))
