"""End-to-end tests of ``promptlint check --output-format ...``: SARIF (against the
official SARIF 2.1.0 schema), JSON, GitHub workflow commands, concise lines,
``--show-suppressed`` and exit codes.

Every test runs the CLI as a real subprocess (``python -m promptlint check
--no-cache ...``) so that what is checked is exactly what a user or a CI job sees.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import jsonschema
import pytest
from jsonschema import validators

from conftest import CASES

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
EXAMPLES = "fixtures/examples"

RECORD_KEYS = {
    "code", "name", "message", "severity", "path", "line", "column", "end_line", "end_column",
    "prompt_id", "fix", "url", "fingerprint",
}
GITHUB_LINE = re.compile(
    r"^::(?P<level>error|warning|notice) file=(?P<file>[^,:]+),line=(?P<line>\d+),col=(?P<col>\d+),"
    r"endLine=(?P<end_line>\d+),endColumn=(?P<end_col>\d+),title=(?P<title>[^,:]+)::(?P<msg>.+)$"
)
CONCISE_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>PL\d{3})(?P<fixable> \[\*\])? "
    r"\[(?P<name>[a-z][a-z-]*)\] (?P<msg>.+)$"
)

# A prompt file that states all six contract parts, each in its own block.
CLEAN_PROMPT = """\
# Context
You help the billing desk of a company that sells accounting software to small
shops. Each request contains one customer invoice question:

{{question}}

# Constraints
- Use only facts stated in the question; never guess an invoice number.
- Keep the answer short: at most 60 words.
- Do not promise refunds or credit notes.

# Task
Classify the question and draft the first reply line for a human agent.

# Output format
Return one JSON object and nothing else:
{"category": "invoice" | "payment" | "tax" | "other", "priority": 1-3, "reply_opening": string}

# When to stop
If the question is empty or not about billing, return
{"category": "other", "priority": 1, "reply_opening": ""} and stop.

