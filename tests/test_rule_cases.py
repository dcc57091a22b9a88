"""Runs every case in rules/<pack>/tests/<CODE>.yml (sqlfluff-style): adding a
rule needs no test code.

Case file format (unknown or duplicate keys anywhere fail the run)::

    rule: missing-task            # the rule's code or name
    cases:
      - name: only a role         # required, unique in the file (the test id)
        file: prompt.txt          # optional, default prompt.txt; picks the extractor
        fail_str: |               # exactly one of pass_str / fail_str
          You are a friendly assistant for ACME.
        violations:               # required with fail_str, not allowed with pass_str
          - {line: 1, column: 1, end_line: 1, end_column: 39}
        fix_str: |                # optional, fail_str only
          ...
        configs:                  # optional: settings for this case only
          labels: {task: [Auftrag]}
        files:                    # optional: other files of the project, path -> text
          prompts/base.j2: "You are a support agent."
        known_bug:                # optional: a product bug this case shows
          check: no-fix
          reason: what is wrong, where

``pass_str``: the rule reports nothing. ``fail_str``: the rule's unsuppressed
findings are exactly ``violations``, in order; each gives the 1-based ``line``
and optionally ``column`` of the finding's start and ``end_line`` +
``end_column`` (given together) of its end, which is exclusive (the position
just after the last character), as in ``--output-format json``.

``fix_str`` is the text after ``--fix --unsafe-fixes`` with only this rule
selected (for a rule with a safe fix, plain ``--fix`` must give it too); the
findings' fixes must have the applicability the rule file declares, and
re-linting ``fix_str`` must not report the rule again. A ``fail_str`` case
without ``fix_str`` must not be offered any fix of the rule: none of its
findings carries an applicable (safe or unsafe) fix and ``--fix
--unsafe-fixes`` leaves the text as it is.

``configs`` holds ``[tool.promptlint]`` keys (kebab-case, as in pyproject;
nested tables as mappings). The harness writes them to a ``promptlint.toml``
in the case's own folder and builds the settings through ``load_settings``, so
they are validated like a user's file. Without a ``select`` key the harness
selects the rule under test (plus ``unused-suppression``) as ``--select`` would;
a case whose ``configs`` sets ``select`` gets that selection instead.

``known_bug`` marks a case that shows a product bug: ``check`` names the one
harness check that is expected to fail (``pass``, ``violations`` for the count
and start positions, ``end``, ``fix``, ``fix-passes``, ``no-fix``) and
``reason`` says what is wrong. The case is a strict xfail: every other check
still has to pass, and the case fails as soon as the named check passes, so
the mark is removed when the bug is fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from promptlint.config import load_settings
from promptlint.engine import fix_text, lint_text
from promptlint.extract import kind_for_path

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
FILE_KEYS = {"rule", "cases"}
CASE_KEYS = {"name", "file", "files", "pass_str", "fail_str", "violations", "fix_str", "configs", "known_bug"}
VIOLATION_KEYS = {"line", "column", "end_line", "end_column", "message_contains"}
CHECKS = ("pass", "violations", "end", "fix", "fix-passes", "no-fix")
APPLIED = ("safe", "unsafe")


class KnownBug(AssertionError):
    """The check a case's ``known_bug`` names failed, as expected."""


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice in one mapping."""


def _no_duplicate_keys(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} given twice", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicate_keys)


def _load(path: Path) -> object:
    return yaml.load(path.read_text("utf-8"), Loader=_StrictLoader)  # a SafeLoader: no arbitrary objects


def _file_problems(data: object) -> list[str]:
    if not isinstance(data, dict):
        return ["a case file must be a mapping with `rule` and `cases`"]
    problems = [f"unknown key {k!r} (allowed: {sorted(FILE_KEYS)})" for k in data if k not in FILE_KEYS]
    if not isinstance(data.get("rule"), str):
        problems.append("`rule` must be a rule code or name")
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases or not all(isinstance(c, dict) for c in cases):
        problems.append("`cases` must be a non-empty list of mappings")
    else:
        names = [c.get("name") for c in cases]
        problems += [f"case name {n!r} is used twice" for n in sorted({n for n in names if names.count(n) > 1}, key=str)]
    return problems


def _case_problems(case: dict) -> list[str]:
    """What is wrong with a case's shape (empty when it follows the format above)."""
    problems = [f"unknown key {k!r} (allowed: {sorted(CASE_KEYS)})" for k in case if k not in CASE_KEYS]
    if not isinstance(case.get("name"), str) or not case.get("name"):
        problems.append("`name` is required")
    if ("pass_str" in case) == ("fail_str" in case):
        problems.append("give exactly one of `pass_str` and `fail_str`")
    for key in ("file", "pass_str", "fail_str", "fix_str"):
        if key in case and not isinstance(case[key], str):
            problems.append(f"`{key}` must be a string")
    if "pass_str" in case:
        problems += [f"`{k}` is only for fail_str cases" for k in ("violations", "fix_str") if k in case]
    if "fail_str" in case:
        v = case.get("violations")
        if not isinstance(v, list) or not v:
            problems.append("a fail_str case needs a non-empty `violations` list")
        else:
            for i, want in enumerate(v):
                problems += [f"violations[{i}]: {p}" for p in _violation_problems(want)]
    if "configs" in case and not isinstance(case["configs"], dict):
        problems.append("`configs` must be a mapping of [tool.promptlint] keys")
    if "known_bug" in case:
        kb = case["known_bug"]
        if not isinstance(kb, dict) or set(kb) != {"check", "reason"} or not isinstance(kb.get("reason"), str):
            problems.append("`known_bug` must be a mapping with exactly `check` and `reason` (a string)")
        elif kb["check"] not in CHECKS:
            problems.append(f"known_bug.check must be one of {', '.join(CHECKS)}")
    return problems


