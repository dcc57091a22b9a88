"""Check kind ``contradictions``: two instructions of one prompt that cannot both hold.

Two kinds are recognised, each by sentence (a sentence that states both sides
itself, "concise yet complete", is a trade-off the writer chose, not a
contradiction):

* brevity against exhaustiveness: "be concise" / "keep it short" / "in one
  sentence" / "no more than N words" against "be comprehensive" / "be
  exhaustive" / "as detailed as possible" / "cover every …" / "in full detail";
* "always X" against "never X" (or "do not X") for the same two to four words X
  (a longer or shorter X is a scoped exception: "never cite sources in the
  final line").

The finding is reported at the second instruction and names the first by line.
"""

from __future__ import annotations

import re

from . import CheckContext

_BRIEF = re.compile(r"\b(?:be (?:very )?(?:brief|concise|succinct)|keep (?:it|the answer|your (?:answer|reply|response)s?"
                    r"|responses?|answers?) (?:very )?(?:short|brief|concise)|answer in (?:one|a single) (?:sentence|line|word)"
                    r"|(?:in|with) no more than \d+ words|at most \d+ words)\b", re.I)
_FULL = re.compile(r"\b(?:be (?:very )?(?:comprehensive|exhaustive|thorough)|as (?:detailed|thorough|comprehensive) "
                   r"as possible|cover every (?:\w+)|in (?:full|great|exhaustive) detail|leave nothing out"
                   r"|include every (?:detail|step|aspect))\b", re.I)
_ALWAYS = re.compile(r"\balways ((?:\w+ ){1,3}\w+)\b", re.I)
_NEVER = re.compile(r"\b(?:never|do not|don't) ((?:\w+ ){1,3}\w+)\b", re.I)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


def find_contradictions(text: str) -> list[tuple[int, int, int, str]]:
    """``(first_start, second_start, second_end, what)`` for each contradiction in
    ``text`` (0-based offsets; see module docstring)."""
    sentences = [(m.start(), m.group(0)) for m in _SENTENCE.finditer(text)]
    out: list[tuple[int, int, int, str]] = []
    first_brief = first_full = None
    always: dict[str, int] = {}
    never: dict[str, int] = {}
    for start, sent in sentences:
        b, f = _BRIEF.search(sent), _FULL.search(sent)
        if b and f:
            continue  # one sentence weighing both: a chosen trade-off
        if b:
            if first_full is not None:
                out.append((first_full, start + b.start(), start + b.end(), "brevity against exhaustiveness"))
                first_full = None
            elif first_brief is None:
                first_brief = start + b.start()
        if f:
            if first_brief is not None:
                out.append((first_brief, start + f.start(), start + f.end(), "exhaustiveness against brevity"))
                first_brief = None
            elif first_full is None:
                first_full = start + f.start()
        for m in _ALWAYS.finditer(sent):
            key = m.group(1).lower()
            if key in never:
                out.append((never.pop(key), start + m.start(), start + m.end(), "always against never"))
            else:
                always.setdefault(key, start + m.start())
        for m in _NEVER.finditer(sent):
            key = m.group(1).lower()
            if key in always:
                out.append((always.pop(key), start + m.start(), start + m.end(), "never against always"))
            else:
                never.setdefault(key, start + m.start())
    return out


def run(ctx: CheckContext) -> None:
    """One finding per contradiction, at the second instruction."""
    a = ctx.analysis
    for first, start, end, what in find_contradictions(a.text):
        line = ctx.text_span(first, first + 1).start.line
        ctx.emit(start, end, what=what, first=a.text[first:first + 60].split("\n")[0], line=line,
                 fingerprint=f"contradiction {a.text[start:end]}")
