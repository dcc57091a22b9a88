"""Check kinds: each module here implements one kind that rules in ``rules/`` use.

A check kind is a function ``run(ctx: CheckContext) -> None`` that reports
findings through ``ctx.emit``. Rules choose the kind with ``check:`` and pass
``options:``; the message template is the rule's.
"""

from __future__ import annotations

import importlib
from collections import defaultdict

from ..analysis import Analysis
from ..model import Finding, Fix, LineIndex, Span
from ..rulepacks import Rule

CHECK_KINDS: dict[str, str] = {
    "contract-part": "contract_part",
    "separation": "separation",
    "output-shape": "output_shape",
    "output-schema": "output_schema",
    "braces": "braces",
    "placeholders": "placeholders",
    "concatenation": "concatenation",
    "template-syntax": "template_syntax",
    "injection": "injection",
    "empty": "empty",
    "contract": "contract",
}
#: A rule with ``check: engine`` is reported by the engine itself (``parse-error``,
#: ``unused-suppression``): it has no check module.
ENGINE_KIND = "engine"
#: Every kind a rule file may name.
RULE_CHECK_KINDS = frozenset(CHECK_KINDS) | {ENGINE_KIND}


def get_check(kind: str):  # noqa: ANN201 - a check function
    """The ``run`` function of check kind ``kind``; raises ``KeyError`` if unknown."""
    return importlib.import_module(f"{__name__}.{CHECK_KINDS[kind]}").run


class CheckContext:
    """What a check sees: the prompt's :class:`~promptlint.analysis.Analysis`,
    the rule, the file's :class:`~promptlint.model.LineIndex`, and a list the
    findings go into."""

    def __init__(self, analysis: Analysis, rule: Rule, index: LineIndex, path: str, ruleset=None, *,  # noqa: ANN001
                 layout: str | None) -> None:
        self.analysis = analysis
        self.ruleset = ruleset
        self.layout = layout  # the configured restructure layout (Settings.layout), for the restructure fix
        self.rule = rule
        self.index = index
        self.path = path
        self.options = rule.options or {}
        self.findings: list[Finding] = []

    def text_span(self, start: int, end: int) -> Span:
        """File span of joined-text range ``[start, end)``."""
        return self.analysis.source_map.span(self.index, start, end)

    def head_span(self) -> tuple[int, int]:
        """Joined-text range of the primary message's first line (where
        prompt-level findings are reported)."""
        a = self.analysis
        start = a.main_offset
        nl = a.text.find("\n", start)
        view = a.views[a.prompt.primary]
        msg_end = view.offset + len(a.prompt.main.text)
        end = msg_end if nl == -1 else min(nl, msg_end)
        return start, max(start, end)

    def emit(self, start: int, end: int, *, fix: Fix | None = None, span: Span | None = None,
             fingerprint: str | None = None, **fields: object) -> Finding:
        """Report a finding at joined-text ``[start, end)`` (or at ``span`` when
        given). ``fields`` fill the rule's message template."""
        values = defaultdict(str, {k: " ".join(str(v).split()) if isinstance(v, str) else v
                                   for k, v in fields.items()})
        message = self.rule.message.format_map(values)
        where = span or self.text_span(start, end)
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
        )
        self.findings.append(finding)
        return finding