def _violation_problems(want: object) -> list[str]:
    if not isinstance(want, dict):
        return ["must be a mapping like {line: 1, column: 1}"]
    problems = [f"unknown key {k!r} (allowed: {sorted(VIOLATION_KEYS)})" for k in want if k not in VIOLATION_KEYS]
    if "line" not in want:
        problems.append("`line` is required")
    if ("end_line" in want) != ("end_column" in want):
        problems.append("give `end_line` and `end_column` together")
    problems += [f"`{k}` must be a positive integer" for k in (VIOLATION_KEYS - {"message_contains"}) & set(want)
                 if not (type(want[k]) is int and want[k] >= 1)]
    return problems


def _case_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*/tests/*.yml"))


def _cases():
    for path in _case_files():
        try:
            data = _load(path)
        except yaml.YAMLError:
            continue  # reported by test_case_files_are_well_formed
        if _file_problems(data):
            continue  # likewise
        for i, case in enumerate(data["cases"]):
            marks = []
            kb = case.get("known_bug")
            if isinstance(kb, dict) and kb.get("check") in CHECKS and isinstance(kb.get("reason"), str):
                marks.append(pytest.mark.xfail(strict=True, raises=KnownBug,
                                               reason=f"known bug ({kb['check']}): {kb['reason']}"))
            yield pytest.param(data["rule"], case, id=f"{path.stem}-{i}-{case.get('name')}", marks=marks)


def _toml(value: object) -> str:
    """``value`` as a TOML value (strings and keys JSON-quoted, tables inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"configs: {value!r} has no TOML spelling")


class _Checks:
    """Runs a case's checks: a failure raises, except that of the check the
    case's ``known_bug`` names, which is kept and raised as :class:`KnownBug`
    by :meth:`finish` once every other check has passed."""

    def __init__(self, case: dict) -> None:
        self.known = (case.get("known_bug") or {}).get("check")
        self.kept: list[str] = []

    def __call__(self, check: str, ok: bool, message: str) -> None:
        if ok:
            return
        if check == self.known:
            self.kept.append(message)
            return
        raise AssertionError(f"[{check}] {message}")

    def finish(self) -> None:
        if self.kept:
            raise KnownBug(f"[{self.known}] " + "\n".join(self.kept))


def _spans(findings: list) -> list[str]:
    return [f"{f.span.start.line}:{f.span.start.column}-{f.span.end.line}:{f.span.end.column} {f.message}"
            for f in findings]


def _fix(name: str, text: str, settings, unsafe: bool) -> tuple[str, int, str]:  # noqa: ANN001
    """``(fixed_text, fixes_applied, status)`` of the fix loop."""
    outcome = fix_text(name, text, kind_for_path(name), settings, unsafe=unsafe)
    return outcome.text, outcome.applied, outcome.status


@pytest.mark.parametrize(("rule", "case"), list(_cases()))
def test_rule_case(rule: str, case: dict, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    problems = _case_problems(case)
    assert not problems, "malformed case: " + "; ".join(problems)
    monkeypatch.chdir(tmp_path)
    # A rule case says what its rule does when it runs: the structure rules judge every prompt there.
    configs = {"structure-rules": "all", **case.get("configs", {})}
    cfg = tmp_path / "promptlint.toml"
    cfg.write_text("".join(f"{json.dumps(str(k))} = {_toml(v)}\n" for k, v in configs.items()), "utf-8")

    def settings(select: list[str]):  # noqa: ANN202
        return load_settings(None, config=str(cfg), select=None if "select" in configs else select)

    lint_settings = settings([rule, "unused-suppression"] if rule != "unused-suppression" else ["ALL"])
    r = lint_settings.ruleset.by_key(rule)
    assert r is not None, f"unknown rule {rule!r}"
    fix_settings = settings([rule])
    name = case.get("file", "prompt.txt")
    for extra, body in (case.get("files") or {}).items():  # other files of the project the case needs
        (tmp_path / extra).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / extra).write_text(body, "utf-8")
    check = _Checks(case)

    def hits_in(text: str) -> list:
        result = lint_text(name, text, lint_settings, kind_for_path(name))
        assert result.error is None, result.error
        return [f for f in result.findings if f.code == r.code and not f.suppressed]

    if "pass_str" in case:
        hits = hits_in(case["pass_str"])
        check("pass", hits == [], f"expected no {rule} finding, got {_spans(hits)}")
        check.finish()
        return

    text = case["fail_str"]
    hits = hits_in(text)
    wants = case["violations"]
    check("violations", len(hits) == len(wants), f"expected {len(wants)} {rule} finding(s), got {_spans(hits)}")
    for i, (want, got) in enumerate(zip(wants, hits)):
        start = (got.span.start.line, got.span.start.column if "column" in want else None)
        check("violations", start == (want["line"], want.get("column")),
              f"violations[{i}] starts at {got.span.start}, expected {want}: {got.message}")
        if "message_contains" in want:
            check("violations", want["message_contains"] in got.message,
                  f"violations[{i}] message {got.message!r} lacks {want['message_contains']!r}")
        if "end_line" in want:
            end = (got.span.end.line, got.span.end.column)
            check("end", end == (want["end_line"], want["end_column"]),
                  f"violations[{i}] ends at {got.span.end}, expected {want}: {got.message}")

    offered = [f for f in hits if f.fix is not None and f.fix.edits and f.fix.applicability in APPLIED]
    fixed, applied, status = _fix(name, text, fix_settings, unsafe=True)
    if "fix_str" in case:
        want_fix = case["fix_str"]
        check("fix", bool(offered), f"no {rule} finding offers an applicable fix")
        check("fix", all(f.fix.applicability == r.fix for f in offered),
              f"fix applicability {[f.fix.applicability for f in offered]}, the rule file declares {r.fix!r}")
        check("fix", applied >= 1 and fixed == want_fix and status == "fixed",
              f"--fix --unsafe-fixes ({applied} applied, status {status}) gave:\n{fixed}\nexpected:\n{want_fix}")
        if r.fix == "safe":
            safe_fixed, _, _ = _fix(name, text, fix_settings, unsafe=False)
            check("fix", safe_fixed == want_fix, f"--fix (safe fixes only) gave:\n{safe_fixed}")
        again = hits_in(want_fix)
        check("fix-passes", again == [], f"fix_str still gets {rule}: {_spans(again)}")
    else:
        check("no-fix", not offered and fixed == text,
              f"no fix_str given, but {len(offered)} {rule} finding(s) offer a fix and --fix --unsafe-fixes "
              f"({applied} applied) gives:\n{fixed}\n(check it; if it is right, make it the case's fix_str)")
    check.finish()


def test_case_files_are_well_formed() -> None:
    problems = []
    for path in _case_files():
        try:
            data = _load(path)
        except yaml.YAMLError as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        problems += [f"{path.name}: {p}" for p in _file_problems(data)]
    assert problems == []


def test_every_rule_has_cases(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "promptlint.toml").write_text("")
    rules = load_settings(None, config=str(tmp_path / "promptlint.toml")).ruleset
    have = {p.stem for p in _case_files()}
    missing = [r.code for r in rules.rules if r.code not in have]
    assert missing == []
    wrong = []
    for path in _case_files():
        data = _load(path)
        rule = rules.by_key(str(data.get("rule"))) if isinstance(data, dict) else None
        if rule is None or rule.code != path.stem:
            wrong.append(path.name)
    assert wrong == [], "case files whose `rule` is not the rule their file name gives"
