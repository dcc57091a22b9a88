"""Deterministic restructure of a prompt into labelled contract parts.

Used as the fallback of ``promptlint rewrite`` and as the unsafe fix of
``sections-not-separated`` and the ``missing-*`` rules. It only moves the
prompt's own sentences (no word is invented) under one label per part, and
marks a part the original lacks with the TODO text from that part's
``missing-*`` rule. A prompt that is already separated keeps its text and gets
the missing parts appended.

:func:`render_parts` is also how a model's JSON answer is written back, so both
paths produce the same layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .analysis import Analysis
from .model import PART_NAMES
from .sections import assign_pieces

LABELS = {
    "context": "Context", "constraints": "Constraints", "task": "Task", "output_contract": "Output format",
    "stop_condition": "Stop condition", "verification": "Verification",
}
_LEADING = re.compile(r"^(?:and|but|then|so|also|while|or)\s+", re.I)


@dataclass
class Restructured:
    """The restructured text of a prompt's primary message, and which parts got TODO markers."""

    text: str
    todo_parts: list[str]
    kept_layout: bool


def layout_for(path: str, analysis: Analysis, configured: str | None = None) -> str:
    """``markdown`` (``#`` headings) or ``label`` (``Label:`` blocks): the
    configured layout, else Markdown for Markdown files and prompts that
    already use headings, else labels."""
    if configured in ("markdown", "label"):
        return configured
    if path.lower().endswith((".md", ".markdown", ".mdx")) or any(
            b.kind == "heading" for b in analysis.sections.blocks):
        return "markdown"
    return "label"


def todo_text(part: str, ruleset=None) -> str:  # noqa: ANN001 - RuleSet
    """The TODO line for a missing ``part``: the scaffold text of its rule."""
    if ruleset is not None:
        rule = next((r for r in ruleset.rules if r.check == "contract-part" and r.options.get("part") == part), None)
        if rule is not None and rule.options.get("scaffold", {}).get("text"):
            return rule.options["scaffold"]["text"]
    return "TODO: state the " + part.replace("_", " ") + "."


def _tidy(sentence: str) -> str:
    s = _LEADING.sub("", sentence.strip().strip(",;").strip())
    s = re.sub(r"\s+(?:and|or|but)$", "", s).strip().strip(",;")
    if not s:
        return s
    if s[0].isalpha():
        s = s[0].upper() + s[1:]
    if s[-1].isalnum() or s[-1] in ")'\"":
        s += "."
    return s


VERBATIM = "\x00"


def render_parts(parts: dict[str, list[str]], layout: str) -> str:
    """Render ``parts`` (part name → list of text items, in
    :data:`~promptlint.model.PART_NAMES` order) as one block per part.

    Constraints with several items become a bulleted list. An item that holds
    a newline, or starts with :data:`VERBATIM` (copied from the original with
    its line layout), puts the part's items on lines of their own. Parts with no
    items are left out.
    """
    blocks = []
    for part in PART_NAMES:
        raw_items = [i for i in parts.get(part, []) if i.strip(VERBATIM + " \n")]
        if not raw_items:
            continue
        multi = any("\n" in i or i.startswith(VERBATIM) for i in raw_items)
        items = [i.lstrip(VERBATIM) for i in raw_items]
        label = LABELS[part]
        if part == "constraints" and len(items) > 1 and not multi:
            body = "\n".join(f"- {i.lstrip('-* ').strip()}" for i in items)
            blocks.append(f"# {label}\n{body}" if layout == "markdown" else f"{label}:\n{body}")
            continue
        body = ("\n" if multi else " ").join(i.strip() for i in items)
        if layout == "markdown":
            blocks.append(f"# {label}\n{body}")
        elif multi:
            blocks.append(f"{label}:\n{body}")
        else:
            blocks.append(f"{label}: {body}")
    return "\n\n".join(blocks) + "\n"


