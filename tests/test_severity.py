"""Gating: --fail-on (and config fail-on) decide which severities fail a run;
info findings are reported but do not fail by default. A part that is only a
TODO marker is not present: it is a todo-part finding, not a clean lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import CONTRACT_OPT_IN, lint

INFO_ONLY = ("Context: you help a bakery's customers.\n\nConstraints: never promise a delivery date.\n\n"
             "Task: answer the customer's question \"{question}\".\n\nOutput: one short paragraph.\n\n"
             "Stop condition: if the question is not about the bakery, say you cannot help.\n")


def _check(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", "--output-format", "json",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_info_findings_do_not_fail_by_default(tmp_path: Path) -> None:
    (tmp_path / "p.prompt").write_text(INFO_ONLY)
    proc = _check(tmp_path, "p.prompt")
    found = json.loads(proc.stdout)
    assert [f["name"] for f in found] == ["missing-verification"] and found[0]["severity"] == "info"
    assert proc.returncode == 0
    assert _check(tmp_path, "--fail-on", "info", "p.prompt").returncode == 1


def test_fail_on_error_and_config(tmp_path: Path) -> None:
    (tmp_path / "p.prompt").write_text("Summarize the notes.\n")  # only warnings and info
    assert _check(tmp_path, "p.prompt").returncode == 1
    assert _check(tmp_path, "--fail-on", "error", "p.prompt").returncode == 0
    (tmp_path / "promptlint.toml").write_text(CONTRACT_OPT_IN + 'fail-on = "error"\n')
    assert _check(tmp_path, "p.prompt").returncode == 0
    assert _check(tmp_path, "--fail-on", "warning", "p.prompt").returncode == 1
    (tmp_path / "promptlint.toml").write_text(CONTRACT_OPT_IN + 'fail-on = "sometimes"\n')
    bad = _check(tmp_path, "p.prompt")
    assert bad.returncode == 2 and "fail-on" in bad.stderr


def test_todo_markers_are_not_parts() -> None:
    result = lint("p.prompt", "Task: TODO: the one thing to do.\n\nOutput format: TODO\n")
    names = sorted(f.name for f in result.findings)
    assert names.count("todo-part") == 2
    assert "missing-task" not in names and "missing-output-contract" not in names  # reported once, as TODO
    (summary,) = result.prompts
    assert not summary["parts"]["task"]["present"] and not summary["parts"]["output_contract"]["present"]
    written = lint("p.prompt", "Task: summarise the notes.\n\nOutput format: three bullet points.\n")
    assert "todo-part" not in {f.name for f in written.findings}


def test_prompts_in_test_folders_get_hazard_checks_only(tmp_path: Path) -> None:
    vague = ('SYSTEM_PROMPT = ("Summarize the ticket {ticket} for {team} in one line."\n    "Never guess.")\n'
             'print(SYSTEM_PROMPT.format(ticket=1))\n')
    for rel in ("app/prompts.py", "tests/test_prompts.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(vague)
    found = json.loads(_check(tmp_path, "--fail-on", "info", ".").stdout)
    by_path: dict[str, set[str]] = {}
    for f in found:
        by_path.setdefault(f["path"], set()).add(f["name"])
    assert {"missing-context", "undeclared-placeholder"} <= by_path["app/prompts.py"]
    # The template hazard stays; an undeclared placeholder in a test is often the point of the test.
    assert by_path["tests/test_prompts.py"] == {"concatenation-missing-separator"}
    listed = subprocess.run([sys.executable, "-m", "promptlint", "prompts", "--no-cache", "--output-format", "json",
                             "."], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    checks = {p["path"]: p["checks"] for p in json.loads(listed.stdout)}
    assert checks == {"app/prompts.py": "all", "tests/test_prompts.py": "hazards"}
    # Named on the command line, or with contract-rules-in-tests, the test file gets every rule.
    named = json.loads(_check(tmp_path, "tests/test_prompts.py").stdout)
    assert "missing-context" in {f["name"] for f in named}
    (tmp_path / "promptlint.toml").write_text(CONTRACT_OPT_IN + "contract-rules-in-tests = true\n")
    allof = json.loads(_check(tmp_path, ".").stdout)
    assert "missing-context" in {f["name"] for f in allof if f["path"] == "tests/test_prompts.py"}


def test_cassette_folders_are_not_walked(tmp_path: Path) -> None:
    cassette = tmp_path / "tests" / "cassettes" / "chat.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text("interactions:\n- request:\n    body: '{\"messages\": [{\"role\": \"system\", \"content\": \"Hi\"}]}'\n"
                        "  messages:\n  - role: system\n    content: Summarize the ticket.\n")
    listed = subprocess.run([sys.executable, "-m", "promptlint", "prompts", "--no-cache", "--output-format", "json",
                             "."], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert json.loads(listed.stdout) == []


def test_notes_and_pings_are_not_judged_as_prompts() -> None:
    for text, kind in (("hi\n", "ping"), ("Say hello.\n", "ping"), ("TODO WRITE PROMPT\n", "note"),
                       ("Summarize the notes for the team.\n", "prompt")):
        result = lint("p.prompt", text)
        (summary,) = result.prompts
        assert summary["kind"] == kind, text
        contract = [f for f in result.findings if f.name.startswith(("missing-", "sections-", "todo-"))]
        assert bool(contract) == (kind == "prompt"), (text, contract)
    # a template hazard in a short text is still reported
    broken = lint("hi.j2", "Hi {{ name\n")
    assert broken.prompts[0]["kind"] == "ping" and "template-syntax-error" in {f.name for f in broken.findings}
