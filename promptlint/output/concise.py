"""``--output-format concise``: one line per finding, ``path:line:col: CODE [name] message``."""

from __future__ import annotations

from ..model import Finding


def render(findings: list[Finding], show_suppressed: bool = False) -> str:
    """Lines in the order given; suppressed findings end with their reason."""
    lines = []
    for f in findings:
        fixable = " [*]" if f.fix and f.fix.applicability == "safe" else ""
        line = f"{f.path}:{f.span.start.line}:{f.span.start.column}: {f.code}{fixable} [{f.name}] {f.message}"
        if f.suppressed:
            line += f"  (suppressed{': ' + f.suppression_reason if f.suppression_reason else ''})"
        lines.append(line)
    return "\n".join(lines)
