"""Check kinds: each module here implements one kind that rules in ``rules/`` use.

A check kind is a function ``run(ctx: CheckContext) -> None`` that reports
findings through ``ctx.emit``. Rules choose the kind with ``check:`` and pass
``options:``; the message template is the rule's.
"""

from __future__ import annotations

import importlib
import os
from collections import defaultdict

from ..analysis import Analysis
from ..model import Finding, Fix, LineIndex, Position, Span
from ..rulepacks import Rule

CHECK_KINDS: dict[str, str] = {
    "contract-part": "parts",
    "separation": "separation",
    "output-shape": "output_shape",
    "output-schema": "output_schema",
    "braces": "braces",
    "placeholders": "placeholders",
    "concatenation": "concatenation",
    "template-syntax": "template_syntax",
    "injection": "injection",
    "empty": "empty",
    "contract": "serving",
    "todo-part": "todo",
    "includes": "includes",
    "serving-call": "serving_calls",
    "secrets": "secrets",
    "personal-data": "personal",
    "contradictions": "contradictions",
    "undelimited-input": "undelimited",
    "token-budget": "budget",
}
#: Kinds that run once per file on the extractor's call facts rather than per prompt (see
#: :mod:`promptlint.checks.serving_calls`).
FILE_KINDS = frozenset({"serving-call"})
#: A rule with ``check: engine`` is reported by the engine itself (``parse-error``,
#: ``unused-suppression``): it has no check module.
ENGINE_KIND = "engine"
#: Every kind a rule file may name.
RULE_CHECK_KINDS = frozenset(CHECK_KINDS) | {ENGINE_KIND}


def get_check(kind: str):  # noqa: ANN201 - a check function
    """The ``run`` function of check kind ``kind`` (its module is looked up once per
    process: the engine asks for every rule of every prompt); raises ``KeyError``
    if unknown."""
    module = _MODULES.get(kind)
    if module is None:
        module = _MODULES[kind] = importlib.import_module(f"{__name__}.{CHECK_KINDS[kind]}")
    return module.run


_MODULES: dict = {}


