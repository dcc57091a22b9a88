"""Check kind ``contract-part``: a contract part (``options.part``) is not stated.

Its fix (unsafe) is the deterministic restructure (see :func:`scaffold_fix`),
in the prompt's layout (Markdown headings when the prompt or file uses them,
else ``Label:`` blocks), with TODO markers for the author.
"""

from __future__ import annotations

from ..fixes import encode_for, insert_edit
from ..model import Edit, Fix, Span
from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report ``options.part`` missing, unless the prompt is empty or has a
    TODO block for the part (the ``todo-part`` check reports that one)."""
    a = ctx.analysis
    part = ctx.options["part"]
    info = a.sections.parts[part]
    if not a.clean.strip() or info.present or info.todo_offset is not None:
        return
    start, end = ctx.head_span()
    ctx.emit(start, end, fix=scaffold_fix(ctx, part), fingerprint=f"missing {part}")


def scaffold_fix(ctx: CheckContext, part: str) -> Fix | None:
    """The unsafe fix shared by the ``missing-*`` rules and
    ``sections-not-separated``: promptlint's deterministic restructure
    (:func:`promptlint.restructure.restructure`). A prompt that is already
    separated keeps its text and gets the missing parts appended as TODO
    blocks; any other prompt is rewritten into one labelled block per part.
    ``None`` when the prompt's text cannot be written back safely. Built once
    per prompt (kept in ``analysis.memo``) and shared by its findings."""
    key = ("scaffold-fix", ctx.path, ctx.layout)
    if key not in ctx.analysis.memo:
        ctx.analysis.memo[key] = _scaffold_fix(ctx)
    return ctx.analysis.memo[key]


def _scaffold_fix(ctx: CheckContext) -> Fix | None:
    from ..restructure import restructure
    from ..writeback import RewriteError, escape_for_syntax, protected_spans, replace_message

    a = ctx.analysis
    msg = a.prompt.main
    if not msg.text.strip() or msg.encoding is None:
        return None
    from ..restructure import wanted_parts

    wanted = wanted_parts(ctx.settings, ctx.path) if ctx.settings is not None else None
    result = restructure(a, ctx.path, ctx.ruleset, ctx.layout, wanted)
    if result.kept_layout:
        if msg.literal_span is None:
            return None  # built from several places: appending would edit another constant
        base = msg.text
        ends = base.replace("\r\n", "\n")  # (a CRLF file's blank line is "\r\n\r\n")
        lead = "" if ends.endswith("\n\n") else ("\n" if ends.endswith("\n") else "\n\n")
        block = result.text[len(base.rstrip("\n")):].lstrip("\n")
        if not base.endswith("\n"):
            block = block.rstrip("\n")
        encoded = encode_for(msg, lead + block)
        if encoded is None:
            return None
        edit = insert_edit(ctx.index, msg.source_map.file_end(len(base)), encoded)
        return Fix("unsafe", (edit,), "Add TODO blocks for the missing parts")
    text = result.text
    if msg.syntax == "format":
        text, _ = escape_for_syntax(text, "format", protected_spans(msg, a))
    kind = {"python": "python", "json": "json", "raw": "prompty" if msg.role else "text"}.get(msg.encoding or "")
    if not kind or msg.literal_span is None:
        return None
    try:
        new_file = replace_message(ctx.index.text, msg, text, kind)
    except RewriteError:
        return None
    s, e = msg.literal_span
    tail = len(ctx.index.text) - e
    content = new_file[s:len(new_file) - tail]
    span = Span(ctx.index.position(s), ctx.index.position(e))
    return Fix("unsafe", (Edit(s, e, content, span),), "Restructure the prompt into labelled contract parts")
