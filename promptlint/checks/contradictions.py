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
    # Each cue is (side, key): brevity and exhaustiveness share the empty key, "always X" / "never X" key on X.
    # A cue whose opposite side was seen with the same key is a contradiction; the pair is then used up.
    if not ((_BRIEF.search(text) and _FULL.search(text)) or (_ALWAYS.search(text) and _NEVER.search(text))):
        # Most prompts lack one side of both pairs (a cue of a sentence is a cue of the whole text: sentences end at
        # characters the patterns' word boundaries already stop at).
        return []
    opposite = {"brief": "full", "full": "brief", "always": "never", "never": "always"}
    names = {"brief": "brevity against exhaustiveness", "full": "exhaustiveness against brevity",
             "always": "always against never", "never": "never against always"}
    seen: dict[tuple[str, str], int] = {}
    out: list[tuple[int, int, int, str]] = []
    for m in _SENTENCE.finditer(text):
        start, sent = m.start(), m.group(0)
        b, f = _BRIEF.search(sent), _FULL.search(sent)
        cues = [] if b and f else [("brief", "", c) for c in [b] if c] + [("full", "", c) for c in [f] if c]
        # (one sentence weighing brevity against completeness is a chosen trade-off, not a contradiction)
        cues += [("always", c.group(1).lower(), c) for c in _ALWAYS.finditer(sent)]
        cues += [("never", c.group(1).lower(), c) for c in _NEVER.finditer(sent)]
        for side, key, c in cues:
            first = seen.pop((opposite[side], key), None)
            if first is not None:
                out.append((first, start + c.start(), start + c.end(), names[side]))
            else:
                seen.setdefault((side, key), start + c.start())
    return out


def run(ctx: CheckContext) -> None:
    """One finding per contradiction, at the second instruction."""
    a = ctx.analysis
    for first, start, end, what in find_contradictions(a.text):
        line = ctx.text_span(first, first + 1).start.line
        ctx.emit(start, end, what=what, first=a.text[first:first + 60].split("\n")[0], line=line,
                 fingerprint=f"contradiction {a.text[start:end]}")
