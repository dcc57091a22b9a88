"""``--output-format github``: GitHub Actions workflow commands (``::error file=…::msg``).

Property and message escaping follow GitHub's toolkit (``%``, ``\\r``, ``\\n``,
and ``:``/``,`` in properties are percent-encoded).
"""

from __future__ import annotations

from ..model import Finding

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def render(findings: list[Finding], show_suppressed: bool = False) -> str:
    """One workflow command per finding; suppressed ones (shown only when
    ``show_suppressed``) become notices naming the reason."""
    out = []
    for f in findings:
        level = "notice" if f.suppressed else _LEVEL[f.severity]
        msg = f"{f.code} [{f.name}] {f.message}"
        if f.suppressed:
            msg += f" (suppressed{': ' + f.suppression_reason if f.suppression_reason else ''})"
        props = (f"file={_prop(f.path)},line={f.span.start.line},col={f.span.start.column},"
                 f"endLine={f.span.end.line},endColumn={f.span.end.column},title={_prop(f.code + ' ' + f.name)}")
        out.append(f"::{level} {props}::{_data(msg)}")
    return "\n".join(out)
