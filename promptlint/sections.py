"""Contract-part segmentation: which of the six contract parts a prompt states, and where.

A prompt's text is split into *blocks*: explicit structure first (Markdown
headings, ``Label:`` lines, bold labels, XML-style tags, bracketed labels,
``###``/``---`` delimiters, role-message boundaries), then blank-line
paragraphs. A block whose label is in the vocabulary holds that part. Inside
every block, sentence cues (regular expressions from the vocabulary) find
parts stated without a label. The vocabulary lives in ``rules/core/vocabulary.yml``
and can be extended by configuration.

``separated`` is true when every present part has a block of its own: a block
labelled for it, or an unlabelled paragraph in which it is the only part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import PART_NAMES
from .vocabulary import Vocabulary, normalise_label  # noqa: F401 - Vocabulary is part of this module's interface

_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+(?P<label>[^\n#]+?)[ \t#]*$")
_BOLD = re.compile(r"[ \t]*(?:\*\*|__)(?P<label>[^*_\n]{1,48}?)[: ]*(?:\*\*|__)[ \t]*:?[ \t]*(?P<rest>.*)$")
_BRACKET = re.compile(r"[ \t]*\[(?P<label>[A-Za-z][^\]\n]{0,40})\][ \t]*:?[ \t]*(?P<rest>.*)$")
#: ``Label: rest`` (``：`` is the full-width colon of Chinese and Japanese text, followed by no space there).
_LABEL_LINE = r"(?P<label>[^\W\d_][\w '’/()-]{0,40}?)[ \t]*(?::(?:[ \t]+(?P<rest>.*)|[ \t]*)|：[ \t]*(?P<rest_cjk>.*))$"
_COLON = re.compile(r"[ \t]*" + _LABEL_LINE)
#: A numbered list item that is a part label: "5. VERIFICATION: check every total".
_NUMBERED_LABEL = re.compile(r"[ \t]*\d{1,2}[.)][ \t]+" + _LABEL_LINE)
_XML_OPEN = re.compile(r"[ \t]*<(?P<tag>[A-Za-z_][\w.-]{0,40})(?:[ \t][^>\n]*)?>(?P<rest>.*)$")
_DELIMITER = re.compile(r"[ \t]*(?:#{3,}|-{3,}|={3,}|\*{3,}|~{3,}|_{3,})[ \t]*$")
_FENCE = re.compile(r"[ \t]*(?:```|~~~)")
_BULLET = re.compile(r"[ \t]*(?:[-*+•]|\d+[.)])[ \t]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?P<close>[\"'’”)\]]*)\s+|\n+")
_CLAUSE_STARTERS = (
    r"and|but|then|giving|only|so|while|using|making|which|or|if|unless|when|keep|use|don't|do not|never|always|"
    r"avoid|make|be|ensure|answer|write|classify|summari[sz]e|extract|list|rewrite|translate|generate|draft|"
    r"create|identify|explain|describe|compare|evaluate|grade|review|analy[sz]e|fill|produce|find|determine|"
    r"decide|convert|label|rate|score|select|choose|return|output|respond|reply|give|provide|format|cite|quote"
)
_CLAUSE_SPLIT = re.compile(
    r";\s+|,\s+(?=(?:" + _CLAUSE_STARTERS + r")\b)"
    r"|\s+and\s+(?=(?:you|if|then|ask|say|return|reply|respond|give|output|answer|never|always|only)\b)",
    re.I,
)
_PLACEHOLDER_ONLY = re.compile(r"[\s:\-–—\"'`]*$")


@dataclass
class Block:
    """A block of prompt text ``[start, end)`` (text offsets).

    ``label_part`` is the part its label names (``None`` for unlabelled
    paragraphs and unknown labels); ``kind`` says how it was recognised:
    heading, label, bold, xml, bracket, input or paragraph. ``parts`` is the
    main part of each cue-bearing clause in it.
    """

    start: int
    end: int
    kind: str
    label: str | None = None
    label_part: str | None = None
    label_start: int = 0
    parts: set[str] = field(default_factory=set)
    owns: set[str] = field(default_factory=set)


@dataclass
class PartInfo:
    """Where a contract part is stated: ``offsets`` are text offsets of evidence;
    ``label_offset`` is where its first label is, when it has one;
    ``todo_offset`` is the label of a block for this part that holds only a
    TODO marker (``TODO``, ``FIXME``, ``TBD``): such a block does not make the
    part present (the ``todo-part`` rule reports it)."""

    present: bool = False
    labelled: bool = False
    offsets: list[int] = field(default_factory=list)
    label_offset: int | None = None
    todo_offset: int | None = None


@dataclass
class Sections:
    """The segmentation of one prompt text.

    ``parts`` maps every name in :data:`promptlint.model.PART_NAMES` to a
    :class:`PartInfo`; ``mixed`` lists unlabelled blocks that hold several
    parts; ``separated`` is the verdict described in the module docstring.
    """

    blocks: list[Block]
    parts: dict[str, PartInfo]
    mixed: list[Block]
    separated: bool

    @property
    def present(self) -> list[str]:
        """Present part names in canonical order."""
        return [p for p in PART_NAMES if self.parts[p].present]


def blank_ranges(text: str, ranges: list[tuple[int, int]]) -> str:
    """Replace ``ranges`` of ``text`` with spaces, keeping newlines and offsets."""
    if not ranges:
        return text
    chars = list(text)
    for s, e in ranges:
        for i in range(s, min(e, len(chars))):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


#: A block body that is only a reminder to write the part (matched at the body's start, after blanks).
TODO_MARKER = re.compile(r"\s*(?:TODO|FIXME|TBD)\b")


def segment(text: str, *, vocabulary: Vocabulary, placeholders: list[tuple[int, int]] = (),
            boundaries: list[int] = ()) -> Sections:
    """Segment ``text`` into blocks and find the contract parts.

    ``text`` should already have template logic blanked out (see
    :func:`blank_ranges`); ``placeholders`` are ``(start, end)`` text offsets of
    template variables; ``boundaries`` are offsets where a new message starts.
    """
    vocab = vocabulary
    blocks = _split_blocks(text, vocab, placeholders, set(boundaries))
    parts = {p: PartInfo() for p in PART_NAMES}
    mixed: list[Block] = []
    for b in blocks:
        body_start = b.start if b.kind == "paragraph" else _body_start(text, b)
        if b.label_part and TODO_MARKER.match(text, body_start, b.end):
            # "Stop condition: TODO ..." is a reminder, not the part.
            if parts[b.label_part].todo_offset is None:
                parts[b.label_part].todo_offset = b.label_start
            continue
        if b.label_part:
            info = parts[b.label_part]
            info.present = info.labelled = True
            info.offsets.append(b.label_start)
            if info.label_offset is None:
                info.label_offset = b.label_start
        skip_context = b.label_part is not None and b.label_part != "context"
        stated: set[str] = set()
        for part, off, main in _cue_parts(text, body_start, b.end, vocab, skip_context):
            info = parts[part]
            info.present = True
            info.offsets.append(off)
            stated.add(part)
            if main and b.label_part is None:
                b.parts.add(part)
        if b.label_part is None and len(b.parts) == 1 and sum(1 for _ in _clauses(text[body_start:b.end])) == 1:
            # One short instruction ("Answer in one sentence.") states its task and its shape at once:
            # that is a block of its own for both, not parts run together.
            b.owns = stated
        if b.kind == "input" or (b.label_part is None and _mostly_placeholder(text, b, placeholders)):
            parts["context"].present = True
            parts["context"].offsets.append(b.start)
            if b.label_part is None and not b.parts - {"context"}:
                b.parts = {"context"}
        if b.label_part is None and len(b.parts) > 1:
            mixed.append(b)
    owned: set[str] = set()
    for b in blocks:
        # A TODO block still gives its part a block of its own (separation is about layout; the
        # todo-part rule reports that the block is empty of content).
        if b.label_part:
            owned.add(b.label_part)
        elif len(b.parts) == 1:
            owned |= b.parts | b.owns
    for info in parts.values():
        info.offsets.sort()
    present = [p for p in PART_NAMES if parts[p].present]
    separated = all(p in owned for p in present) and not mixed
    return Sections(blocks, parts, mixed, separated)


def _body_start(text: str, b: Block) -> int:
    """Where a labelled block's own text starts (after its label)."""
    nl = text.find("\n", b.label_start)
    line_end = len(text) if nl == -1 else nl
    if b.kind in ("heading", "xml"):
        if b.kind == "xml":
            gt = text.find(">", b.label_start, line_end)
            if gt != -1 and text[gt + 1:line_end].strip():
                return gt + 1
        return min(b.end, line_end + 1)
    m = re.search(r"[:：]|\]|\*\*[ \t]*[:：]?|__[ \t]*[:：]?", text[b.label_start:line_end])
    return b.label_start + (m.end() if m else 0)


