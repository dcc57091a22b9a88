"""The settings cache: a run whose config, overrides, rule packs and promptlint
are unchanged reuses the settings built before (no pydantic validation, no
rule-pack parsing, no pattern compiling); any change is a new build."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from promptlint.config import load_settings, settings_cache_dir
from promptlint.errors import UsageError
from promptlint.vocabulary import Vocabulary

pytestmark = pytest.mark.default_rules  # each test writes the config it needs

RULE = ("code: XPL901\nname: team-needs-context\nseverity: error\ncheck: contract-part\noptions: {{part: context}}\n"
        "message: {message}\ndocs: {{why: w, bad: b, good: g}}\n")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:  # noqa: ANN001
    folder = tmp_path / "settings-cache"
    monkeypatch.setenv("PROMPTLINT_SETTINGS_CACHE", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def test_second_load_reads_the_cache_entry(tmp_path, cache) -> None:  # noqa: ANN001
    (tmp_path / "promptlint.toml").write_text('select = ["PL2"]\n')
    first = load_settings(["."])
    entries = list(cache.glob("*.pickle"))
    assert len(entries) == 1
    # Make the entry recognisable: the next load must return what the entry holds, not a new build.
    settings, packs, digest = pickle.loads(entries[0].read_bytes())
    settings.fingerprint = "from-the-cache"
    entries[0].write_bytes(pickle.dumps((settings, packs, digest)))
    second = load_settings(["."])
    assert second.fingerprint == "from-the-cache"
    assert [r.code for r in second.rules] == [r.code for r in first.rules]
    assert all(r.code.startswith("PL2") for r in second.rules)


def test_a_warm_start_imports_neither_pydantic_nor_yaml(tmp_path, cache) -> None:  # noqa: ANN001
    (tmp_path / "promptlint.toml").write_text('select = ["PL2"]\n')
    probe = ("import sys; from promptlint.config import load_settings; s = load_settings(['.']); "
             "print(sorted(m for m in ('pydantic', 'yaml', 'libcst') if m in sys.modules), len(s.rules))")
    env = dict(os.environ, PROMPTLINT_SETTINGS_CACHE=str(cache))
    cold = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    warm = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert "'pydantic'" in cold.stdout  # the first build validates the config
    assert warm.stdout.split("]")[0] == "[", warm.stdout
    assert cold.stdout.split("]")[1] == warm.stdout.split("]")[1]  # the same number of rules


def test_an_edited_config_is_built_again(tmp_path, cache) -> None:  # noqa: ANN001
    cfg = tmp_path / "promptlint.toml"
    cfg.write_text('select = ["PL2"]\n')
    assert all(r.code.startswith("PL2") for r in load_settings(["."]).rules)
    cfg.write_text('select = ["PL1"]\n')
    assert all(r.code.startswith("PL1") for r in load_settings(["."]).rules)
    cfg.write_text('select = ["NOPE9"]\n')
    with pytest.raises(UsageError, match="unknown rule selector"):
        load_settings(["."])  # a config that is no longer valid is never answered from the cache


def test_an_edited_rule_pack_is_built_again(tmp_path, cache) -> None:  # noqa: ANN001
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "XPL901.yml").write_text(RULE.format(message="Shouting in a prompt"))
    (tmp_path / "promptlint.toml").write_text('rule-paths = ["pack"]\nselect = ["XPL"]\n')
    assert load_settings(["."]).rules[0].message == "Shouting in a prompt"
    (pack / "XPL901.yml").write_text(RULE.format(message="Capitals read as shouting"))
    assert load_settings(["."]).rules[0].message == "Capitals read as shouting"
    (pack / "XPL901.yml").unlink()
    with pytest.raises(UsageError, match="unknown rule selector"):
        load_settings(["."])


def test_overrides_are_part_of_the_key(tmp_path, cache) -> None:  # noqa: ANN001
    a = load_settings(["."], select=["PL201"])
    b = load_settings(["."], select=["PL202"])
    assert [r.code for r in a.rules] == ["PL201"]
    assert [r.code for r in b.rules] == ["PL202"]


def test_a_corrupt_entry_is_a_miss(tmp_path, cache) -> None:  # noqa: ANN001
    load_settings(["."], select=["PL201"])
    for entry in cache.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert [r.code for r in load_settings(["."], select=["PL201"]).rules] == ["PL201"]


def test_an_unwritable_cache_folder_is_no_cache(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    monkeypatch.setenv("PROMPTLINT_SETTINGS_CACHE", str(blocker / "sub"))
    monkeypatch.chdir(tmp_path)
    assert [r.code for r in load_settings(["."], select=["PL201"]).rules] == ["PL201"]
    assert settings_cache_dir() == blocker / "sub"


def test_vocabulary_pickles_without_patterns_and_compiles_them_on_use() -> None:
    vocab = Vocabulary.from_data({"labels": {"task": ["Task"]}, "cues": {"task": [{"clause_start": "summari[sz]e"}],
                                                                         "verification": [{"anywhere": r"\bcheck\b"}]}})
    copy = pickle.loads(pickle.dumps(vocab))
    assert "_patterns" not in copy.__dict__
    assert copy.clause_cues["task"][0].match("  Summarise the notes")
    assert copy.anywhere_cues["verification"][0].search("then check it")
    with pytest.raises(Exception, match="unterminated|missing"):
        Vocabulary.from_data({"labels": {}, "cues": {"task": [{"anywhere": "(unclosed"}]}})


def test_config_errors_name_the_file_line_and_column(tmp_path, cache) -> None:  # noqa: ANN001
    cfg = tmp_path / "promptlint.toml"
    cfg.write_text('extend-select = ["PL00"]\n\n[per-file-ignores]\n"tests/*" = ["PLXYZ"]\n')
    with pytest.raises(UsageError) as err:
        load_settings(["."])
    assert str(err.value) == f"{cfg}:4:1: unknown rule selector 'PLXYZ' in per-file-ignores (see `promptlint rules`)"
    cfg.write_text('extend-select = ["PL00"]\nrule-paths = ["nope"]\n')
    with pytest.raises(UsageError) as err:
        load_settings(["."])
    assert str(err.value) == f"{cfg}:2:1: rule pack folder 'nope' ({(tmp_path / 'nope').resolve()}) does not exist"


def test_a_yaml_parse_error_says_what_was_being_read_and_where_it_started(tmp_path) -> None:  # noqa: ANN001
    from promptlint.engine import lint_paths

    (tmp_path / "agent.yaml").write_text('agent:\n  system_template: "You are a triage agent.\n  model: x\n')
    (result,) = lint_paths([str(tmp_path / "agent.yaml")], load_settings([str(tmp_path)]), use_cache=False).results
    (f,) = result.findings
    assert (f.code, f.span.start.line, f.span.start.column) == ("PL900", 4, 1)
    assert f.message.endswith("invalid YAML: found unexpected end of stream (while scanning a quoted scalar that "
                              "starts at line 2, column 20)")
