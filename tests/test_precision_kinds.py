"""Precision on real code: each kind of wrong finding met on the twelve public LLM repositories, pinned on a
small input written for it (see the README, "What the default rules report"). Every test here failed on the
main of 2026-12-01 before the change it pins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import lint

pytestmark = pytest.mark.default_rules


def _names(result) -> list[str]:  # noqa: ANN001
    return sorted(f.name for f in result.findings)


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "promptlint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


# --- the default selection ---------------------------------------------------------------------------------

SLOPPY = "Summarize the notes for the team.\n"
LABELLED = "Task: summarize the notes {notes}.\n\nOutput format: three bullet points.\n"


def test_contract_completeness_rules_are_opt_in() -> None:
    assert _names(lint("p.prompt", SLOPPY, defaults=True)) == []
    opted = _names(lint("p.prompt", SLOPPY, defaults=True, extend_select=["PL00"], structure_rules="all"))
    assert {"missing-context", "missing-output-contract", "missing-stop-condition"} <= set(opted)


def test_opted_in_structure_rules_judge_labelled_prompts_only_by_default() -> None:
    free_form = lint("p.prompt", SLOPPY, defaults=True, extend_select=["PL00"])
    assert _names(free_form) == [] and free_form.prompts[0]["checks"] == "free-form"
    labelled = lint("p.prompt", LABELLED, defaults=True, extend_select=["PL00"])
    assert labelled.prompts[0]["checks"] == "all"
    assert "missing-stop-condition" in _names(labelled) and "missing-task" not in _names(labelled)


def test_rules_command_says_which_rules_are_opt_in(tmp_path: Path) -> None:
    rows = {r["code"]: r for r in json.loads(_cli(tmp_path, "rules", "--output-format", "json").stdout)}
    assert rows["PL005"]["default"] is False and rows["PL005"]["selected"] is False
    assert rows["PL204"]["default"] is True and rows["PL204"]["selected"] is True
    (tmp_path / "promptlint.toml").write_text('extend-select = ["PL005"]\n')
    rows = {r["code"]: r for r in json.loads(_cli(tmp_path, "rules", "--output-format", "json").stdout)}
    assert rows["PL005"]["selected"] is True and rows["PL001"]["selected"] is False


# --- vague-output-contract: a format the output is asked to take ---------------------------------------------

@pytest.mark.parametrize("text", [
    "Look for dependency files (requirements.txt, pyproject.toml, package.json) and install from them.\n",
    "A list of documents is shown below in json format. Rate how relevant they are from 1 to 5.\n",
    "Python libraries such as re, json and math are available. Solve the task with them.\n",
    "Do not use escape characters in json data. Answer the question.\n",
    'Your response must be in JSON format, for example: ["keyword1", "keyword2"].\n',
    'Return JSON like {"收款人": "x", "城市": "x"}.\n',
])
def test_format_words_that_ask_for_no_output_format(text: str) -> None:
    assert "vague-output-contract" not in _names(lint("p.prompt", text, defaults=True, extend_select=["PL101"]))


@pytest.mark.parametrize("text", [
    "Determine which function to use next, and respond using a JSON object.\n",
    "If there are tasks left, answer NO along with the to-do list in JSON format.\n",
    "Summarise the ticket. The output must be valid YAML.\n",
])
def test_a_requested_format_without_shape_is_still_vague(text: str) -> None:
    assert "vague-output-contract" in _names(lint("p.prompt", text, defaults=True, extend_select=["PL101"]))


# --- invalid-output-schema: literal JSON examples only ---------------------------------------------------------

def test_broken_example_is_reported_where_parsing_fails() -> None:
    text = 'Example output:\n{\n  "score": 5\n  "overall": "good"\n}\n'
    (finding,) = [f for f in lint("p.prompt", text, defaults=True).findings if f.name == "invalid-output-schema"]
    assert (finding.span.start.line, finding.span.start.column) == (4, 3) and "','" in finding.message


def test_json_example_inside_a_python_sample_is_code() -> None:
    text = "Follow the style of this code.\n```python\nconfig = {\"a\": 1 \"b\": 2}\n```\nWrite the module.\n"
    assert "invalid-output-schema" not in _names(lint("p.prompt", text, defaults=True))


# --- which files are prompts, and in which template syntax -----------------------------------------------------

def test_non_prompt_jinja_templates_are_not_walked(tmp_path: Path) -> None:
    files = {
        "templates/app.spec.jinja2": "a = Analysis(['main.py'], datas=[('settings.json', '.')])\n{{ packages }}\n",
        "templates/MANIFEST.in.j2": "include {{ package_name }}/yamls/*.yaml\n",
        "templates/run.jinja2": '#! /bin/bash\necho "start serving"\ndotnet App.dll --yaml_path "flow.dag.yaml"\n',
        "templates/answer.jinja2": "You answer questions about {{ topic }}. Reply in one sentence.\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    listed = json.loads(_cli(tmp_path, "prompts", "--no-cache", "--output-format", "json", ".").stdout)
    assert [p["path"] for p in listed] == ["templates/answer.jinja2"]
    named = json.loads(_cli(tmp_path, "prompts", "--no-cache", "--output-format", "json",
                            "templates/run.jinja2").stdout)
    assert [p["path"] for p in named] == ["templates/run.jinja2"]  # named on the command line: linted


def test_markdown_that_mentions_template_syntax_is_not_a_template() -> None:
    text = ("# Writing prompts\n\nUse `{{variable}}` for inputs and `{% if %}` for branches.\n\n"
            "```jinja\n{% for x in items %}{{ x }}\n```\n\nReview the user's template and list its problems.\n")
    result = lint("review.prompt.md", text, defaults=True)
    assert result.prompts[0]["syntax"] == "plain" and result.prompts[0]["placeholders"] == []
    assert "template-syntax-error" not in _names(result)


def test_agent_instruction_files_are_plain_text() -> None:
    text = "Templates use Jinja: `{{variable}}`, {% if %}, {% for %}.\nRun the tests before you commit.\n"
    result = lint(".github/copilot-instructions.md", text, defaults=True)
    assert result.prompts[0]["syntax"] == "plain" and _names(result) == []


def test_blank_prompt_file_is_a_slot_but_an_empty_literal_is_not() -> None:
    assert _names(lint("prompts/user_prompt.j2", "\n", defaults=True)) == []
    src = 'client.chat.completions.create(model="m", messages=[{"role": "system", "content": ""}])\n'
    assert "empty-prompt" in _names(lint("app.py", src, defaults=True))


def test_valid_json_that_yaml_cannot_read_is_not_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "vectors.json").write_text('{"prompt": "Say hi", "raw": "\u0097"}\n', "utf-8")
    proc = _cli(tmp_path, "check", "--no-cache", "--output-format", "json", "vectors.json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == [], proc.stdout + proc.stderr


# --- test folders: what a suite provokes on purpose ------------------------------------------------------------

def test_test_suites_provoke_injection_and_syntax_errors_on_purpose(tmp_path: Path) -> None:
    src = ('from promptflow.tools.common import PromptTemplate\n'
           'def test_sandbox():\n'
           '    PromptTemplate("{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}")\n')
    for rel in ("tests/test_render.py", "app/render.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(src)
    found = json.loads(_cli(tmp_path, "check", "--no-cache", "--output-format", "json", ".").stdout)
    injections = [(f["path"], f["message"]) for f in found if f["name"] == "template-injection"]
    assert [p for p, _ in injections] == ["app/render.py"]  # once per template, and not in the test suite
    assert "more in this template" in injections[0][1]


# --- what is judged, and part detection for ordinary phrasing (the opt-in structure rules) ---------------------

def test_a_data_only_user_turn_is_not_judged() -> None:
    src = ('client.chat.completions.create(model="m", response_model=User,\n'
           '    messages=[{"role": "user", "content": "Jason is 10 years old and lives in Paris."}])\n')
    result = lint("extract.py", src, defaults=True, extend_select=["PL00"], structure_rules="all")
    assert (result.prompts[0]["kind"], result.prompts[0]["checks"]) == ("data", "hazards")
    assert _names(result) == []


@pytest.mark.parametrize(("text", "part"), [
    ("You help the bakery. Task: answer the customer's question {q}.\n", "task"),
    ("What is the capital of {country}?\n", "task"),
    ("Run the tests. If they fail, ask the user to run the command again.\n", "stop_condition"),
    ("背景：你是客服助手。\n\n任务：回答用户的问题 {q}。\n\n输出格式：一句话。\n", "output_contract"),
    ("背景：你是客服助手。\n\n任务：回答用户的问题 {q}。\n", "task"),
])
def test_parts_in_ordinary_phrasing_and_other_languages(text: str, part: str) -> None:
    result = lint("p.prompt", text, defaults=True, extend_select=["PL00"], structure_rules="all")
    assert result.prompts[0]["parts"][part]["present"], result.prompts[0]["parts"]
    assert "missing-" + part.replace("_", "-") not in _names(result)


def test_prompts_shows_the_evidence_of_each_part() -> None:
    text = "You help the bakery. Task: answer the question {q}.\n\nOutput format: one sentence.\n"
    parts = lint("p.prompt", text, defaults=True).prompts[0]["parts"]
    assert parts["task"]["evidence"] == {"line": 1, "column": 22, "text": "Task: answer the question {q}."}
    assert parts["output_contract"]["evidence"]["line"] == 3 and parts["stop_condition"]["evidence"] is None


def test_a_constant_composed_into_another_prompt_is_a_fragment() -> None:
    src = ('BASE_PROMPT = "You are a support assistant for Acme. Never promise refunds."\n'
           'TRIAGE_PROMPT = BASE_PROMPT + """\n\nTask: classify the ticket {ticket}.\n\nOutput format: one word.\n"""\n')
    result = lint("prompts.py", src, defaults=True, extend_select=["PL00"], structure_rules="all")
    base, triage = result.prompts
    assert (base["kind"], base["checks"], base["composed_into"]) == ("fragment", "hazards", ["prompts.py::TRIAGE_PROMPT"])
    assert triage["composed_of"] == ["prompts.py::BASE_PROMPT"] and triage["parts"]["constraints"]["present"]
    assert {f.prompt_id for f in result.findings} == {"prompts.py::TRIAGE_PROMPT"}  # judged as the whole only


def test_an_alias_of_a_prompt_is_no_composition() -> None:
    src = ('LOCAL_SYSTEM_MESSAGE = "You are a fast assistant for terminal issues. Reply with one command."\n'
           'def pick(local):\n    system_message = LOCAL_SYSTEM_MESSAGE\n'
           '    return client.chat.completions.create(model="m", messages=[{"role": "system", "content": system_message}])\n')
    result = lint("wtf.py", src, defaults=True)
    assert all(p["kind"] == "prompt" and not p["composed_into"] for p in result.prompts), result.prompts


def test_brace_rules_through_composition() -> None:
    src = ('ROLE = "support assistant"\n'
           'ANSWER_PROMPT = (\n    f"You are a {ROLE}. Return JSON like {{\\"answer\\": \\"...\\"}}. "\n'
           '    "Answer the question {question}."\n)\n'
           'def ask(q):\n    return ANSWER_PROMPT.format(question=q)\n'
           'TWO_PASS_TEMPLATE = "Summarize {text}. Return {{{{\\"summary\\": \\"x\\"}}}}."\n'
           'first = TWO_PASS_TEMPLATE.format(text="{text}")\n')
    result = lint("compose.py", src, defaults=True)
    # ROLE is an f-string value, not a .format field; {text} is declared by the first pass; {{{{ is not Mustache.
    # ("Summarize {text}." is outside input run into the sentence: undelimited-input, not a brace rule.)
    braces = [f for f in result.findings if f.name != "undelimited-input"]
    assert braces == [], [(f.name, f.message) for f in braces]
    two_pass = next(p for p in result.prompts if p["id"].endswith("TWO_PASS_TEMPLATE"))
    assert (two_pass["syntax"], two_pass["placeholders"]) == ("format", ["text"])


@pytest.mark.parametrize("example", [
    '{"match": true or false, "reason": "why"}',
    '{"items": [{"object"}], "count": 3}',
    '{"summary": %s, "score": %d}',
])
def test_pseudo_json_notation_is_no_broken_example(example: str, tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "grade.py"
    path.write_text(f"GRADER_PROMPT = '''You are a grader. Answer with JSON like this:\n{example}\n'''\n",
                    encoding="utf-8")
    from promptlint.config import load_settings
    from promptlint.engine import lint_paths

    (result,) = lint_paths([str(path)], load_settings([str(path)]), use_cache=False).results
    assert result.prompts and not [f for f in result.findings if f.code == "PL102"]
