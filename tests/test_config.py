"""Configuration: selection, per-file ignores, label extensions, and errors with positions."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.default_rules

from promptlint.config import load_settings
from promptlint.engine import lint_text
from promptlint.errors import UsageError


def _write(tmp_path, text: str, name: str = "pyproject.toml"):  # noqa: ANN001, ANN202
    (tmp_path / name).write_text(text)
    return tmp_path


def test_unknown_key_names_line_and_column(tmp_path) -> None:  # noqa: ANN001
    _write(tmp_path, '[project]\nname = "x"\n\n[tool.promptlint]\nselect = ["ALL"]\n  colour = "red"\n')
    with pytest.raises(UsageError) as exc:
        load_settings([str(tmp_path)])
    err = exc.value
    assert (err.line, err.column) == (6, 3)
    assert "colour" in str(err) and str(err).startswith(str(tmp_path / "pyproject.toml") + ":6:3:")


def test_wrong_type_and_unknown_selector(tmp_path) -> None:  # noqa: ANN001
    _write(tmp_path, "select = \"PL001\"\n", "promptlint.toml")
    with pytest.raises(UsageError) as exc:
        load_settings([str(tmp_path)])
    assert exc.value.line == 1
    _write(tmp_path, "select = [\"PL999\"]\n", "promptlint.toml")
    with pytest.raises(UsageError, match="PL999"):
        load_settings([str(tmp_path)])


def test_most_specific_selector_wins(tmp_path) -> None:  # noqa: ANN001
    _write(tmp_path, 'select = ["PL0"]\nignore = ["PL00"]\nextend-select = ["missing-task"]\n', "promptlint.toml")
    s = load_settings([str(tmp_path)])
    assert [r.name for r in s.rules] == ["missing-task"]


def test_command_line_select_replaces_the_files_extend_select(tmp_path) -> None:  # noqa: ANN001
    _write(tmp_path, 'extend-select = ["PL00"]\nignore = ["PL201"]\n', "promptlint.toml")
    assert any(r.code.startswith("PL00") for r in load_settings([str(tmp_path)]).rules)
    s = load_settings([str(tmp_path)], select=["PL2"])
    codes = {r.code for r in s.rules}
    assert codes and all(c.startswith("PL2") for c in codes) and "PL201" not in codes  # the file's ignore stays
    both = load_settings([str(tmp_path)], select=["PL2"], extend_select=["PL001"])
    assert "PL001" in {r.code for r in both.rules}


def test_prompts_names_a_file_that_does_not_parse(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "broken.py").write_text('SYSTEM_PROMPT = "You are a tutor."\ndef f(x:\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "promptlint", "prompts", "--no-cache", "broken.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert "broken.py:2:6: " in out.stderr and "(its prompts are not listed)" in out.stderr


def test_per_file_ignores(tmp_path) -> None:  # noqa: ANN001
    _write(tmp_path, '[per-file-ignores]\n"tests/*" = ["PL0"]\n', "promptlint.toml")
    s = load_settings([str(tmp_path)])
    assert all(not r.code.startswith("PL0") for r in s.rules_for("tests/test_x.py"))
    assert any(r.code.startswith("PL0") for r in s.rules_for("src/app.py"))


def test_labels_in_other_languages(tmp_path) -> None:  # noqa: ANN001
    text = "Auftrag: fasse den Text zusammen.\n\nAntwortformat: drei Stichpunkte.\n"
    plain = lint_text("p.txt", text, load_settings([str(tmp_path)]))
    assert not plain.prompts[0]["parts"]["output_contract"]["labelled"]
    _write(tmp_path, '[labels]\ntask = ["Auftrag"]\noutput_contract = ["Antwortformat"]\n', "promptlint.toml")
    s = load_settings([str(tmp_path)])
    result = lint_text("p.txt", text, s)
    parts = result.prompts[0]["parts"]
    assert parts["task"]["labelled"] and parts["output_contract"]["labelled"]
    assert result.prompts[0]["separated"] is True


def test_bad_rule_pack_points_at_yaml_node(tmp_path) -> None:  # noqa: ANN001
    pack = tmp_path / "myrules"
    pack.mkdir()
    (pack / "XX001-bad.yml").write_text(
        "code: XX001\nname: bad-rule\nseverity: fatal\ncheck: contract-part\nmessage: m\n"
        "docs: {why: w, bad: b, good: g}\n")
    _write(tmp_path, 'rule-paths = ["myrules"]\n', "promptlint.toml")
    with pytest.raises(UsageError) as exc:
        load_settings([str(tmp_path)])
    assert exc.value.path.endswith("XX001-bad.yml") and (exc.value.line, exc.value.column) == (3, 11)


def test_extra_rule_pack_runs(tmp_path) -> None:  # noqa: ANN001
    pack = tmp_path / "myrules"
    pack.mkdir()
    (pack / "XX001-needs-context.yml").write_text(
        "code: XX001\nname: team-needs-context\nseverity: error\ncheck: contract-part\noptions: {part: context}\n"
        "message: Team rule, context missing\ndocs: {why: w, bad: b, good: g}\n")
    _write(tmp_path, 'rule-paths = ["myrules"]\nselect = ["XX"]\nstructure-rules = "all"\n', "promptlint.toml")
    s = load_settings([str(tmp_path)])
    result = lint_text("p.txt", "Write a poem.\n", s)
    assert [f.code for f in result.findings] == ["XX001"]


def test_cli_config_error_is_one_line_exit_2(tmp_path) -> None:  # noqa: ANN001
    _write(tmp_path, "[tool.promptlint]\nbogus = 1\n")
    (tmp_path / "p.prompt").write_text("Write a poem.\n")
    proc = subprocess.run([sys.executable, "-m", "promptlint", "check", "p.prompt"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "pyproject.toml:2:1" in proc.stderr and "bogus" in proc.stderr
