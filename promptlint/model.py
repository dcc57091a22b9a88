"""Core data model shared by every stage: positions, spans, fixes, findings, prompts.

Conventions used everywhere in promptlint:

* ``line`` and ``column`` are 1-based; ``column`` counts Unicode code points.
* A span's end is exclusive (the position just after its last character).
* File offsets are 0-based code-point offsets into the decoded file text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Literal

_NEWLINE = re.compile("\n")
Severity = Literal["error", "warning", "info"]
Applicability = Literal["safe", "unsafe", "display-only"]
Syntax = Literal["plain", "fstring", "format", "percent", "jinja", "mustache"]
PART_NAMES: tuple[str, ...] = (
    "context",
    "constraints",
    "task",
    "output_contract",
    "stop_condition",
    "verification",
)


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based ``line`` and 1-based ``column`` (code points) in a file."""

    line: int
    column: int


@dataclass(frozen=True)
class Span:
    """A half-open range ``[start, end)`` of file positions."""

    start: Position
    end: Position


class LineIndex:
    """Converts 0-based file offsets to 1-based :class:`Position` values.

    ``text`` is the whole decoded file. Lookup is ``O(log lines)``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]

    def position(self, offset: int) -> Position:
        """Return the position of file ``offset`` (clamped to the file)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset)
        return Position(line, offset - self.line_starts[line - 1] + 1)

    def offset(self, pos: Position) -> int:
        """Return the 0-based file offset of ``pos``.

        Raises ``IndexError`` when ``pos.line`` is outside the file.
        """
        if pos.line < 1 or pos.line > len(self.line_starts):
            raise IndexError(f"line {pos.line} outside file")
        return self.line_starts[pos.line - 1] + pos.column - 1

    def line_end(self, line: int) -> int:
        """Offset of the newline ending 1-based ``line`` (or the file end)."""
        if line < len(self.line_starts):
            return self.line_starts[line] - 1
        return len(self.text)


@dataclass(frozen=True)
class Edit:
    """Replace file offsets ``[start, end)`` (0-based) with ``content``.

    ``span`` carries the same range as 1-based positions for reporting.
    """

    start: int
    end: int
    content: str
    span: Span


@dataclass(frozen=True)
class Fix:
    """A set of non-overlapping edits with an applicability.

    ``safe`` fixes run with ``--fix``; ``unsafe`` ones need ``--unsafe-fixes``;
    ``display-only`` ones are shown, never applied.
    """

    applicability: Applicability
    edits: tuple[Edit, ...]
    message: str = ""


@dataclass
class Finding:
    """One rule violation at a span of a file.

    ``path`` is the path as given on the command line (or as discovered under a
    directory given there). ``prompt_id`` is ``path::NAME`` for named code
    prompts, ``path::call@LINE`` for unnamed call-site literals and ``path`` for
    whole-file prompts; it is ``None`` for file-level findings such as
    ``parse-error``.
    """

    code: str
    name: str
    message: str
    severity: Severity
    path: str
    span: Span
    prompt_id: str | None = None
    fix: Fix | None = None
    url: str = ""
    fingerprint_text: str = ""
    suppressed: bool = False
    suppression_reason: str | None = None


