"""Check kind ``braces``: a literal ``{``/``}`` in a ``str.format``-style template.

``str.format`` (and LangChain's f-string templates) read ``{"vendor": …}`` as a
replacement field and fail at run time with ``KeyError``; literal braces must be
doubled (Python docs, "Format String Syntax"). The fix doubles them; it is
safe because the template cannot be formatted as written.
"""

from __future__ import annotations

from ..fixes import insert_edit
from ..model import Fix
from . import CheckContext


def run(ctx: CheckContext) -> None:
    """One finding per unescaped brace group (a ``{`` up to its matching ``}``)."""
    a = ctx.analysis
    for view in a.views:
        msg = a.prompt.messages[view.index]
        if msg.syntax != "format" or not view.template.problems or msg.syntax_guessed:
            # A prompt file whose text merely looks like a format template may be read by
            # anything; only code that renders it with str.format makes its braces a bug.
            continue
        groups: list[list] = []
        depth = 0
        for prob in view.template.problems:
            if depth == 0:
                groups.append([prob])
            else:
                groups[-1].append(prob)
            depth = depth + 1 if prob.char == "{" else max(0, depth - 1)
        for group in groups:
            start, end = group[0].offset, group[-1].offset + 1
            edits = []
            if msg.encoding is not None:
                for prob in group:
                    local = prob.offset - view.offset
                    off = msg.source_map.file_start(local) if prob.char == "{" else msg.source_map.file_end(local + 1)
                    edits.append(insert_edit(ctx.index, off, prob.char))
            fix = Fix("safe", tuple(edits), "Double the braces") if edits else None
            ctx.emit(start, end, fix=fix, brace=a.text[start:end][:40])