def _mostly_placeholder(text: str, b: Block, placeholders) -> bool:
    inside = [(s, e) for s, e in placeholders if b.start <= s < b.end]
    if not inside:
        return False
    rest = blank_ranges(text[b.start:b.end], [(s - b.start, e - b.start) for s, e in inside])
    words = re.findall(r"[A-Za-z]{2,}", rest)
    return len(words) <= 6


def _classify_label(label: str, vocab: Vocabulary) -> str | None:
    norm = normalise_label(label)
    if norm in vocab.labels:
        return vocab.labels[norm]
    # "Output format (JSON)", "Task 1" and similar: try the leading words.
    words = norm.split(" ")
    for n in range(min(3, len(words)), 0, -1):
        key = " ".join(words[:n])
        if key in vocab.labels:
            return vocab.labels[key]
    return None


def _split_blocks(text: str, vocab: Vocabulary, placeholders, boundaries: set[int]) -> list[Block]:
    blocks: list[Block] = []
    cur: Block | None = None
    xml_stack: list[str] = []
    in_fence = False
    pos = 0
    n = len(text)
    ph_starts = sorted(s for s, _ in placeholders)

    def has_placeholder(s: int, e: int) -> bool:
        import bisect

        i = bisect.bisect_left(ph_starts, s)
        return i < len(ph_starts) and ph_starts[i] < e

    def close(at: int) -> None:
        nonlocal cur
        if cur is not None:
            cur.end = at
            if text[cur.start:cur.end].strip():
                blocks.append(cur)
        cur = None

    def open_block(start: int, kind: str, label: str | None = None, part: str | None = None) -> None:
        nonlocal cur
        close(start)
        cur = Block(start, n, kind, label, part, start)

    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl == -1 else nl
        line = text[pos:end]
        if pos in boundaries:
            close(pos)
            xml_stack.clear()
            in_fence = False
        stripped = line.strip()
        if _FENCE.match(line):
            in_fence = not in_fence
            if cur is None:
                open_block(pos, "paragraph")
        elif in_fence:
            pass
        elif not stripped:
            if cur is not None and cur.kind in ("paragraph", "label", "bold", "bracket", "input") and not xml_stack:
                close(pos)
        elif xml_stack and re.fullmatch(r"\s*</" + re.escape(xml_stack[-1]) + r">\s*", line):
            xml_stack.pop()
            close(end)
        elif _DELIMITER.fullmatch(line):
            close(pos)
        else:
            m = _HEADING.fullmatch(line)
            if m:
                part = _classify_label(m.group("label"), vocab)
                open_block(pos, "heading", m.group("label").strip(), part)
            elif (m := _XML_OPEN.fullmatch(line)) and not line.lstrip().startswith("</"):
                tag = m.group("tag")
                rest = m.group("rest")
                part = _classify_label(tag, vocab)
                open_block(pos, "xml", tag, part)
                if not re.search(r"</" + re.escape(tag) + r">\s*$", rest):
                    xml_stack.append(tag)
                elif part is None and has_placeholder(pos, end):
                    cur.kind = "input"
            elif (m := _BOLD.fullmatch(line)) and _classify_label(m.group("label"), vocab):
                open_block(pos, "bold", m.group("label"), _classify_label(m.group("label"), vocab))
            elif (m := _BRACKET.fullmatch(line)) and _classify_label(m.group("label"), vocab):
                open_block(pos, "bracket", m.group("label"), _classify_label(m.group("label"), vocab))
            elif (m := _NUMBERED_LABEL.fullmatch(line)) and _classify_label(m.group("label"), vocab):
                open_block(pos, "label", m.group("label"), _classify_label(m.group("label"), vocab))
            elif (m := _COLON.fullmatch(line)) and not _BULLET.match(line):
                label = m.group("label")
                part = _classify_label(label, vocab)
                if part is not None:
                    open_block(pos, "label", label, part)
                elif (len(label.split()) <= 4 and label[:1].isupper() and _input_follows(text, pos, end, has_placeholder)
                      and not any(rx.match(label) for rx in vocab.clause_cues["task"])):
                    # "Question: {q}" labels an input; "Translate to French: {text}" is an instruction.
                    open_block(pos, "input", label, None)
                elif cur is None:
                    open_block(pos, "paragraph")
            elif cur is None:
                open_block(pos, "paragraph")
        if nl == -1:
            break
        pos = nl + 1
    close(n)
    return blocks