class SourceMap:
    """Maps offsets in a prompt's text back to 0-based file offsets.

    ``starts[i]`` is the file offset where text character ``i`` comes from and
    ``ends[i]`` the file offset just after it (an escape such as ``\\n`` in a
    Python literal spans two source characters but is one text character).
    A character that was synthesised (for example the blank line promptlint puts
    between two messages of a conversation) maps to the position of the
    character before it.
    """

    __slots__ = ("starts", "ends")

    def __init__(self, starts: list[int] | None = None, ends: list[int] | None = None) -> None:
        self.starts: list[int] = starts if starts is not None else []
        self.ends: list[int] = ends if ends is not None else []

    @classmethod
    def identity(cls, file_offset: int, length: int) -> "SourceMap":
        """A map for text copied verbatim from the file at ``file_offset``."""
        starts = list(range(file_offset, file_offset + length))
        return cls(starts, [s + 1 for s in starts])

    def __len__(self) -> int:
        return len(self.starts)

    def append(self, start: int, end: int) -> None:
        """Record one more text character that came from file ``[start, end)``."""
        self.starts.append(start)
        self.ends.append(end)

    def extend(self, other: "SourceMap") -> None:
        """Append the characters of ``other`` (used to join pieces)."""
        self.starts.extend(other.starts)
        self.ends.extend(other.ends)

    def pad(self, count: int) -> None:
        """Append ``count`` synthesised characters mapped to the last character."""
        last = self.ends[-1] if self.ends else 0
        self.starts.extend([last] * count)
        self.ends.extend([last] * count)

    def file_start(self, text_offset: int) -> int:
        """File offset of text character ``text_offset`` (clamped)."""
        if not self.starts:
            return 0
        return self.starts[max(0, min(text_offset, len(self.starts) - 1))]

    def file_end(self, text_end: int) -> int:
        """File offset just after text character ``text_end - 1``."""
        if not self.ends:
            return 0
        return self.ends[max(0, min(text_end - 1, len(self.ends) - 1))]

    def span(self, index: LineIndex, text_start: int, text_end: int) -> Span:
        """The file span of text ``[text_start, text_end)``; empty spans allowed."""
        start = self.file_start(text_start)
        end = self.file_end(text_end) if text_end > text_start else start
        return Span(index.position(start), index.position(max(start, end)))


@dataclass
class Placeholder:
    """A template variable used in prompt text at ``[start, end)`` (text offsets)."""

    name: str
    start: int
    end: int


@dataclass
class Declaration:
    """A variable a prompt declares it takes, e.g. in ``input_variables=``.

    ``span`` is where the declaration is written in the file (for
    ``unused-variable`` findings).
    """

    name: str
    span: Span


@dataclass
class Message:
    """One piece of prompt text: a whole prompt file or one role message.

    ``text`` is the decoded text; ``source_map`` maps it to the file;
    ``pieces`` lists the text ranges that came from separate literals of an
    implicit or ``+`` concatenation (empty when the text is one piece).
    ``placeholders`` is set by extractors that see them directly (f-string
    expressions); otherwise they are lexed from ``text``. ``encoding`` says how
    to write new text into the file (``raw`` for prompt files, ``python`` for a
    Python literal, ``json`` for a JSON string, ``None`` when promptlint cannot
    edit it safely). ``origin`` names the constant the text came from, and
    ``anchor`` is the file offset of the literal that holds it.
    ``literal_span`` is the file range of the source spelling that a rewrite
    may replace as a whole (a Python string expression, a JSON string, a
    prompt file's body); ``None`` when the text is built in a way promptlint
    will not rewrite (``sep.join([...])``). ``syntax_guessed`` is true when
    the syntax was only inferred from a prompt file's text (no code says how
    it is rendered), so checks that would rewrite it stay cautious.
    """

    text: str
    source_map: SourceMap
    role: str | None = None
    syntax: Syntax = "plain"
    pieces: list[tuple[int, int]] = field(default_factory=list)
    placeholders: list[Placeholder] | None = None
    encoding: str | None = "raw"
    raw_string: bool = False
    triple_quoted: bool = True
    origin: str | None = None
    anchor: int = 0
    literal_span: tuple[int, int] | None = None
    syntax_guessed: bool = False


@dataclass
class Prompt:
    """A prompt template found in a file.

    A conversation (role messages given together) is one prompt with several
    ``messages``; ``primary`` is the index of its first instruction-bearing
    message, where contract findings are reported. ``declarations`` is
    ``None`` when nothing declares the template's variables. ``extent`` is the
    file-offset range of the code statement that builds it (code prompts only).
    ``contract`` is its :class:`promptlint.contracts.LoadedContract` when one is
    known; ``sampling`` holds the decoding arguments of its call site
    (``temperature``/``seed``/``json`` with file spans) for code prompts.
    """

    id: str
    path: str
    name: str | None
    messages: list[Message]
    primary: int = 0
    declarations: list[Declaration] | None = None
    origin: str = "file"
    extent: tuple[int, int] | None = None
    contract: object | None = None
    sampling: dict | None = None

    @property
    def main(self) -> Message:
        """The primary message."""
        return self.messages[self.primary]

    @property
    def syntax(self) -> Syntax:
        """The primary message's template syntax."""
        return self.main.syntax