def restructure(analysis: Analysis, path: str, ruleset, layout: str | None,  # noqa: ANN001
                wanted: frozenset[str] | None = None) -> Restructured:
    """Restructure ``analysis.prompt``'s primary message (see module docstring).

    ``ruleset`` gives each part's TODO text; ``layout`` is the configured
    layout (``Settings.layout``; ``None`` chooses by file and prompt, see
    :func:`layout_for`); sentences are assigned to parts with the
    vocabulary the prompt was analysed with. ``wanted`` names the parts a
    missing one of which gets a TODO block (:func:`wanted_parts`: all but those
    whose ``missing-*`` rule the user ignores for the file; ``None``: every
    part). Built once per analysis, layout and ``wanted`` (kept in
    ``analysis.memo``)."""
    key = ("restructure", path, layout, wanted)
    if key not in analysis.memo:
        analysis.memo[key] = _restructure(analysis, path, ruleset, layout, wanted)
    return analysis.memo[key]


def wanted_parts(settings, path: str) -> frozenset[str]:  # noqa: ANN001 - promptlint.config.Settings
    """The contract parts a restructure of a prompt in ``path`` may mark TODO:
    every part but those whose ``missing-*`` rule (check ``contract-part``) the
    user turned off by name (``ignore``, ``per-file-ignores``:
    :meth:`promptlint.config.Settings.ignores`). A rule merely left out of the
    selection still gets its TODO; an ignored one would come back as a
    ``todo-part`` finding on the next run."""
    off = {r.options.get("part") for r in settings.ruleset.rules
           if r.check == "contract-part" and settings.ignores(path, r)}
    return frozenset(p for p in PART_NAMES if p not in off)


def _restructure(analysis: Analysis, path: str, ruleset, layout: str | None,  # noqa: ANN001
                 wanted: frozenset[str] | None = None) -> Restructured:
    prompt = analysis.prompt
    msg = prompt.main
    view = analysis.views[prompt.primary]
    sections = analysis.sections
    lay = layout_for(path, analysis, layout)
    # A part that already has a TODO block gets no second one.
    todo = [p for p in PART_NAMES if not sections.parts[p].present and sections.parts[p].todo_offset is None
            and (wanted is None or p in wanted)]
    unlabelled = [p for p in sections.present if p != "context" and not sections.parts[p].labelled]
    if sections.separated and not unlabelled:
        extra = {p: [todo_text(p, ruleset)] for p in todo}
        if not extra:
            return Restructured(msg.text, [], True)
        body = msg.text.rstrip("\n")
        return Restructured(body + "\n\n" + render_parts(extra, lay), todo, True)
    lo, hi = view.offset, view.offset + len(msg.text)
    clean = analysis.clean[lo:hi]
    ph = [(p.start - lo, p.end - lo) for p in view.template.placeholders]
    pieces = [pc for pc in assign_pieces(clean, placeholders=ph, vocabulary=analysis.vocabulary)
              if msg.text[pc.start:pc.end].strip()]
    owner = [pc.part or "context" for pc in pieces]
    # The analysis decides which parts are present: a present part that got no piece takes the piece holding its
    # evidence (when that leaves the piece's part another one), so no TODO is invented for a part the prompt states.
    for part in PART_NAMES:
        if not sections.parts[part].present or part in owner:
            continue
        for off in sections.parts[part].offsets:
            i = next((k for k, pc in enumerate(pieces) if pc.start <= off - lo < pc.end), None)
            if i is not None and owner.count(owner[i]) > 1:
                owner[i] = part
                break
        else:
            # Else the first piece no cue claimed ("Add the numbers", filed under context by default), when
            # context is not what the analysis found there.
            spare = next((k for k, pc in enumerate(pieces) if pc.part is None and owner[k] == "context"
                          and (not sections.parts["context"].present or owner.count("context") > 1)), None)
            if spare is not None:
                owner[spare] = part
    parts: dict[str, list[str]] = {p: [] for p in PART_NAMES}
    for piece, part in zip(pieces, owner):
        raw = msg.text[piece.start:piece.end]
        item = VERBATIM + raw.strip() if piece.verbatim and raw.strip() else _tidy(raw)
        if item:
            parts[part].append(item)
    for p in PART_NAMES:
        if not parts[p] and (wanted is None or p in wanted):
            parts[p].append(todo_text(p, ruleset))
        elif not parts[p]:
            del parts[p]  # (a part whose rule is off gets no block)
    missing = [p for p in parts if parts[p] == [todo_text(p, ruleset)]]
    return Restructured(render_parts(parts, lay), missing, False)