def _input_follows(text: str, pos: int, end: int, has_placeholder) -> bool:
    if has_placeholder(pos, end):
        return True
    nxt = text.find("\n", end + 1)
    nxt = len(text) if nxt == -1 else nxt
    return end < len(text) and has_placeholder(end + 1, nxt)


def _cue_parts(text: str, start: int, end: int, vocab: Vocabulary, skip_context: bool):
    """Yield ``(part, offset, is_main)`` for each cue found in text ``[start, end)``.

    Stop-condition and verification cues may span clauses (``if X, ask Y``) and
    are matched over the whole block; the other parts are matched per clause,
    and the highest-priority part of a clause is its main part.
    """
    body = text[start:end]
    if not body.strip():
        return
    claimed: list[tuple[int, int]] = []
    for part in ("stop_condition", "verification"):
        for rx in vocab.anywhere_cues[part]:
            for m in rx.finditer(body):
                claimed.append((m.start(), m.end()))
                yield part, start + m.start(), True
    for cs, ce in _clauses(body):
        if any(s < ce and cs < e for s, e in claimed):
            continue
        clause = body[cs:ce]
        found = _clause_parts(clause, vocab, skip_context)
        for i, part in enumerate(found):
            yield part, start + cs, i == 0


def _clause_parts(clause: str, vocab: Vocabulary, skip_context: bool = False) -> tuple[str, ...]:
    """Parts a clause's cues name, main part first: a clause that opens with a
    role statement ("You are …") is context first; otherwise priority order.
    Remembered per vocabulary (:attr:`Vocabulary.clause_memo`, at most 16,384
    clauses, the oldest forgotten first)."""
    memo = vocab.clause_memo
    known = memo.get((clause, skip_context))
    if known is None:
        known = memo[(clause, skip_context)] = _cued_parts(clause, vocab, skip_context)
        if len(memo) > 16384:  # a long-lived language server: keep the memo bounded
            memo.pop(next(iter(memo)))
    return known


