"""Output formats, one module each, all rendering the same :class:`~promptlint.model.Finding` list.

``render(fmt, findings, ...)`` returns the text to print; ``full`` prints
through rich directly.
"""

from __future__ import annotations

from ..model import Finding

def finding_dict(f: Finding, show_suppressed: bool = False) -> dict:
    """The JSON record of a finding (``check --output-format json``).

    Keys: code, name, message, severity, path, line, column, end_line,
    end_column (1-based, end exclusive), prompt_id, fix (null or
    ``{applicability, message, edits}``), url, fingerprint; plus suppressed and
    suppression_reason when ``show_suppressed``.
    """
    from ..fingerprint import fingerprint

    out = {
        "code": f.code, "name": f.name, "message": f.message, "severity": f.severity, "path": f.path,
        "line": f.span.start.line, "column": f.span.start.column,
        "end_line": f.span.end.line, "end_column": f.span.end.column,
        "prompt_id": f.prompt_id,
        "fix": None if f.fix is None else {
            "applicability": f.fix.applicability, "message": f.fix.message,
            "edits": [{"content": e.content, "line": e.span.start.line, "column": e.span.start.column,
                       "end_line": e.span.end.line, "end_column": e.span.end.column} for e in f.fix.edits],
        },
        "url": f.url, "fingerprint": fingerprint(f),
    }
    if show_suppressed:
        out["suppressed"] = f.suppressed
        out["suppression_reason"] = f.suppression_reason
    return out
