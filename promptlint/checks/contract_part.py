"""Check kind ``contract-part``: a contract part (``options.part``) is not stated.

Its fix (unsafe) scaffolds the missing part as a labelled block at the end of
the prompt's primary message, in the prompt's layout (a Markdown heading when
the prompt uses headings, else a ``Label:`` line), with a TODO for the author.
"""

from __future__ import annotations

from ..fixes import encode_for, insert_edit
from ..model import Fix
from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report ``options.part`` missing, unless the prompt is empty."""
    a = ctx.analysis
    part = ctx.options["part"]
    if not a.clean.strip() or a.sections.parts[part].present:
        return
    start, end = ctx.head_span()
    ctx.emit(start, end, fix=scaffold_fix(ctx, part), fingerprint=f"missing {part}")


def scaffold_fix(ctx: CheckContext, part: str) -> Fix | None:
    """An unsafe fix appending a TODO block for ``part`` to the primary message."""
    a = ctx.analysis
    msg = a.prompt.main
    scaffold = ctx.options.get("scaffold") or {}
    label = scaffold.get("label", part.replace("_", " ").capitalize())
    todo = scaffold.get("text", "TODO")
    if not msg.text.strip() or msg.syntax == "fstring" and ("{" in todo or "}" in todo):
        return None
    uses_headings = any(b.kind == "heading" for b in a.sections.blocks)
    block = f"# {label}\n{todo}" if uses_headings else f"{label}: {todo}"
    trailing = len(msg.text) - len(msg.text.rstrip("\n"))
    lead = "\n" * max(0, 2 - trailing)
    tail = "\n" if trailing else ""
    encoded = encode_for(msg, lead + block + tail)
    if encoded is None:
        return None
    offset = msg.source_map.file_end(len(msg.text))
    return Fix("unsafe", (insert_edit(ctx.index, offset, encoded),), f"Add a `{label}` block")
