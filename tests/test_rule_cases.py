"""Runs every case in rules/<pack>/tests/<CODE>.yml (sqlfluff-style): adding a
rule needs no test code. A case is ``pass_str`` (no finding of the rule) or
``fail_str`` with ``violations`` (1-based line and optional column of each
finding, in order) and an optional ``fix_str`` (the text after ``--fix
--unsafe-fixes``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from promptlint.config import load_settings
from promptlint.engine import fix_text, lint_text
from promptlint.extract import kind_for_path
from promptlint.checks import CHECK_KINDS
from promptlint.rulepacks import load_rules

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


def _cases():
    for path in sorted(RULES_DIR.glob("*/tests/*.yml")):
        data = yaml.safe_load(path.read_text())
        for i, case in enumerate(data["cases"]):
            yield pytest.param(data["rule"], case, id=f"{path.stem}-{i}-{case['name']}")


@pytest.mark.parametrize(("rule", "case"), list(_cases()))
def test_rule_case(rule: str, case: dict, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None, select=[rule, "unused-suppression"] if rule != "unused-suppression" else ["ALL"])
    r = load_rules((), frozenset(CHECK_KINDS)).by_key(rule)
    assert r is not None
    name = case.get("file", "prompt.txt")
    text = case.get("pass_str", case.get("fail_str"))
    result = lint_text(name, text, settings, kind_for_path(name))
    assert result.error is None
    hits = [f for f in result.findings if f.code == r.code and not f.suppressed]
    if "pass_str" in case:
        assert hits == [], [(f.span.start, f.message) for f in hits]
        return
    assert hits, f"expected {rule} findings"
    for want, got in zip(case.get("violations", []), hits):
        assert got.span.start.line == want["line"], got.message
        if "column" in want:
            assert got.span.start.column == want["column"], got.message
    if "violations" in case:
        assert len(hits) == len(case["violations"])
    if "fix_str" in case:
        only = load_settings(None, select=[rule])
        fixed, applied, _ = fix_text(name, text, kind_for_path(name), only, unsafe=True)
        assert applied >= 1
        assert fixed == case["fix_str"]


def test_every_rule_has_cases() -> None:
    have = {p.stem for p in RULES_DIR.glob("*/tests/*.yml")}
    missing = [r.code for r in load_rules((), frozenset(CHECK_KINDS)).rules if r.code not in have]
    assert missing == []
