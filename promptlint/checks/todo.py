"""Check kind ``todo-part``: a contract part whose block holds only a TODO marker.

A scaffold such as ``Stop condition: TODO: when to ask ...`` (what the
restructure writes for a missing part) is a reminder, not the part: it does not
count as present, and this check reports it at its label so the prompt does not
lint clean until someone writes the part.
"""

from __future__ import annotations

from ..model import PART_NAMES
from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report each part that is only a TODO block (at that block's label line)."""
    text = ctx.analysis.text
    for part in PART_NAMES:
        info = ctx.analysis.sections.parts[part]
        if info.present or info.todo_offset is None:
            continue
        start = info.todo_offset
        nl = text.find("\n", start)
        end = len(text.rstrip()) if nl == -1 else nl
        ctx.emit(start, max(start + 1, end), part=part.replace("_", " "), fingerprint=f"todo {part}")
