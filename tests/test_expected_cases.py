"""Every case in an ``expected.yaml``, with its file named on the command line.

Runs over the project's own cases (``tests/cases``) always, and over the shared
cases (``../shared/cases`` or ``$PROMPTLINT_CASES``) when they are present;
without them the shared run is one skipped test that says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import CASES, SHARED_CASES, lint, shared_cases_present

HAZARD_NAMES = {"vague-output-contract", "unescaped-brace", "undeclared-placeholder", "unused-variable",
                "concatenation-missing-separator", "template-injection", "template-syntax-error",
                "empty-prompt", "invalid-output-schema"}


def _load(folder: Path) -> dict:
    return yaml.safe_load((folder / "expected.yaml").read_text()) or {}


OWN = _load(CASES)  # the project's own cases must always be there: no guard
SHARED = _load(SHARED_CASES) if shared_cases_present() else {}


def _marks(spec: dict) -> list:
    """A case whose ``known_bug`` names a promptlint bug is a strict xfail: it shows in
    ``pytest -ra`` with the reason, and fails once the bug is fixed so the note goes."""
    if spec.get("known_bug"):
        return [pytest.mark.xfail(reason=f"known promptlint bug: {spec['known_bug']}", strict=True)]
    return []


def _params() -> list:
    params = [pytest.param(CASES, name, OWN[name], id=f"own/{name}", marks=_marks(OWN[name])) for name in sorted(OWN)]
    shared = pytest.mark.shared_cases
    if SHARED:
        params += [pytest.param(SHARED_CASES, name, SHARED[name], id=f"shared/{name}",
                                marks=[shared, *_marks(SHARED[name])])
                   for name in sorted(SHARED)]
    else:
        params.append(pytest.param(SHARED_CASES, None, None, id="shared", marks=shared))
    return params


def test_every_own_case_file_has_an_expectation() -> None:
    files = {p.name for p in CASES.iterdir() if p.is_file() and p.name != "expected.yaml"}
    assert files == set(OWN)


@pytest.mark.parametrize(("folder", "filename", "spec"), _params())
def test_expected_case(folder: Path, filename: str, spec: dict, monkeypatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.chdir(folder)
    # The cases name the parts each prompt lacks and expect their missing-* findings: the contract opt-in.
    result = lint(filename, config=str(tmp_path / "promptlint.toml"))
    assert result.error is None
    assert [f for f in result.findings if f.name == "parse-error"] == []
    want = spec.get("prompts", [])
    got = result.prompts
    assert len(got) == len(want), [p["id"] for p in got]
    for exp, prompt in zip(want, got):
        if "id" in exp:
            assert prompt["id"] == exp["id"]
        assert prompt["line"] == exp["line"], prompt["id"]
        if "syntax" in exp:
            assert prompt["syntax"] == exp["syntax"], prompt["id"]
        assert prompt["placeholders"] == exp["placeholders"], prompt["id"]
        present = {k for k, v in prompt["parts"].items() if v["present"]}
        for part in exp.get("present", []):
            assert part in present, f"{prompt['id']}: {part} should be present"
        for part in exp.get("missing", []):
            assert part not in present, f"{prompt['id']}: {part} should be missing"
        if "separated" in exp:
            assert prompt["separated"] is exp["separated"], prompt["id"]
        reported = {f.name for f in result.findings if f.prompt_id == prompt["id"] and f.name in HAZARD_NAMES}
        assert reported == set(exp.get("hazards", [])), prompt["id"]
        for part in exp.get("missing", []):
            rule = "missing-" + part.replace("_", "-")
            assert any(f.name == rule and f.prompt_id == prompt["id"] for f in result.findings), rule
    ids = " ".join(p["id"] for p in got)
    for name in spec.get("not_prompts", []):
        assert f"::{name}" not in ids