class CheckContext:
    """What a check sees: the prompt's :class:`~promptlint.analysis.Analysis`,
    the rule, the linted file's ``path`` and :class:`~promptlint.model.LineIndex`,
    and a list the findings go into.

    The prompt's text may come from another file than the one linted: a
    contract file (``x.contract.yaml``, ``*.contracts.yaml``) runs its rules on
    the prompt it names. Joined-text offsets are turned into positions with the
    line index of the file they came from (:meth:`file_of`, :meth:`index_for`);
    ``indexes`` may hold those of other files (``{path: LineIndex}``); any
    other is built from the file on disk when first needed (the contract-file
    extractor read the prompt from disk too). A finding always belongs to the
    linted file (its suppressions, its fixes, its editor diagnostics): one
    about text in another file is reported at the contract's own key in the
    linted file and its message ends with the text's ``path:line:column``
    (see :meth:`emit`).
    """

    def __init__(self, analysis: Analysis, rule: Rule, index: LineIndex, path: str, ruleset=None,  # noqa: ANN001
                 indexes: dict[str, LineIndex] | None = None, *, layout: str | None, settings=None) -> None:  # noqa: ANN001
        self.analysis = analysis
        self.settings = settings  # the run's promptlint.config.Settings (None in callers that have none)
        self.ruleset = ruleset
        self.layout = layout  # the configured restructure layout (Settings.layout), for the restructure fix
        self.rule = rule
        self.index = index
        self.path = path
        self.indexes = dict(indexes or {})
        self.options = rule.options or {}
        self.findings: list[Finding] = []

    def file_of(self, start: int) -> str:
        """The file joined-text character ``start`` came from (a prompt's text
        comes from one file: its literal's, else the prompt's own path)."""
        return self.analysis.source_map.path_of(start, self.analysis.prompt.path)

    def is_local(self, path: str) -> bool:
        """Is ``path`` the linted file?"""
        return _same_file(path, self.path)

    def index_for(self, path: str) -> LineIndex:
        """The line index of file ``path`` (the linted file's own, one passed
        in ``indexes``, or one built from the file as it is on disk; an empty
        one when it cannot be read)."""
        if self.is_local(path):
            return self.index
        found = self.indexes.get(path)
        if found is None:
            from ..source import read_source

            text, _problem = read_source(path)
            found = self.indexes[path] = LineIndex(text or "")
        return found

    def text_span(self, start: int, end: int) -> Span:
        """File span of joined-text range ``[start, end)`` in the file it came
        from (:meth:`file_of`), 1-based lines and columns."""
        return self.analysis.source_map.span(self.index_for(self.file_of(start)), start, end)

    def location(self, start: int) -> str:
        """``path:line:column`` (1-based) of joined-text character ``start``."""
        pos = self.text_span(start, start + 1).start
        return f"{self.file_of(start)}:{pos.line}:{pos.column}"

    def head_span(self) -> tuple[int, int]:
        """Joined-text range of the primary message's first line (where
        prompt-level findings are reported)."""
        a = self.analysis
        start = a.main_offset
        view = a.views[a.prompt.primary]
        return start, self.line_end(start, view.offset + len(a.prompt.main.text))

    def line_end(self, start: int, limit: int) -> int:
        """Joined-text offset where the line holding ``start`` ends, at most
        ``limit``, trailing white space (a CRLF line's ``\\r`` too) left out;
        never before ``start``."""
        text = self.analysis.text
        nl = text.find("\n", start, limit)
        end = limit if nl == -1 else nl
        while end > start and text[end - 1] in " \t\r":
            end -= 1
        return max(start, end)

    def anchor_span(self) -> Span:
        """Where a finding about another file's text lands in the linted file:
        the key of the prompt's contract when the contract is written here,
        the start of a code prompt written here (text it reads from a file),
        else the file's first character."""
        prompt = self.analysis.prompt
        lc = prompt.contract
        if lc is not None and self.is_local(getattr(lc, "path", "")):
            line, col = lc.position()
            return Span(Position(line, col), Position(line, col + 1))
        if prompt.origin == "code" and self.is_local(prompt.path):
            at = self.index.position(prompt.main.anchor)
            return Span(at, at)
        return Span(Position(1, 1), Position(1, 1))

    def emit(self, start: int, end: int, *, fix: Fix | None = None, span: Span | None = None,
             span_file: str | None = None, fingerprint: str | None = None, **fields: object) -> Finding:
        """Report a finding at joined-text ``[start, end)`` (or at ``span``
        when given: a span in the linted file, or in ``span_file``). ``fields``
        fill the rule's message template.

        A finding whose place is in another file than the linted one is
        reported at :meth:`anchor_span` instead, with `` (in PATH:LINE:COLUMN)``
        added to its message, and without its fix (whose edits hold that
        file's offsets): a finding never carries one file's path with another
        file's position.
        """
        values = defaultdict(str, {k: " ".join(str(v).split()) if isinstance(v, str) else v
                                   for k, v in fields.items()})
        message = self.rule.message.format_map(values)
        if span is None:
            where_file = self.file_of(start)
            where = self.text_span(start, end)
        else:
            where_file, where = span_file or self.path, span
        elsewhere = None
        if not self.is_local(where_file):
            elsewhere = (where_file, where.start.line, where.start.column)
            message += f" (in {where_file}:{where.start.line}:{where.start.column})"
            where, fix = self.anchor_span(), None
        finding = Finding(
            code=self.rule.code,
            name=self.rule.name,
            message=message,
            severity=self.rule.severity,  # type: ignore[arg-type]
            path=self.path,
            span=where,
            prompt_id=self.analysis.prompt.id,
            fix=fix if (fix is None or self.rule.fix != "none") else None,
            url=self.rule.url,
            fingerprint_text=fingerprint if fingerprint is not None else " ".join(self.analysis.text[start:end].split()),
            elsewhere=elsewhere,
        )
        self.findings.append(finding)
        return finding


def _same_file(a: str, b: str) -> bool:
    """Do paths ``a`` and ``b`` name one file (as spelled, normalised, or on disk)?"""
    if a == b or os.path.normpath(a) == os.path.normpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
