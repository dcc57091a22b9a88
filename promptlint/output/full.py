"""``--output-format full`` (default): findings grouped per prompt, via rich.

Each prompt gets one header (its file and prompt id) and, for each place in it
that findings point at, one source line with a caret under the flagged span,
followed by the findings there; a summary per rule closes the output (as ruff's
``--statistics`` and sqlfluff's report do). Source lines are printed as plain
text (never parsed as rich markup) and cut to :data:`MAX_SNIPPET` characters
around the flagged column, so a 1 MB one-line prompt prints one short line.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.text import Text

from ..model import Finding

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
#: Most characters of a source line shown in a snippet.
MAX_SNIPPET = 160


def _snippet(src: str, column: int, width: int) -> tuple[str, int, int]:
    """``src`` cut to :data:`MAX_SNIPPET` characters around 1-based ``column``;
    returns ``(text, caret_column, caret_width)`` for the cut line."""
    src = src.expandtabs(1)
    if len(src) <= MAX_SNIPPET:
        return src, column, width
    start = max(0, min(column - 1 - MAX_SNIPPET // 4, len(src) - MAX_SNIPPET))
    cut = src[start:start + MAX_SNIPPET]
    lead = "…" if start > 0 else ""
    tail = "…" if start + MAX_SNIPPET < len(src) else ""
    col = column - start + len(lead)
    return lead + cut + tail, col, max(1, min(width, MAX_SNIPPET - (col - 1 - len(lead))))


def _finding_line(f: Finding) -> Text:
    line = Text("  ")
    line.append(f"{f.span.start.line}:{f.span.start.column} ", style="dim")
    line.append(f.code, style=_STYLE[f.severity])
    if f.fix and f.fix.applicability == "safe":
        line.append(" [*]", style="green")
    line.append(f" [{f.name}] ", style="dim")
    line.append(f.message)
    if f.suppressed:
        reason = f": {f.suppression_reason}" if f.suppression_reason else ""
        line.append(f" (suppressed{reason})", style="dim")
    return line


def render(findings: list[Finding], console: Console, sources: dict[str, str], show_suppressed: bool = False) -> None:
    """Print ``findings`` grouped per prompt to ``console`` (see the module
    docstring); ``sources`` maps paths to file text for the snippets."""
    groups: dict[tuple[str, str | None], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.path, f.prompt_id), []).append(f)
    lines_of: dict[str, list[str]] = {}
    for (path, prompt_id), items in groups.items():
        head = Text(path, style="bold")
        if prompt_id and prompt_id != path:
            head.append(f" · {prompt_id.split('::', 1)[-1]}", style="bold")
        console.print(head, highlight=False)
        if path not in lines_of:
            lines_of[path] = (sources.get(path) or "").splitlines()
        lines = lines_of[path]
        places: dict[tuple[int, int], list[Finding]] = {}
        for f in items:
            places.setdefault((f.span.start.line, f.span.start.column), []).append(f)
        for (line_no, column), at in places.items():
            if 0 < line_no <= len(lines):
                f = at[0]
                src = lines[line_no - 1]
                width = (f.span.end.column - column) if f.span.end.line == line_no else len(src) - column + 1
                shown, col, w = _snippet(src, column, max(1, width))
                row = Text(f"  {line_no:>5} | ", style="dim")
                row.append(shown)
                console.print(row, highlight=False, soft_wrap=True)
                mark = Text("        | ", style="dim")
                mark.append(" " * (col - 1))
                mark.append("^" * max(1, w), style=_STYLE[f.severity])
                console.print(mark, highlight=False, soft_wrap=True)
            for f in at:
                console.print(_finding_line(f), highlight=False, soft_wrap=True)
        console.print()
    active = [f for f in findings if not f.suppressed]
    if active:
        counts = Counter((f.code, f.name, f.severity) for f in active)
        for (code, name, severity), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            row = Text(f"{n:>5}  ")
            row.append(code, style=_STYLE[severity])
            row.append(f"  {name}")
            console.print(row, highlight=False)
