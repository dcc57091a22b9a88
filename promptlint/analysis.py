"""Per-prompt analysis shared by all checks: joined text, template lexing, sections.

A conversation's messages are joined with a blank line between them, so the
contract is judged over all of them; the joined source map still points every
character back to the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Placeholder, Prompt, SourceMap
from .sections import Sections, Vocabulary, blank_ranges, segment
from .template import TemplateInfo, lex

JOINER = "\n\n"


@dataclass
class MessageView:
    """A message inside the joined text: it starts at text offset ``offset``;
    ``template`` holds its lexing with offsets already shifted into the joined
    text."""

    index: int
    offset: int
    template: TemplateInfo


@dataclass
class Analysis:
    """Everything checks read about one prompt.

    ``text`` is the joined text of all messages and ``clean`` the same text
    with template logic and comments blanked out (same length). ``placeholders``
    lists every placeholder use (joined-text offsets) in message order;
    ``names`` is their first-use order without repeats.
    """

    prompt: Prompt
    text: str
    clean: str
    source_map: SourceMap
    views: list[MessageView]
    placeholders: list[Placeholder]
    sections: Sections
    vocabulary: Vocabulary
    #: Work derived from this analysis and shared by every check of the prompt (the restructure and
    #: its fix, keyed by what they depend on), so it is built once per prompt.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def kind(self) -> str:
        """What the contract rules may judge (see the README, "What the contract
        rules judge"): ``note`` for a text that is only a reminder to write the
        prompt (it starts with TODO/FIXME/TBD and has fewer than 12 words),
        ``ping`` for fewer than 3 words (a connectivity test such as "hi"),
        ``data`` for user turns that only carry input (no part but context:
        ``{"role": "user", "content": "Jason is 10"}``, the instructions live
        elsewhere, such as in a ``response_model``), ``fragment`` for a named
        prompt that another prompt of the module is built from
        (:attr:`Prompt.composed_into`: the contract rules judge the whole),
        ``tool`` for a tool definition's description (``found_by = "tool"``: it
        tells the model what a tool does, it is not a request), else ``prompt``.
        Notes, pings, data, fragments and tool descriptions get the
        template-hazard rules only."""
        words = re.findall(r"[^\W\d_]+", self.clean)
        if len(words) < 12 and re.match(r"\s*(?:TODO|FIXME|TBD)\b", self.clean):
            return "note"
        if len(words) < 3:
            return "ping"
        if self.prompt.composed_into:
            return "fragment"
        if self.prompt.found_by == "tool":
            return "tool"
        roles = {m.role for m in self.prompt.messages}
        if roles == {"user"} and not set(self.sections.present) - {"context"}:
            return "data"
        return "prompt"

    @property
    def labelled_parts(self) -> list[str]:
        """Contract parts (canonical order) that the prompt states under a label of
        their own: a Markdown heading, ``Label:`` line, bold label, XML-style tag
        or bracketed label from the vocabulary. A prompt with at least two is
        *labelled*: its author uses the contract layout, so the structure rules
        judge it by default (``structure-rules = "labelled"``; see the README,
        "What the contract rules judge")."""
        return [p for p in self.sections.present if self.sections.parts[p].labelled]

    @property
    def names(self) -> list[str]:
        """Placeholder names in first-use order."""
        seen: dict[str, None] = {}
        for p in self.placeholders:
            seen.setdefault(p.name, None)
        return list(seen)

    @property
    def main_offset(self) -> int:
        """Joined-text offset of the first non-blank character of the primary message."""
        view = self.views[self.prompt.primary]
        msg = self.prompt.main
        stripped = len(msg.text) - len(msg.text.lstrip())
        return view.offset + (stripped if stripped < len(msg.text) else 0)


def analyse(prompt: Prompt, vocabulary: Vocabulary) -> Analysis:
    """Join ``prompt``'s messages, lex each with its syntax, and segment the result
    with ``vocabulary`` (the configured one: ``Settings.vocabulary``)."""
    parts: list[str] = []
    smap = SourceMap()
    views: list[MessageView] = []
    placeholders: list[Placeholder] = []
    hidden: list[tuple[int, int]] = []
    pos = 0
    for i, msg in enumerate(prompt.messages):
        if i:
            parts.append(JOINER)
            smap.pad(len(JOINER))
            pos += len(JOINER)
        info = lex(msg.text, msg.syntax)
        if msg.placeholders is not None:
            info.placeholders = list(msg.placeholders)
            info.problems = []
        shifted = TemplateInfo(
            [Placeholder(p.name, p.start + pos, p.end + pos) for p in info.placeholders],
            [type(b)(b.offset + pos, b.char) for b in info.problems],
            (info.error[0] + pos, info.error[1]) if info.error else None,
            [(s + pos, e + pos) for s, e in info.hidden],
        )
        views.append(MessageView(i, pos, shifted))
        placeholders += shifted.placeholders
        hidden += shifted.hidden
        parts.append(msg.text)
        smap.extend(msg.source_map)
        pos += len(msg.text)
    text = "".join(parts)
    clean = blank_ranges(text, hidden)
    if "\r" in clean:  # (a CRLF line's \r, left in a prompt read from source, is not text: "\r\n\r\n" is a blank line)
        clean = clean.replace("\r", " ")
    sections = segment(
        clean,
        placeholders=[(p.start, p.end) for p in placeholders],
        boundaries=[v.offset for v in views],
        vocabulary=vocabulary,
    )
    return Analysis(prompt, text, clean, smap, views, placeholders, sections, vocabulary)
