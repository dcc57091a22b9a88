"""Core data model shared by every stage: positions, spans, fixes, findings, prompts.

Conventions used everywhere in promptlint:

* ``line`` and ``column`` are 1-based; ``column`` counts Unicode code points.
* A span's end is exclusive (the position just after its last character).
* File offsets are 0-based code-point offsets into the decoded file text.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Literal

Severity = Literal["error", "warning", "info"]
Applicability = Literal["safe", "unsafe", "display-only"]
Syntax = Literal["plain", "fstring", "format", "percent", "dollar", "jinja", "mustache"]
PART_NAMES: tuple[str, ...] = (
    "context",
    "constraints",
    "task",
    "output_contract",
    "stop_condition",
    "verification",
)


def lone_cr_as_lf(text: str) -> str:
    r"""``text`` with each carriage return that no line feed follows (old Mac OS
    line endings, which CPython's tokenizer and editors also read as line breaks;
    the LSP specification counts ``\r`` as one) turned into ``\n``. One character
    for one: every file offset stays valid in the original text, so fixes still
    apply to the file as it is. Returns ``text`` itself when it has none."""
    if "\r" not in text:
        return text
    import re

    return re.sub(r"\r(?!\n)", "\n", text)


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
    r"""Converts 0-based file offsets to 1-based :class:`Position` values.

    ``text`` is the whole decoded file; a line ends at ``\n``, ``\r\n`` or a lone
    ``\r`` (as in the LSP specification), the line end counting in the line. Lookup is ``O(log lines)``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        # Each line's start is the running sum of the lengths before it (``str.split`` and ``accumulate`` run
        # in C: a quarter of a regex scan's time); the sum after the last line is the end, not a start.
        starts = [0, *accumulate(len(line) + 1 for line in lone_cr_as_lf(text).split("\n"))]
        starts.pop()
        self.line_starts = starts

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
    ``parse-error``. ``elsewhere`` is ``(path, line, column)`` (1-based) of a
    finding about text written in another file (what its message names after
    "in"), ``None`` otherwise; it is not kept in the cache.
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
    elsewhere: tuple[str, int, int] | None = None


@dataclass(frozen=True)
class Provenance:
    """The source literal a run of prompt text was written in.

    ``path`` is the file, spelled as the prompt's :attr:`Prompt.path`;
    ``start`` and ``end`` are 0-based code-point offsets into that file's text
    of the whole literal as written, prefix and quotes included, end
    exclusive (``r'…'`` from its ``r`` to just after its closing quote); the
    1-based line and column of an offset come from that file's
    :class:`LineIndex`, never another file's. ``own`` is true when the literal is
    written in the prompt's own statement and false when it belongs to a
    constant the prompt reaches by name (``BASE + "…"``, ``SEP.join([BASE,
    …])``, ``OTHER_PROMPT``), a constant other prompts may share; ``constant``
    names the constant whose assignment holds the literal (``None`` when
    ``own``). The prompt's own statement is the assignment of a prompt-named
    constant, or the LLM call of a call-site prompt together with the message
    list it names (``messages=MESSAGES``); a call-site message that is one
    bare constant (maybe through ``.format``/``.strip``/``dedent``) is named
    after that constant, so that constant's assignment is its own statement.
    ``raw_string`` and ``triple_quoted`` say how the literal is quoted (what
    text written into it must respect).
    """

    path: str
    start: int
    end: int
    own: bool = True
    constant: str | None = None
    raw_string: bool = False
    triple_quoted: bool = False