def _cued_parts(clause: str, vocab: Vocabulary, skip_context: bool) -> tuple[str, ...]:
    found: list[str] = []
    opens_with_context = False
    for part, openers, anywhere in vocab.clause_plan:
        if part == "context" and skip_context:
            continue
        hit = False
        for match in openers:
            if match(clause):
                hit = True
                break
        if hit:
            opens_with_context = part == "context"
        else:
            for search in anywhere:
                if search(clause):
                    hit = True
                    break
        if hit:
            found.append(part)
    if opens_with_context and found[0] != "context":
        found.remove("context")
        found.insert(0, "context")
    return tuple(found)


def _clauses(body: str):
    """Yield ``(start, end)`` of each clause: sentences split at conjunction commas."""
    pos = 0
    for m in _SENTENCE_END.finditer(body + "\n"):
        # A closing quote or bracket after the full stop belongs to the sentence.
        sent_end = min(m.start() + len(m.group("close") or ""), len(body))
        if sent_end > pos:
            yield from _split_clause(body, pos, sent_end)
        pos = m.end()


def _split_clause(body: str, s: int, e: int):
    lead = _BULLET.match(body, s)
    if lead and lead.end() <= e:
        s = lead.end()
    pos = s
    for m in _CLAUSE_SPLIT.finditer(body, s, e):
        if m.start() > pos:
            yield pos, m.start()
        pos = m.end()
    if e > pos:
        yield pos, e