# Verification
Before answering, check that the object parses as JSON and that "priority" is 1, 2 or 3.
"""

# A Python prompt that states every part except verification, suppressed on the
# assignment line with a reason.
SUPPRESSED_PY = (
    'SYSTEM_PROMPT = "Context: you summarise support tickets for the on-call engineer.\\n\\n'
    'Constraints: use only facts stated in the ticket; at most 50 words.\\n\\n'
    'Task: summarise the ticket below in three bullet points.\\n\\n'
    'Output format: three lines, each starting with \\"- \\".\\n\\n'
    'Stop condition: if the ticket is empty, reply \\"EMPTY\\" and stop.\\n\\n'
    'Ticket: {ticket}\\n"'
    "  # promptlint: ignore[missing-verification] -- reason here\n"
)


def run_check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m promptlint check --no-cache ARGS`` in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "promptlint", "check", "--no-cache", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )


def run_json(*args: str, cwd: Path) -> list[dict]:
    proc = run_check("--output-format", "json", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def run_sarif(*args: str, cwd: Path) -> dict:
    proc = run_check("--output-format", "sarif", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def case_file(name: str) -> Path:
    path = CASES / name
    if not path.is_file():
        pytest.fail(f"sample case {path} not found in the project's own cases")
    return path


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sarif_validator(sarif_schema):
    cls = validators.validator_for(sarif_schema, default=jsonschema.Draft7Validator)
    cls.check_schema(sarif_schema)
    return cls(sarif_schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def examples_sarif() -> dict:
    return run_sarif(EXAMPLES, cwd=REPO)


@pytest.fixture(scope="module")
def examples_json() -> list[dict]:
    return run_json(EXAMPLES, cwd=REPO)


# --------------------------------------------------------------------------- SARIF


def test_shipped_schema_is_the_official_sarif_2_1_0_schema(sarif_schema) -> None:
    assert sarif_schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert sarif_schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert sarif_schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert sarif_schema["required"] == ["version", "runs"]
    for name in ("run", "result", "reportingDescriptor", "suppression", "region", "artifactLocation"):
        assert name in sarif_schema["definitions"], name


def test_schema_validation_rejects_a_broken_log(sarif_validator, examples_sarif) -> None:
    """The validator is live: the same log with a wrong version or a bad result fails."""
    broken = json.loads(json.dumps(examples_sarif))
    broken["version"] = "2.0.0"
    broken["runs"][0]["results"][0]["level"] = "fatal"
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    messages = [e.message for e in sarif_validator.iter_errors(broken)]
    assert len(messages) >= 3, messages


def test_sarif_validates_against_official_schema(sarif_validator, examples_sarif) -> None:
    errors = sorted(sarif_validator.iter_errors(examples_sarif), key=lambda e: list(e.path))
    assert errors == [], "\n".join(f"{e.json_path}: {e.message}" for e in errors[:20])
    assert examples_sarif["version"] == "2.1.0"
    assert len(examples_sarif["runs"]) == 1


def test_sarif_driver_rules_carry_help(examples_sarif) -> None:
    driver = examples_sarif["runs"][0]["tool"]["driver"]
    assert driver["name"] == "promptlint"
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    for code in ("PL001", "PL006", "PL201", "PL204"):
        assert code in ids
    for r in rules:
        assert r["helpUri"].startswith("https://"), r["id"]
        assert r["helpUri"].endswith(f"/{r['name']}/"), r["id"]
        assert isinstance(r["help"]["text"], str) and len(r["help"]["text"].split()) >= 5, r["id"]
        assert r["shortDescription"]["text"].strip(), r["id"]
    # ruleIndex points at the rule the result names.
    for res in examples_sarif["runs"][0]["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_sarif_results_match_json_output(examples_sarif, examples_json) -> None:
    results = examples_sarif["runs"][0]["results"]
    assert len(results) == len(examples_json) > 0
    for res, rec in zip(results, examples_json):
        fp = res["partialFingerprints"]
        assert isinstance(fp, dict) and fp, res
        (value,) = fp.values()
        assert re.fullmatch(r"[0-9a-f]{16}", value), value
        assert value == rec["fingerprint"]
        assert res["ruleId"] == rec["code"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == rec["path"]
        assert loc["region"] == {"startLine": rec["line"], "startColumn": rec["column"],
                                 "endLine": rec["end_line"], "endColumn": rec["end_column"]}
    # Fingerprints identify findings: no two results share one.
    assert len({next(iter(r["partialFingerprints"].values())) for r in results}) == len(results)


def test_partial_fingerprints_survive_an_inserted_line(tmp_path: Path) -> None:
    target = tmp_path / "review_chains.py"
    shutil.copyfile(case_file("review_chains.py"), target)

    def lint() -> list[tuple[str, int, str]]:
        results = run_sarif("review_chains.py", cwd=tmp_path)["runs"][0]["results"]
        return [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
                 r["partialFingerprints"]["promptlint/v1"]) for r in results]

    before = lint()
    assert len(before) >= 5
    target.write_text("# an unrelated comment\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    after = lint()
    assert {fp for _, _, fp in before} == {fp for _, _, fp in after}
    assert len(after) == len(before)
    by_fp = {fp: (code, line) for code, line, fp in after}
    for code, line, fp in before:
        assert by_fp[fp] == (code, line + 1)


def test_partial_fingerprints_survive_an_inserted_line_for_call_site_prompt(tmp_path: Path) -> None:
    target = tmp_path / "callsite.py"
    body = (
        "import anthropic\n\nclient = anthropic.Anthropic()\n\n\n"
        "def summarise(text: str) -> str:\n"
        "    return client.messages.create(\n"
        "        model=\"claude\",\n"
        "        system=\"Summarise the support ticket for the on-call engineer in three bullet points.\",\n"
        "        messages=[{\"role\": \"user\", \"content\": text}],\n"
        "    )\n"
    )
    target.write_text(body, encoding="utf-8")
    before = run_json("callsite.py", cwd=tmp_path)
    assert before and all(r["prompt_id"] == "callsite.py::call@9" for r in before)
    target.write_text("# an unrelated comment\n" + body, encoding="utf-8")
    after = run_json("callsite.py", cwd=tmp_path)
    assert [r["line"] for r in after] == [r["line"] + 1 for r in before]
    assert {r["fingerprint"] for r in after} == {r["fingerprint"] for r in before}


def test_fingerprint_does_not_depend_on_dot_slash_spelling(tmp_path: Path) -> None:
    shutil.copyfile(case_file("review_chains.py"), tmp_path / "review_chains.py")
    plain = run_sarif("review_chains.py", cwd=tmp_path)["runs"][0]["results"]
    dotted = run_sarif("./review_chains.py", cwd=tmp_path)["runs"][0]["results"]
    assert len(plain) == len(dotted) > 0
    assert [r["locations"] for r in plain] == [r["locations"] for r in dotted]
    assert [r["partialFingerprints"] for r in plain] == [r["partialFingerprints"] for r in dotted]


def test_sarif_uri_is_percent_encoded(tmp_path: Path) -> None:
    folder = tmp_path / "my prompts"
    folder.mkdir()
    (folder / "summary.prompt").write_text("Summarise the text below.\n\n{text}\n", encoding="utf-8")
    results = run_sarif("my prompts/summary.prompt", cwd=tmp_path)["runs"][0]["results"]
    assert results
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {urllib.parse.quote("my prompts/summary.prompt")}  # "my%20prompts/summary.prompt"


# --------------------------------------------------------------------------- JSON


def test_json_records_shape(examples_json) -> None:
    assert isinstance(examples_json, list) and len(examples_json) > 0
    paths = set()
    for rec in examples_json:
        assert set(rec) == RECORD_KEYS, sorted(set(rec) ^ RECORD_KEYS)
        assert re.fullmatch(r"PL\d{3}", rec["code"])
        assert rec["severity"] in {"error", "warning", "info"}
        assert rec["path"].startswith(EXAMPLES + "/") and not Path(rec["path"]).is_absolute()
        assert (REPO / rec["path"]).is_file()
        paths.add(rec["path"])
        for key in ("line", "column", "end_line", "end_column"):
            assert isinstance(rec[key], int) and rec[key] >= 1, (key, rec)
        assert (rec["end_line"], rec["end_column"]) >= (rec["line"], rec["column"])
        assert rec["url"] == f"https://promptlint.dev/rules/{rec['name']}/"
        assert rec["prompt_id"] is None or rec["prompt_id"].startswith(rec["path"])
        fix = rec["fix"]
        if fix is not None:
            assert isinstance(fix, dict)
            assert fix["applicability"] in {"safe", "unsafe", "display-only"}
            assert isinstance(fix["edits"], list) and fix["edits"]
            for edit in fix["edits"]:
                assert isinstance(edit["content"], str)
                assert edit["line"] >= 1 and edit["column"] >= 1
                assert (edit["end_line"], edit["end_column"]) >= (edit["line"], edit["column"])
    assert "fixtures/examples/assistant.py" in paths
    assert any(rec["fix"] is None for rec in examples_json)
    assert any(rec["fix"] is not None for rec in examples_json)


def test_json_unescaped_brace_position_and_fix(tmp_path: Path) -> None:
    shutil.copyfile(case_file("parsing_templates.py"), tmp_path / "parsing_templates.py")
    records = run_json("parsing_templates.py", cwd=tmp_path)
    braces = [r for r in records if r["name"] == "unescaped-brace"]
    assert len(braces) == 1, braces  # CONTACT_CARD_SAFE_TMPL doubles its braces
    rec = braces[0]
    assert rec["code"] == "PL201"
    assert rec["path"] == "parsing_templates.py"
    assert rec["prompt_id"] == "parsing_templates.py::CONTACT_CARD_TMPL"
    # The JSON example is line 18, 70 characters long: the span covers all of it.
    assert (rec["line"], rec["column"]) == (18, 1)
    assert (rec["end_line"], rec["end_column"]) == (18, 71)
    assert rec["severity"] == "error"
    assert rec["fix"]["applicability"] == "safe"
    edits = [(e["content"], e["line"], e["column"], e["end_line"], e["end_column"]) for e in rec["fix"]["edits"]]
    assert edits == [("{", 18, 1, 18, 1), ("}", 18, 71, 18, 71)]


# --------------------------------------------------------------------------- github / concise


def test_github_output_lines(examples_json) -> None:
    proc = run_check("--output-format", "github", EXAMPLES, cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(examples_json)
    level = {"error": "error", "warning": "warning", "info": "notice"}
    for line, rec in zip(lines, examples_json):
        m = GITHUB_LINE.match(line)
        assert m, line
        assert m["level"] == level[rec["severity"]]
        assert m["file"] == rec["path"]
        assert (int(m["line"]), int(m["col"]), int(m["end_line"]), int(m["end_col"])) == (
            rec["line"], rec["column"], rec["end_line"], rec["end_column"])
        assert m["title"] == f"{rec['code']} {rec['name']}"
        assert m["msg"].startswith(f"{rec['code']} [{rec['name']}] ")
    assert {GITHUB_LINE.match(x)["level"] for x in lines} == {"error", "warning", "notice"}


def test_concise_output_lines(examples_json) -> None:
    proc = run_check("--output-format", "concise", EXAMPLES, cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(examples_json)
    for line, rec in zip(lines, examples_json):
        m = CONCISE_LINE.match(line)
        assert m, line
        assert (m["path"], int(m["line"]), int(m["col"]), m["code"], m["name"], m["msg"]) == (
            rec["path"], rec["line"], rec["column"], rec["code"], rec["name"], rec["message"])
        safe = rec["fix"] is not None and rec["fix"]["applicability"] == "safe"
        assert bool(m["fixable"]) == safe, line


# --------------------------------------------------------------------------- suppressions


def test_show_suppressed_across_formats(tmp_path: Path) -> None:
    (tmp_path / "suppressed.py").write_text(SUPPRESSED_PY, encoding="utf-8")

    hidden = run_check("--output-format", "json", "suppressed.py", cwd=tmp_path)
    assert hidden.returncode == 0, hidden.stdout + hidden.stderr  # a suppressed finding does not fail the run
    assert [r for r in json.loads(hidden.stdout) if r["name"] == "missing-verification"] == []

    shown = [r for r in run_json("--show-suppressed", "suppressed.py", cwd=tmp_path)
             if r["name"] == "missing-verification"]
    assert len(shown) == 1, shown
    assert shown[0]["suppressed"] is True
    assert shown[0]["suppression_reason"] == "reason here"
    assert shown[0]["prompt_id"] == "suppressed.py::SYSTEM_PROMPT"
    assert shown[0]["line"] == 1

    results = [r for r in run_sarif("--show-suppressed", "suppressed.py", cwd=tmp_path)["runs"][0]["results"]
               if r["ruleId"] == "PL006"]
    assert len(results) == 1
    assert results[0]["suppressions"][0]["justification"] == "reason here"
    assert results[0]["suppressions"][0]["kind"] == "inSource"
    assert run_sarif("suppressed.py", cwd=tmp_path)["runs"][0]["results"] == []

    concise = run_check("--output-format", "concise", "--show-suppressed", "suppressed.py", cwd=tmp_path)
    assert concise.returncode == 0
    lines = [x for x in concise.stdout.splitlines() if "PL006" in x]
    assert len(lines) == 1
    assert lines[0].startswith("suppressed.py:1:")
    assert "suppressed" in lines[0].split("[missing-verification]", 1)[1]
    assert lines[0].endswith("(suppressed: reason here)")


def test_suppressed_sarif_still_validates(tmp_path: Path, sarif_validator) -> None:
    (tmp_path / "suppressed.py").write_text(SUPPRESSED_PY, encoding="utf-8")
    log = run_sarif("--show-suppressed", "suppressed.py", cwd=tmp_path)
    assert len(log["runs"][0]["results"]) == 1
    errors = list(sarif_validator.iter_errors(log))
    assert errors == [], [f"{e.json_path}: {e.message}" for e in errors]


# --------------------------------------------------------------------------- exit codes


def test_exit_code_1_with_findings() -> None:
    proc = run_check("--output-format", "concise", EXAMPLES, cwd=REPO)
    assert proc.returncode == 1
    assert proc.stdout.strip()


def test_exit_code_0_with_exit_zero() -> None:
    proc = run_check("--output-format", "concise", "--exit-zero", EXAMPLES, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) > 0  # findings still reported


def test_exit_code_0_on_clean_prompt(tmp_path: Path) -> None:
    (tmp_path / "billing_triage.prompt").write_text(CLEAN_PROMPT, encoding="utf-8")
    proc = run_check("--output-format", "json", "billing_triage.prompt", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == []
    concise = run_check("--output-format", "concise", "billing_triage.prompt", cwd=tmp_path)
    assert (concise.returncode, concise.stdout) == (0, "")


def test_exit_code_2_for_missing_path(tmp_path: Path) -> None:
    proc = run_check("--output-format", "json", "does_not_exist.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "does_not_exist.py" in lines[0]


def test_a_lone_surrogate_in_a_prompt_is_written_as_an_escape(tmp_path) -> None:  # noqa: ANN001
    """``"\\ud800"`` in Python or JSON source decodes to a lone surrogate, which UTF-8 cannot encode: the JSON
    outputs carry it as the JSON escape instead of ending the run with a traceback."""
    import json
    import subprocess
    import sys

    (tmp_path / "s.py").write_text('SYSTEM_PROMPT = "You are a helpful assistant \\ud800 answer {question} now."\n'
                                   'OTHER_PROMPT = "Answer " "the question."\n')
    for args in (["prompts", "--output-format", "json"], ["check", "--output-format", "json", "--exit-zero"]):
        run = subprocess.run([sys.executable, "-m", "promptlint", *args, "--no-cache", "s.py"], cwd=tmp_path,
                             capture_output=True, timeout=120)
        assert run.returncode == 0, run.stderr.decode()
        doc = json.loads(run.stdout)
        if args[0] == "prompts":
            assert doc[0]["id"] == "s.py::SYSTEM_PROMPT"