class SourceMap:
    """Maps offsets in a prompt's text back to 0-based file offsets.

    ``starts[i]`` is the file offset where text character ``i`` comes from and
    ``ends[i]`` the file offset just after it (an escape such as ``\\n`` in a
    Python literal spans two source characters but is one text character).
    A character that was synthesised (for example the blank line promptlint puts
    between two messages of a conversation) maps to the position of the
    character before it.

    ``origins[i]`` is the :class:`Provenance` of text character ``i`` (one
    shared record per literal), or ``None`` when no literal is recorded: the
    character was copied from the prompt's own file (:attr:`Prompt.path`)
    outside any code literal (a prompt file's body, a JSON or YAML string). A
    synthesised character takes the origin of the character before it (the
    file and literal its position maps to). The offsets of ``starts`` and
    ``ends`` belong to that file: turn them into positions with that file's
    :class:`LineIndex` only.
    """

    __slots__ = ("starts", "ends", "origins")

    def __init__(self, starts: list[int] | None = None, ends: list[int] | None = None,
                 origins: list[Provenance | None] | None = None) -> None:
        self.starts: list[int] = starts if starts is not None else []
        self.ends: list[int] = ends if ends is not None else []
        self.origins: list[Provenance | None] = origins if origins is not None else [None] * len(self.starts)

    @classmethod
    def identity(cls, file_offset: int, length: int, origin: Provenance | None = None) -> "SourceMap":
        """A map for text copied verbatim from the file at ``file_offset``."""
        starts = list(range(file_offset, file_offset + length))
        return cls(starts, [s + 1 for s in starts], [origin] * length)

    def __len__(self) -> int:
        return len(self.starts)

    def append_verbatim(self, file_offset: int, length: int, origin: Provenance | None = None) -> None:
        """Record ``length`` more text characters copied one for one from the
        file at ``file_offset``."""
        self.starts.extend(range(file_offset, file_offset + length))
        self.ends.extend(range(file_offset + 1, file_offset + length + 1))
        self.origins.extend([origin] * length)

    def append(self, start: int, end: int, origin: Provenance | None = None) -> None:
        """Record one more text character that came from file ``[start, end)``."""
        self.starts.append(start)
        self.ends.append(end)
        self.origins.append(origin)

    def extend(self, other: "SourceMap") -> None:
        """Append the characters of ``other`` (used to join pieces)."""
        self.starts.extend(other.starts)
        self.ends.extend(other.ends)
        self.origins.extend(other.origins)

    def pad(self, count: int) -> None:
        """Append ``count`` synthesised characters mapped to the last character."""
        last = self.ends[-1] if self.ends else 0
        self.starts.extend([last] * count)
        self.ends.extend([last] * count)
        self.origins.extend([self.origins[-1] if self.origins else None] * count)

    def set_origin(self, origin: Provenance | None) -> None:
        """Record ``origin`` for every character (a map built for one literal)."""
        self.origins = [origin] * len(self.starts)

    def select(self, indices: list[int]) -> "SourceMap":
        """A map of the characters at text offsets ``indices`` (in that order)."""
        return SourceMap([self.starts[i] for i in indices], [self.ends[i] for i in indices],
                         [self.origins[i] for i in indices])

    def origin(self, text_offset: int) -> Provenance | None:
        """:class:`Provenance` of text character ``text_offset`` (``None`` out of range)."""
        if 0 <= text_offset < len(self.origins):
            return self.origins[text_offset]
        return None

    def path_of(self, text_offset: int, default: str) -> str:
        """The file text character ``text_offset`` came from (``default``, the
        prompt's own path, when no literal is recorded for it)."""
        found = self.origin(max(0, min(text_offset, len(self.origins) - 1)))
        return found.path if found is not None else default

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
        """The file span of text ``[text_start, text_end)``; empty spans allowed.

        ``index`` must be the :class:`LineIndex` of the file those characters
        came from (see :meth:`path_of`)."""
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
    ``unused-variable`` findings). ``used_outside`` is true when something
    other than the template text consumes it (a ``.prompty`` tool's
    ``bindings:`` entry), so it is used even if no placeholder names it.
    """

    name: str
    span: Span
    used_outside: bool = False



#: Role names other libraries and formats use, mapped to the chat roles promptlint judges
#: (LangChain's ``human``/``ai``, Gemini's ``model``, OpenAI's ``developer`` ...).
ROLE_ALIASES = {"human": "user", "ai": "assistant", "model": "assistant", "developer": "system", "chat": "user",
                "placeholder": "placeholder"}


def normal_role(role: str) -> str:
    """``role`` (any case) as one of the chat roles promptlint judges (see :data:`ROLE_ALIASES`)."""
    low = role.lower()
    return ROLE_ALIASES.get(low, low)


def primary_index(messages: list) -> int:
    """Index of a conversation's primary message (where prompt-level findings
    are reported): the first system message, else the first message."""
    return next((i for i, m in enumerate(messages) if m.role == "system"), 0)


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
    ``anchor`` is the file offset of the literal that holds it. Which file and
    which literal each character came from (and whether that literal is the
    prompt's own or a referenced constant's) is ``source_map.origins``
    (:class:`Provenance`); the literal quoting flags here describe the last
    piece only.
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
    #: The names a ``.format(name=…)`` call applied to this whole message fills (1-based spans of the keywords),
    #: ``None`` when no such call was followed or it passes positional or ``**`` arguments.
    declared: list[Declaration] | None = None


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
    #: Ids of the prompts this one is built from (constants it concatenates or interpolates) and of the prompts
    #: built from it. A prompt composed into another is a *fragment*: judged as part of what it composes.
    composed_of: list[str] = field(default_factory=list)
    composed_into: list[str] = field(default_factory=list)
    #: Why the extractor took this text as a prompt: ``name`` (a prompt-named constant, variable or key),
    #: ``call-site`` (written in or named by an LLM call), ``flow`` (reached backwards from an LLM call through
    #: locals, ``+=``, appended messages, attributes or function returns), ``content`` (a string that reads as
    #: instructions in a prompt-named class or function, or a prompt catalogue), ``tool`` (the description of a
    #: tool definition), ``marker`` (a ``# promptlint: prompt`` comment) or ``file`` (a prompt file).
    found_by: str = "file"
    #: Templates a Jinja prompt file pulls in (``{% include %}``, ``{% extends %}``, ``{% import %}``,
    #: ``{% from … import %}``): ``(name, text start, text end, path or None)``, offsets into the message text of
    #: the quoted name; the path is where the name resolves (its folder or a folder above, within the project),
    #: ``None`` when no such file exists.
    includes: list[tuple[str, int, int, str | None]] = field(default_factory=list)
    #: A value filled into a placeholder of another prompt (``TEMPLATE.format(examples=EXAMPLES)``): what it
    #: means (a JSON example, or a Python dict the template asks for) is said by the template's words around it,
    #: so the checks that need those words (:data:`promptlint.rulepacks.SKIPPED_ON_FILLS`) skip it.
    fill: bool = False
    #: The response cache around the call that sends this prompt, when the code shows one
    #: (:class:`promptlint.extract.caching.CacheFact`; code prompts only).
    cache: object | None = None

    @property
    def main(self) -> Message:
        """The primary message."""
        return self.messages[self.primary]

    @property
    def syntax(self) -> Syntax:
        """The primary message's template syntax."""
        return self.main.syntax
