"""Check kind ``includes``: a Jinja ``{% include %}`` / ``{% extends %}`` /
``{% import %}`` of a literal template name that no file of the project holds.

Jinja raises ``TemplateNotFound`` when such a template is rendered; the name is
looked up next to the file and in the folders above it (see
:func:`promptlint.extract.text.resolve_includes`), which is where a
``FileSystemLoader`` rooted at the prompt folder finds it.
"""

from __future__ import annotations

from . import CheckContext


def run(ctx: CheckContext) -> None:
    """One finding per unresolved name, at the quoted name."""
    prompt = ctx.analysis.prompt
    if prompt.origin != "file" or not prompt.includes:
        return
    base = ctx.analysis.views[prompt.primary].offset if ctx.analysis.views else 0
    for name, start, end, found in prompt.includes:
        if found is None:
            ctx.emit(base + start, base + end, template=name)
