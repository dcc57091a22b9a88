"""Suppression comments and front-matter keys.

Forms (``CODES`` is a comma-separated list of rule codes or names; leaving out
``[CODES]`` means every rule; ``-- reason`` is optional):

* ``# promptlint: ignore[CODES] -- reason`` — at the end of a line: findings on
  that line, or of a prompt whose statement or text spans that line; on a line
  of its own: the same for the next line.
* ``# promptlint: disable[CODES]`` … ``# promptlint: enable[CODES]`` — a block.
* ``# promptlint: disable-file[CODES]`` — the whole file.
* The same directives inside Jinja comments ``{# promptlint: … #}`` and HTML
  comments ``<!-- promptlint: … -->`` (Markdown), so prompt files need no
  comment the model would see.
* Front matter: ``promptlint: {ignore: [CODES], reason: "…"}`` — the whole file.

A directive that suppresses nothing is reported as ``unused-suppression``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Finding, LineIndex, Span

_BODY = r"promptlint:[ \t]*(?P<kind>ignore|disable-file|disable|enable)(?:\[(?P<codes>[^\]]*)\])?(?:[ \t]*--[ \t]*(?P<reason>[^\n]*?))?"
_PATTERNS = {
    "hash": re.compile(r"#[ \t]*" + _BODY + r"[ \t]*\r?$", re.M),  # (a CRLF line ends in \r before the $)
    "jinja": re.compile(r"\{#-?[ \t]*" + _BODY + r"[ \t]*-?#\}"),
    "html": re.compile(r"<!--[ \t]*" + _BODY + r"[ \t]*-->"),
}


_IGNORE_SPELLING = {"hash": "# promptlint: ignore[{codes}]", "jinja": "{{# promptlint: ignore[{codes}] #}}",
                    "html": "<!-- promptlint: ignore[{codes}] -->"}


def ignore_comment(style: str, codes: str) -> str:
    """The own-line ``ignore`` directive for ``codes`` (a rule code or a
    comma-separated list) in comment ``style`` (``hash``, ``jinja`` or
    ``html``; the styles :data:`_PATTERNS` reads). Raises ``KeyError`` for
    another style."""
    return _IGNORE_SPELLING[style].format(codes=codes)


@dataclass
class Directive:
    """One suppression: ``kind`` (ignore, disable, enable, disable-file,
    front-matter), ``codes`` (``None`` = all rules), ``lines`` it covers
    (1-based, inclusive range; ``None`` = whole file), where it is written, and
    whether it suppressed anything."""

    kind: str
    codes: tuple[str, ...] | None
    reason: str | None
    span: Span
    target_line: int = 0
    lines: tuple[int, int] | None = None
    used: bool = False

    def covers(self, finding: Finding) -> bool:
        """Does this directive name ``finding``'s rule?"""
        if self.codes is None:
            return True
        return any(c.upper() == finding.code or c.lower() == finding.name for c in self.codes)


def parse_directives(text: str, styles: tuple[str, ...], index: LineIndex) -> list[Directive]:
    """All directives in ``text`` written in the comment ``styles`` given
    (``hash``, ``jinja``, ``html``), with disable/enable pairs resolved to line
    ranges."""
    found: list[Directive] = []
    for style in styles:
        for m in _PATTERNS[style].finditer(text):
            codes = m.group("codes")
            code_list = tuple(c.strip() for c in codes.split(",") if c.strip()) if codes is not None else None
            start, end = index.position(m.start()), index.position(m.end())
            line_start = index.line_starts[start.line - 1]
            standalone = not text[line_start:m.start()].strip()
            d = Directive(m.group("kind"), code_list, (m.group("reason") or "").strip() or None, Span(start, end))
            d.target_line = start.line + 1 if standalone and d.kind == "ignore" else start.line
            found.append(d)
    found.sort(key=lambda d: d.span.start)
    out: list[Directive] = []
    open_blocks: list[Directive] = []
    for d in found:
        if d.kind == "disable":
            d.lines = (d.span.start.line, len(index.line_starts))
            open_blocks.append(d)
            out.append(d)
        elif d.kind == "enable":
            for o in reversed(open_blocks):
                if o.codes == d.codes or d.codes is None:
                    o.lines = (o.span.start.line, d.span.start.line)
                    open_blocks.remove(o)
                    break
        else:
            out.append(d)
    return out


def front_matter_directive(front: dict | None, index: LineIndex) -> Directive | None:
    """A file-level directive from a ``promptlint:`` front-matter key, if any."""
    if not front or not isinstance(front.get("promptlint"), dict):
        return None
    entry = front["promptlint"]
    codes = entry.get("ignore", entry.get("disable"))
    if codes is None:
        return None
    if isinstance(codes, str):
        codes = [codes]
    pos = index.position(0)
    return Directive("front-matter", tuple(str(c) for c in codes) or None, entry.get("reason"), Span(pos, pos))


def apply(findings: list[Finding], directives: list[Directive], prompt_lines: dict[str, set[int]]) -> None:
    """Mark ``findings`` suppressed (with the directive's reason) in place.

    ``prompt_lines`` maps a prompt id to the lines its statement or text spans,
    so an end-of-line ``ignore`` on any of them covers that prompt's findings.
    """
    for f in findings:
        line = f.span.start.line
        for d in directives:
            if not d.covers(f):
                continue
            if d.kind in ("disable-file", "front-matter"):
                hit = True
            elif d.kind == "disable":
                hit = d.lines is not None and d.lines[0] <= line <= d.lines[1]
            else:
                hit = line == d.target_line or (
                    f.prompt_id is not None and d.target_line in prompt_lines.get(f.prompt_id, ()))
            if hit:
                d.used = True
                if not f.suppressed:
                    f.suppressed = True
                    f.suppression_reason = d.reason