@dataclass
class Piece:
    """A stretch of prompt text ``[start, end)`` assigned to one contract part
    (``None`` when no cue names one). ``verbatim`` pieces (labelled block
    bodies, input blocks) keep their line layout when re-rendered."""

    start: int
    end: int
    part: str | None
    verbatim: bool = False


def assign_pieces(text: str, *, vocabulary: Vocabulary, placeholders: list[tuple[int, int]] = (),
                  boundaries: list[int] = ()) -> list[Piece]:
    """Split ``text`` into pieces, each assigned to the contract part it states.

    Labelled blocks give their body to their label's part; input blocks (a
    label followed by a placeholder) go to context; unlabelled paragraphs are
    cut into clauses and each clause goes to its main part (a stop condition or
    verification cue keeps its whole match together). Used by the deterministic
    restructure.
    """
    vocab = vocabulary
    pieces: list[Piece] = []
    for b in _split_blocks(text, vocab, placeholders, set(boundaries)):
        if b.label_part:
            s = _body_start(text, b)
            body = text[s:b.end]
            if b.kind == "xml":
                close = re.search(r"</" + re.escape(b.label or "") + r">\s*$", body)
                if close:
                    body = body[:close.start()]
            lead = len(body) - len(body.lstrip())
            if body.strip():
                pieces.append(Piece(s + lead, s + len(body.rstrip()), b.label_part, verbatim="\n" in body.strip()))
            continue
        if b.kind == "input" or _mostly_placeholder(text, b, placeholders):
            body = text[b.start:b.end]
            pieces.append(Piece(b.start, b.start + len(body.rstrip()), "context", verbatim=True))
            continue
        pieces.extend(_paragraph_pieces(text, b.start, b.end, vocab))
    return pieces


def _paragraph_pieces(text: str, start: int, end: int, vocab: Vocabulary) -> list[Piece]:
    body = text[start:end]
    claimed: list[tuple[int, int, str]] = []
    for part in ("stop_condition", "verification"):
        for rx in vocab.anywhere_cues[part]:
            for m in rx.finditer(body):
                if not any(s < m.end() and m.start() < e for s, e, _ in claimed):
                    claimed.append((m.start(), m.end(), part))
    out: list[Piece] = []
    taken: set[int] = set()
    for cs, ce in _clauses(body):
        hit = next((c for c in claimed if c[0] < ce and cs < c[1]), None)
        if hit is not None:
            key = claimed.index(hit)
            if key in taken:
                out[-1].end = max(out[-1].end, start + ce)
                continue
            taken.add(key)
            out.append(Piece(start + min(cs, hit[0]), start + max(ce, hit[1]), hit[2]))
            continue
        found = _clause_parts(body[cs:ce], vocab)
        main = found[0] if found else None
        if main is None and out and text[out[-1].end:start + cs].strip(" ,") == "":
            out[-1].end = start + ce  # an uncued clause continues the one before it
            continue
        out.append(Piece(start + cs, start + ce, main))
    return out
