"""``check --write-baseline`` / ``--baseline`` through the real CLI: a baseline hides
today's findings, survives edits that only move them, and lets new ones through."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CASES

CALLS = '''from openai import OpenAI

client = OpenAI()


def summarise(text: str) -> str:
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "Summarise the text for a manager."},
                  {"role": "user", "content": text}],
    ).choices[0].message.content
'''

SECOND_CALL = '''

def summarise_again(text: str) -> str:
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "Summarise the text for a manager."},
                  {"role": "user", "content": text}],
    ).choices[0].message.content
'''


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", *args], check=False, cwd=cwd,
                          capture_output=True, text=True)


def _json(cwd: Path, *args: str) -> list[dict]:
    proc = _run(cwd, "--output-format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with Python prompts (named, LangChain, an unnamed call site) and text prompts."""
    for name in ("forecast_openai.py", "review_chains.py", "parsing_templates.py", "db_helpers.py"):
        (tmp_path / name).write_text((CASES / name).read_text())
    (tmp_path / "prompts").mkdir()
    for name in ("vague_request.txt", "library_run_on.txt"):
        (tmp_path / "prompts" / name).write_text((CASES / name).read_text())
    (tmp_path / "calls.py").write_text(CALLS)
    return tmp_path


def _write_baseline(project: Path) -> dict:
    proc = _run(project, "--write-baseline", "baseline.json", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
    return json.loads((project / "baseline.json").read_text())


def _prepend(path: Path, text: str) -> None:
    path.write_text(text + path.read_text())


def test_write_baseline_records_every_active_finding(project: Path) -> None:
    before = _json(project, ".")
    assert len(before) > 20
    data = _write_baseline(project)
    assert data["version"] == 1
    entries = data["findings"]
    assert sorted((e["code"], e["fingerprint"]) for e in entries) == sorted(
        (f["code"], f["fingerprint"]) for f in before)
    for e in entries:
        assert set(e) >= {"code", "name", "path", "prompt_id", "fingerprint", "message"}
        assert "@" not in (e["prompt_id"] or "")
        assert not e["path"].startswith("./")
    assert {"calls.py::", "forecast_openai.py::SYSTEM_PROMPT", "prompts/vague_request.txt"} <= {
        e["prompt_id"] for e in entries}
    # Written atomically: no temp file left behind; ordinary permissions.
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []
    if os.name == "posix":
        assert (project / "baseline.json").stat().st_mode & 0o044 == 0o044
    # The baseline file itself is not linted as a prompt file.
    assert not any(f["path"].endswith("baseline.json") for f in _json(project, "."))


def test_write_baseline_leaves_out_suppressed_findings(project: Path) -> None:
    text = (project / "forecast_openai.py").read_text()
    (project / "forecast_openai.py").write_text(
        text.replace('SYSTEM_PROMPT = """', '# promptlint: ignore[PL005]\nSYSTEM_PROMPT = """'))
    entries = _write_baseline(project)["findings"]
    ids = {(e["code"], e["prompt_id"]) for e in entries}
    assert ("PL006", "forecast_openai.py::SYSTEM_PROMPT") in ids
    assert ("PL005", "forecast_openai.py::SYSTEM_PROMPT") not in ids


def test_baseline_hides_recorded_findings_in_every_format(project: Path) -> None:
    _write_baseline(project)
    for fmt in ("full", "concise", "json", "sarif", "github"):
        proc = _run(project, "--baseline", "baseline.json", "--output-format", fmt, ".")
        assert proc.returncode == 0, (fmt, proc.stdout + proc.stderr)
        if fmt == "json":
            assert json.loads(proc.stdout) == []
        elif fmt == "sarif":
            assert json.loads(proc.stdout)["runs"][0]["results"] == []
        elif fmt == "full":
            assert "Found 0 findings" in proc.stdout and "in the baseline not shown" in proc.stdout
        else:
            assert proc.stdout.strip() == "", fmt
    stats = _run(project, "--baseline", "baseline.json", "--statistics", ".")
    assert stats.returncode == 0 and stats.stdout == ""


def test_baseline_survives_lines_moving(project: Path) -> None:
    _write_baseline(project)
    lines_before = {(f["path"], f["code"], f["line"]) for f in _json(project, ".")}
    for name in ("vague_request.txt", "library_run_on.txt"):
        _prepend(project / "prompts" / name, "\n\n\n")
    _prepend(project / "review_chains.py", "# Chains for the review dashboard.\n# Owned by the insights team.\n\n")
    _prepend(project / "parsing_templates.py", "import re\n\nWORD = re.compile(r'\\w+')\n\n")
    app = project / "forecast_openai.py"
    app.write_text(app.read_text().replace(
        "from openai import OpenAI\n",
        "from openai import OpenAI\nimport os\n\n\ndef workdir() -> str:\n    return os.getcwd()\n\n", 1))
    calls = project / "calls.py"
    calls.write_text(calls.read_text().replace(
        "client = OpenAI()\n", "client = OpenAI()\n\n\ndef ping() -> int:\n    return 2\n", 1))
    now = _json(project, ".")
    assert len(now) == len(lines_before)
    assert {(f["path"], f["code"], f["line"]) for f in now}.isdisjoint(lines_before)  # every finding moved
    assert any(f["prompt_id"] == "calls.py::call@13" for f in now)
    proc = _run(project, "--baseline", "baseline.json", "--output-format", "concise", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_only_new_findings_are_reported(project: Path) -> None:
    _write_baseline(project)
    app = project / "forecast_openai.py"
    app.write_text(app.read_text().replace("client = OpenAI()\n",
                                           'BLURB_PROMPT = "write a catchy slogan"\n\nclient = OpenAI()\n', 1))
    (project / "prompts" / "haiku.txt").write_text("write a haiku\n")
    new = _json(project, "--baseline", "baseline.json", ".")
    assert new
    assert {f["prompt_id"] for f in new} == {"forecast_openai.py::BLURB_PROMPT", "prompts/haiku.txt"}
    assert "PL003" not in {f["code"] for f in new} and "PL001" in {f["code"] for f in new}
    proc = _run(project, "--baseline", "baseline.json", "--output-format", "concise", ".")
    assert proc.returncode == 1
    assert len(proc.stdout.splitlines()) == len(new)
    assert all(line.startswith(("forecast_openai.py:", "prompts/haiku.txt:")) for line in proc.stdout.splitlines())
    stats = _run(project, "--baseline", "baseline.json", "--statistics", ".")
    assert stats.returncode == 1
    assert sum(int(line.split("\t")[0]) for line in stats.stdout.splitlines()) == len(new)
    assert _run(project, "--baseline", "baseline.json", "--exit-zero", ".").returncode == 0


def test_identical_findings_are_counted(project: Path) -> None:
    """Two call sites with the same text have the same identity once the line is
    dropped: the baseline holds one of each finding, so the second site's are new."""
    _write_baseline(project)
    calls = project / "calls.py"
    calls.write_text(calls.read_text() + SECOND_CALL)
    new = _json(project, "--baseline", "baseline.json", "calls.py")
    recorded = [e for e in json.loads((project / "baseline.json").read_text())["findings"]
                if e["path"] == "calls.py"]
    assert len(recorded) >= 3
    assert sorted(f["code"] for f in new) == sorted(e["code"] for e in recorded)
    assert {f["prompt_id"] for f in new} == {"calls.py::call@17"}


@pytest.mark.parametrize("content, where", [
    (None, "missing.json: cannot read baseline"),
    ('{\n  "version": 1,\n  "findings": [oops]\n}\n', "bad.json:3:16: invalid baseline JSON"),
    ("[]\n", "bad.json: not a promptlint baseline"),
    ('{"version": 7, "findings": []}', "bad.json: unsupported baseline version 7"),
    ('{"version": 1, "findings": [{"code": 3}]}', "bad.json: `findings.0`"),
])
def test_bad_baseline_is_a_usage_error(project: Path, content: str | None, where: str) -> None:
    name = "missing.json" if content is None else "bad.json"
    if content is not None:
        (project / name).write_text(content)
    proc = _run(project, "--baseline", name, ".")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"promptlint: error: {where}"), lines[0]


def test_unwritable_baseline_is_a_usage_error(project: Path) -> None:
    proc = _run(project, "--write-baseline", "no/such/dir/baseline.json", ".")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("promptlint: error: no/such/dir/baseline.json: "), proc.stderr


def test_a_baselined_yaml_parse_error_stays_baselined_when_lines_are_added_above(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    bad = tmp_path / "prompts" / "a.yaml"
    bad.write_text('title: "x"\nsystem_prompt: "You are a helpful\n  assistant. Summarize {article}\n')
    first = _json(tmp_path, "prompts")
    assert [f["code"] for f in first] == ["PL900"] and "starts at line 2" in first[0]["message"]
    assert _run(tmp_path, "--write-baseline", "baseline.json", "prompts").returncode == 0
    _prepend(bad, "# a comment\n\n")
    assert "starts at line 4" in _json(tmp_path, "prompts")[0]["message"]  # the message moves with the file …
    assert _json(tmp_path, "--baseline", "baseline.json", "prompts") == []  # … its fingerprint does not
