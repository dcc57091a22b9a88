"""``--output-format full`` (default): each finding with its source line and a caret, via rich."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from ..model import Finding

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render(findings: list[Finding], console: Console, sources: dict[str, str], show_suppressed: bool = False) -> None:
    """Print findings to ``console``; ``sources`` maps paths to file text for context lines."""
    for f in findings:
        style = _STYLE[f.severity]
        sup = ""
        if f.suppressed:
            sup = f" [dim](suppressed{': ' + escape(f.suppression_reason) if f.suppression_reason else ''})[/]"
        fix = " [green]\\[*][/]" if f.fix and f.fix.applicability == "safe" else ""
        console.print(f"[bold]{escape(f.path)}[/]:{f.span.start.line}:{f.span.start.column}: "
                      f"[{style}]{f.code}[/]{fix} [dim]\\[{f.name}][/] {escape(f.message)}{sup}", highlight=False)
        text = sources.get(f.path)
        if text is None:
            continue
        lines = text.splitlines()
        if 0 < f.span.start.line <= len(lines):
            src = lines[f.span.start.line - 1]
            width = (f.span.end.column - f.span.start.column) if f.span.end.line == f.span.start.line else len(src) - f.span.start.column + 1
            console.print(f"  [dim]{f.span.start.line:>4} |[/] {escape(src.expandtabs(1))}", highlight=False)
            console.print(f"  [dim]     |[/] {' ' * (f.span.start.column - 1)}[{style}]{'^' * max(1, width)}[/]",
                          highlight=False)
