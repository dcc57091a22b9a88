"""Check kind ``undelimited-input``: outside input run into an instruction sentence.

A placeholder carries input from outside when its name says so: its last word
(``user_question`` → ``question``) is one of :data:`INPUT_WORDS` (a user's
message, a document, an email …). It is *delimited* when what precedes it on
its line is nothing, a label or lead-in ending in a colon (``Question: {q}``,
``… the following text: {text}``), an opening quote, bracket, backtick or tag
(``"{q}"``, ``<doc>{text}</doc>``), or when it sits in a fenced block; a
placeholder that is its message's whole text is a message of its own. Anything
else is the input written into the sentence that instructs the model
(``Summarise {document} in three bullets``): the model cannot tell where the
instruction ends and the data begins, which is both the prompt-injection surface
and a cause of unstable output.

Where the value comes from is not traced (a name such as ``{topic}`` set by the
program is not outside input, and is not in the list).
"""

from __future__ import annotations

import re

from . import CheckContext

#: Last words of placeholder names that carry input from outside the program.
INPUT_WORDS = frozenset({
    "input", "query", "question", "message", "request", "text", "document", "documents", "doc", "docs",
    "email", "article", "transcript", "review", "comment", "feedback", "post", "ticket", "passage", "chunk",
    "chunks", "html", "page", "snippet", "excerpt", "content", "body", "utterance", "conversation", "chat",
})
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)
_CONTROL_TAG = re.compile(r"\{%(?:(?!%\}).)*$")
_OPEN_EXPR = re.compile(r"\{\{[^{}]*$")


def _carries_input(name: str) -> bool:
    last = re.split(r"[_.\s-]+", name.strip().lower())[-1] if name.strip() else ""
    return last in INPUT_WORDS


def _in_fence(text: str, pos: int) -> bool:
    return len(_FENCE.findall(text, 0, pos)) % 2 == 1


def undelimited(text: str, placeholders, message_spans: list[tuple[int, int]]) -> list:  # noqa: ANN001
    """The placeholders of ``text`` (``Placeholder`` records, text offsets) that
    carry outside input and are run into a sentence without a delimiter;
    ``message_spans`` are the ``(start, end)`` of each message in ``text``."""
    out = []
    for p in placeholders:
        if not _carries_input(p.name):
            continue
        if any(s <= p.start and p.end <= e and not (text[s:p.start] + text[p.end:e]).strip()
               for s, e in message_spans):
            continue  # the whole message: a message of its own
        line_start = text.rfind("\n", 0, p.start) + 1
        lead = text[line_start:p.start]
        if _CONTROL_TAG.search(lead):
            continue  # ``{% if comment %}``, ``{% for chunk in chunks %}``: logic, not interpolation
        inside = _OPEN_EXPR.search(lead)  # a Jinja / Mustache name is placed where its ``{{`` opens
        before = (lead[:inside.start()] if inside else lead).rstrip()
        # Run into a sentence: words before it on its line, ending in a word or a comma (a colon, an opening
        # quote or tag, an arrow or a full stop before it sets it apart).
        if not before or not (before[-1].isalnum() or before[-1] in ",;"):
            continue
        if not re.search(r"[^\W\d_]{2,}", before) or _in_fence(text, p.start):
            continue
        out.append(p)
    return out


def run(ctx: CheckContext) -> None:
    """One finding per undelimited input placeholder, at the placeholder."""
    a = ctx.analysis
    spans = [(v.offset, v.offset + len(m.text)) for v, m in zip(a.views, a.prompt.messages)]
    seen: set[str] = set()
    for p in undelimited(a.text, a.placeholders, spans):
        if p.name in seen:
            continue
        seen.add(p.name)
        ctx.emit(p.start, p.end, name=p.name, fingerprint=f"undelimited {p.name}")
