"""Every case in ../shared/cases/expected.yaml, with its file named on the command line."""

from __future__ import annotations

import yaml
import pytest

from conftest import CASES, lint

EXPECTED = yaml.safe_load((CASES / "expected.yaml").read_text()) if (CASES / "expected.yaml").is_file() else {}


@pytest.mark.parametrize("filename", sorted(EXPECTED))
def test_expected_case(filename: str, cases_dir) -> None:  # noqa: ANN001
    spec = EXPECTED[filename]
    result = lint(filename)
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
        hazard_names = {"vague-output-contract", "unescaped-brace", "undeclared-placeholder", "unused-variable",
                        "concatenation-missing-separator", "template-injection", "template-syntax-error",
                        "empty-prompt", "invalid-output-schema"}
        reported = {f.name for f in result.findings if f.prompt_id == prompt["id"] and f.name in hazard_names}
        assert reported == set(exp.get("hazards", [])), prompt["id"]
        for part in exp.get("missing", []):
            rule = "missing-" + part.replace("_", "-")
            assert any(f.name == rule and f.prompt_id == prompt["id"] for f in result.findings), rule
    ids = " ".join(p["id"] for p in got)
    for name in spec.get("not_prompts", []):
        assert f"::{name}" not in ids
