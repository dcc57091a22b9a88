"""Discovery (issue 11): prompts reached by data flow from call sites, prompt
classes and functions, wrappers, config files, named folders, long builds.

Each test is a small input written for the style it pins; positions are the
1-based line/column ``promptlint prompts`` reports for the prompt's text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from promptlint.config import load_settings
from promptlint.engine import lint_paths


def found(tmp_path: Path, name: str, source: str) -> dict[str, dict]:
    """``promptlint prompts`` summaries of file ``name`` holding ``source``, by id."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    settings = load_settings([str(path)])
    report = lint_paths([str(path)], settings, use_cache=False)
    return {p["id"].split("::", 1)[-1]: p for r in report.results for p in r.prompts}


def test_local_with_plus_equals_reaches_the_call(tmp_path: Path) -> None:
    got = found(tmp_path, "app.py", '''
        def ask(client, question):
            prompt = "You are a support bot. Answer the customer's question."
            prompt += " Reply in one sentence."
            return client.chat.completions.create(model="m", messages=[{"role": "user", "content": prompt}])
    ''')
    assert list(got) == ["prompt"]
    p = got["prompt"]
    assert p["found_by"] == "flow"
    assert (p["line"], p["column"]) == (2, 14)


def test_a_prompt_built_with_a_constant_from_above_spans_its_own_text(tmp_path: Path) -> None:
    # The pieces' text order is not file order: the last character of ``prompt += CONCISE`` (or of
    # ``BODY + HEADER``) lies above the prompt, and the span used to end where it started (OpenHands'
    # browsing agent: 71:14-71:14 for a 17-line f-string).
    got = found(tmp_path, "agent.py", '''
        CONCISE = "Answer in one line."
        HEADER = "You are a careful planner."


        def page_prompt(url, concise):
            prompt = f"""\\
        # Page
        {url}

        Pick the next action. Stop when done.
        """.strip()
            if concise:
                prompt += CONCISE
            return prompt


        def plan_prompt(task):
            return ("Plan the task below in numbered steps. "
                    "Stop after five steps.\\n"
                    f"Task: {task}\\n") + HEADER


        def run(client, url, task):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": page_prompt(url, True)}])
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": plan_prompt(task)}])
    ''')
    spans = {k: (p["line"], p["column"], p["end_line"], p["end_column"]) for k, p in got.items()}
    assert spans == {"prompt": (6, 14, 10, 38), "plan_prompt": (18, 13, 20, 29)}


def test_appended_messages_make_one_conversation(tmp_path: Path) -> None:
    got = found(tmp_path, "tutor.py", '''
        def run(client, question):
            messages = []
            messages.append({"role": "system", "content": "You are a tutor. Explain the answer step by step."})
            messages.append({"role": "user", "content": question})
            return client.chat.completions.create(model="m", messages=messages)
    ''')
    (p,) = got.values()
    assert p["found_by"] == "flow" and p["messages"] == 1
    assert (p["line"], p["column"]) == (3, 51)


def test_function_return_and_method_return(tmp_path: Path) -> None:
    got = found(tmp_path, "review.py", '''
        def system_text():
            return "You are a code reviewer. List every bug in the diff."

        class Reviewer:
            def _user(self, diff):
                return f"Review this diff and answer with a list of bugs:\\n{diff}"

            def run(self, client, diff):
                return client.chat.completions.create(model="m", messages=[
                    {"role": "system", "content": system_text()},
                    {"role": "user", "content": self._user(diff)},
                ])
    ''')
    (p,) = got.values()
    assert p["found_by"] == "flow" and p["messages"] == 2
    assert (p["line"], p["column"]) == (2, 12)
    assert p["placeholders"] == ["diff"]


def test_self_attribute_set_in_another_method(tmp_path: Path) -> None:
    got = found(tmp_path, "bot.py", '''
        class Bot:
            def __init__(self):
                self.rules = "You are a summariser. Summarize the text in one line."

            def run(self, client, text):
                return client.responses.create(model="m", instructions=self.rules, input=text)
    ''')
    (p,) = got.values()
    assert p["found_by"] == "flow"
    assert (p["line"], p["column"]) == (3, 22)


def test_join_of_a_list_built_with_append(tmp_path: Path) -> None:
    got = found(tmp_path, "build.py", '''
        def ask(client, notes):
            parts = ["You are a release-notes writer."]
            parts.append("Turn the commits into release notes.")
            text = "\\n".join(parts)
            return client.chat.completions.create(model="m", messages=[{"role": "user", "content": text}])
    ''')
    (p,) = got.values()
    assert p["found_by"] == "flow"
    assert (p["line"], p["column"]) == (2, 14)


def test_prompt_class_attributes_aider_style(tmp_path: Path) -> None:
    got = found(tmp_path, "coders/edit_prompts.py", '''
        class CoderPrompts:
            system_reminder = ""
            files_content_prefix = "I have added these files to the chat so you can edit them."
            edit_format = "diff"

        class EditPrompts(CoderPrompts):
            main_system = """Act as an expert software developer.
        Always use best practices when coding.
        """
    ''')
    assert set(got) == {"CoderPrompts.files_content_prefix", "EditPrompts.main_system"}
    assert got["CoderPrompts.files_content_prefix"]["found_by"] == "content"
    assert got["EditPrompts.main_system"]["found_by"] == "name"  # ``*_system`` is a prompt name pattern
    assert (got["EditPrompts.main_system"]["line"], got["EditPrompts.main_system"]["column"]) == (7, 19)


def test_class_of_instruction_strings_without_a_prompt_name(tmp_path: Path) -> None:
    got = found(tmp_path, "texts.py", '''
        class Messages:
            greet = "You are a greeter. Greet the user by name."
            plan = "You are a planner. Plan the next three steps."
            check = "Verify that every step has an owner. Answer yes or no."
            version = "one two three"
    ''')
    assert set(got) == {"Messages.greet", "Messages.plan", "Messages.check"}


def test_wrapped_constants_camel_style(tmp_path: Path) -> None:
    got = found(tmp_path, "society.py", '''
        from camel.prompts import TextPrompt, TextPromptDict

        class AISocietyPromptTemplateDict(TextPromptDict):
            GENERATE_TASKS = TextPrompt(
                """List {num_tasks} tasks that {role} can do. Be concise."""
            )
    ''')
    p = got["AISocietyPromptTemplateDict.GENERATE_TASKS"]
    assert p["syntax"] == "format" and p["placeholders"] == ["num_tasks", "role"]
    assert (p["line"], p["column"]) == (5, 9)


def test_string_template_is_a_dollar_template(tmp_path: Path) -> None:
    got = found(tmp_path, "tmpl.py", '''
        from string import Template

        SUMMARY_TEMPLATE = Template("You are an editor. Summarize $doc for ${audience}. Costs $$5.")
    ''')
    p = got["SUMMARY_TEMPLATE"]
    assert p["syntax"] == "dollar" and p["placeholders"] == ["doc", "audience"]


def test_prompt_named_function_returning_instructions(tmp_path: Path) -> None:
    got = found(tmp_path, "fn.py", '''
        def build_grading_prompt(answer):
            return f"You are a grader. Grade the answer below from 1 to 5.\\n{answer}"

        def build_url(host):
            return f"https://{host}/api"
    ''')
    assert list(got) == ["build_grading_prompt"]
    assert got["build_grading_prompt"]["found_by"] == "content"


def test_local_prompt_inside_a_function_is_named_by_its_function(tmp_path: Path) -> None:
    got = found(tmp_path, "local.py", '''
        def evaluate(trace):
            prompt = f"You are a judge. Score the trace below from 0 to 10.\\n{trace}"
            return prompt

        def improve(trace):
            prompt = f"You are an editor. Rewrite the trace below so it is shorter.\\n{trace}"
            return prompt
    ''')
    assert set(got) == {"evaluate.prompt", "improve.prompt"}


def test_alias_of_a_function_prompt_is_one_prompt(tmp_path: Path) -> None:
    got = found(tmp_path, "alias.py", '''
        class Agent:
            def _format_prompt(self):
                return "You are a formatter. Answer in JSON with keys a and b."

            def handle(self):
                format_prompt = self._format_prompt()
                return format_prompt
    ''')
    assert list(got) == ["Agent._format_prompt"]


def test_nested_agent_config_keys_swe_agent_style(tmp_path: Path) -> None:
    got = found(tmp_path, "config/default.yaml", '''
        agent:
          templates:
            system_template: |-
              You are a helpful assistant that can interact with a computer to solve tasks.
            instance_template: |-
              <pr_description>
              {{problem_statement}}
              </pr_description>
              Make the minimal changes so that the requirements are met.
            next_step_template: |-
              OBSERVATION:
              {{observation}}
          tools:
            env_variables:
              PAGER: cat
    ''')
    assert set(got) == {"agent.templates.system_template", "agent.templates.instance_template",
                        "agent.templates.next_step_template"}
    assert got["agent.templates.instance_template"]["placeholders"] == ["problem_statement"]
    assert (got["agent.templates.system_template"]["line"], got["agent.templates.system_template"]["column"]) == (3, 22)


def test_prompt_catalogue_translations_file(tmp_path: Path) -> None:
    catalogue = {
        "slices": {
            "observation": "\nObservation: {result}\nYou must use this observation to choose your next action.",
            "task": "\nCurrent Task: {input}\n\nBegin! Answer the task with the tools available to you.",
            "memory": "\n\n# Useful context: \n{memory}\nYou must use this context only when it answers the task.",
        },
        "errors": {"tool_error": "Error: the tool failed with {error}. Try again with valid arguments and answer."},
        "meta": {"name": "en", "version": "1.0"},
    }
    got = found(tmp_path, "translations/en.json", json.dumps(catalogue, indent=2))
    assert {"slices.observation", "slices.task", "slices.memory", "errors.tool_error"} <= set(got)
    assert "meta.name" not in got
    assert all(p["found_by"] == "content" for p in got.values())


def test_recorded_http_traffic_is_not_parsed(tmp_path: Path) -> None:
    body = "interactions:\n- request:\n    body: '{\"prompt\": \"You are a bot. Answer.\"}'\n    method: POST\n"
    (tmp_path / "tests" / "recordings").mkdir(parents=True)
    (tmp_path / "tests" / "recordings" / "test_call.yaml").write_text(body, encoding="utf-8")
    settings = load_settings([str(tmp_path)])
    report = lint_paths([str(tmp_path)], settings, use_cache=False)
    assert not [r for r in report.results if r.path.endswith("test_call.yaml")]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "promptlint", *args], cwd=cwd, capture_output=True, text=True)


def test_named_prompt_folder_is_linted(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "summarize").write_text("You are a bot. Summarize the text.\n", encoding="utf-8")
    (tmp_path / "prompts" / "answer.md").write_text("You are a bot. Answer in JSON.\n", encoding="utf-8")
    out = _cli("prompts", "--output-format", "json", "prompts/", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert sorted(p["id"] for p in json.loads(out.stdout)) == ["prompts/answer.md", "prompts/summarize"]
    assert "no prompt files" not in out.stderr


def test_named_file_without_prompts_warns(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("host: localhost\nport: 80\n", encoding="utf-8")
    out = _cli("check", "settings.yaml", cwd=tmp_path)
    assert out.returncode == 0
    assert "settings.yaml: no prompts found in this file" in out.stderr


def test_named_folder_with_nothing_lintable_warns(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Docs\n", encoding="utf-8")
    out = _cli("check", "docs", cwd=tmp_path)
    assert "no prompt files found under docs" in out.stderr


@pytest.mark.parametrize("pieces", [400, 3000])
def test_long_implicit_concatenation_is_linted(tmp_path: Path, pieces: int) -> None:
    lines = "\n".join(f'    "You are line {i}. Answer briefly.\\n"' for i in range(pieces))
    path = tmp_path / "long.py"
    path.write_text(f"SYSTEM_PROMPT = (\n{lines}\n)\n", encoding="utf-8")
    settings = load_settings([str(path)])
    report = lint_paths([str(path)], settings, use_cache=False)
    (result,) = report.results
    assert result.error is None
    (p,) = result.prompts
    assert (p["line"], p["column"], p["end_line"]) == (2, 5, pieces + 1)


def test_quoted_fstring_sample_in_a_plain_local_is_no_format_template(tmp_path: Path) -> None:
    path = tmp_path / "condenser.py"
    path.write_text(textwrap.dedent('''
        def condense(events):
            prompt = """You are maintaining a state summary. Summarize the events.
        CODE_STATE: {File paths, function signatures}
        CHANGES: str(val) replaces f"{val:.16G}"
        """
            prompt += f"<EVENTS>{events}</EVENTS>"
            return prompt
    ''').lstrip(), encoding="utf-8")
    settings = load_settings([str(path)])
    (result,) = lint_paths([str(path)], settings, use_cache=False).results
    assert [p["id"].split("::")[1] for p in result.prompts] == ["condense.prompt"]
    assert not [f for f in result.findings if f.code == "PL201"]


def test_newer_python_syntax_is_not_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "new.py"
    # Valid on Python 3.12+ (PEP 701), a SyntaxError for an older ast: never a PL900.
    path.write_text('SYSTEM_PROMPT = "You are a bot. Answer."\nx = f"{"\\n".join(["a", "b"])}"\n', encoding="utf-8")
    settings = load_settings([str(path)])
    (result,) = lint_paths([str(path)], settings, use_cache=False).results
    assert not [f for f in result.findings if f.code == "PL900"]


def test_jinja_include_is_followed_and_a_missing_one_reported(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "system_prompt.j2").write_text("You are a coding agent. Fix the bug.\n", encoding="utf-8")
    (prompts / "long_horizon.j2").write_text(
        '{% include "system_prompt.j2" %}\n{% include "planning.j2" %}\nTrack every task.\n', encoding="utf-8")
    settings = load_settings([str(tmp_path)])
    report = lint_paths([str(prompts)], settings, use_cache=False)
    by_name = {Path(p["id"]).name: p for r in report.results for p in r.prompts}
    includer, included = by_name["long_horizon.j2"], by_name["system_prompt.j2"]
    assert [Path(x).name for x in includer["composed_of"]] == ["system_prompt.j2"]
    assert [Path(x).name for x in included["composed_into"]] == ["long_horizon.j2"]
    assert includer["checks"] == "hazards"  # only part of what the model sees
    (missing,) = [f for r in report.results for f in r.findings if f.code == "PL208"]
    assert Path(missing.path).name == "long_horizon.j2"
    assert (missing.span.start.line, missing.span.start.column) == (2, 13)
    assert "planning.j2" in missing.message


def test_notebook_code_cells_are_python_with_notebook_positions(tmp_path: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# A prompt demo\n", "SYSTEM_PROMPT = 'no'"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
             "source": ["%pip install openai\n", "SYSTEM_PROMPT = \"You are a tutor. Explain the answer.\"\n"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [],
             "source": "%%bash\necho 'You are not Python'\n"},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    path = tmp_path / "demo.ipynb"
    text = json.dumps(notebook, indent=1)
    path.write_text(text, encoding="utf-8")
    settings = load_settings([str(path)])
    (result,) = lint_paths([str(path)], settings, use_cache=False).results
    (p,) = result.prompts
    assert p["id"].endswith("::SYSTEM_PROMPT")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "You are a tutor" in ln)
    column = text.splitlines()[line - 1].index('\\"You') + 1
    assert (p["line"], p["column"]) == (line, column)


def test_template_named_constant_with_placeholders_and_no_instructions(tmp_path: Path) -> None:
    got = found(tmp_path, "design.py", '''
        NEW_REQ_TEMPLATE = """
        ### Legacy Content
        {old_design}

        ### New Requirements
        {context}
        """
        ERROR_TEMPLATE = "Could not open the file"
    ''')
    assert list(got) == ["NEW_REQ_TEMPLATE"]
    assert got["NEW_REQ_TEMPLATE"]["placeholders"] == ["old_design", "context"]


def test_instruction_keyword_and_system_msgs_list(tmp_path: Path) -> None:
    got = found(tmp_path, "nodes.py", '''
        QUESTIONS = ActionNode(key="Questions", expected_type=list[str],
                               instruction="Role: You are an interviewer. List five questions about the resume.")

        async def summarize(llm, readme):
            return await llm.aask(readme, system_msgs=["You are a tool that summarizes a README.",
                                                       "Answer in three sentences."])
    ''')
    assert set(got) == {"ActionNode.instruction", "aask.system_msgs"}
    assert got["ActionNode.instruction"]["line"] == 2


def test_system_msgs_list_opened_on_its_own_line(tmp_path: Path) -> None:
    # MetaGPT's extract_readme.py style: the list's first string on the line after ``system_msgs=[``.
    got = found(tmp_path, "readme.py", '''
        async def summarize(llm, readme):
            return await llm.aask(
                readme,
                system_msgs=[
                    "You are a tool that summarizes a README file.",
                    "Return the summary of what the repository is.",
                ],
            )
    ''')
    assert list(got) == ["aask.system_msgs"]
    assert got["aask.system_msgs"]["line"] == 5  # where the list opens


def test_tool_descriptions_are_found_as_tools(tmp_path: Path) -> None:
    # OpenHands' tools/bash.py style: a description constant picked by a conditional, passed through a helper.
    got = found(tmp_path, "tools/bash.py", '''
        from litellm import ChatCompletionToolParam, ChatCompletionToolParamFunctionChunk

        _DETAILED = """Execute a bash command in the terminal within a persistent shell session.
        Use it for long-running commands."""
        _SHORT = "Execute a bash command in the terminal."

        def create_cmd_run_tool(short=False):
            description = _SHORT if short else _DETAILED
            return ChatCompletionToolParam(
                type="function",
                function=ChatCompletionToolParamFunctionChunk(
                    name=tool_name("execute_bash"),  # a call before description=
                    description=refine_prompt(description),
                    parameters={"type": "object", "properties": {}},
                ),
            )

        THINK = ChatCompletionToolParam(type="function", function=ChatCompletionToolParamFunctionChunk(
            name="think", description="ok"))
        PARSER = argparse.ArgumentParser(description="Run the agent on one task and print what it did.")
    ''')
    assert sorted((p["id"].split("::")[1], p["line"]) for p in got.values()) == [
        ("ChatCompletionToolParamFunctionChunk.description", 3),
        ("ChatCompletionToolParamFunctionChunk.description@5", 5)]
    assert {p["found_by"] for p in got.values()} == {"tool"}
    assert {p["kind"] for p in got.values()} == {"tool"}  # described tools are not requests: no contract rules
    assert {p["checks"] for p in got.values()} == {"hazards"}
    stand_in = found(tmp_path, "tests/test_tools.py", '''
        def test_invoke():
            tool = StructuredTool.from_function(func=len, name="t", description="Tool to test the invoke method")
            assert tool.invoke({"x": "ab"}) == 2
    ''')
    assert stand_in == {}  # a test module's tools are stand-ins


def test_prompt_attribute_of_another_object(tmp_path: Path) -> None:
    got = found(tmp_path, "plan.py", '''
        def plan(llm):
            llm.system_prompt = "You are a planner. Write the development plan as a numbered list."
            return llm
    ''')
    assert list(got) == ["plan.llm.system_prompt"]
    nested = found(tmp_path, "write_code.py", '''
        class WriteCode(Action):
            async def run(self, context):
                self.llm.system_prompt = "You are an outstanding engineer. Implement the code the context asks for."
                return await NODE.fill(req=context, llm=self.llm)
    ''')
    assert list(nested) == ["WriteCode.run.self.llm.system_prompt"]
    assert nested["WriteCode.run.self.llm.system_prompt"]["line"] == 3


def test_module_named_for_prompts_is_a_catalogue(tmp_path: Path) -> None:
    got = found(tmp_path, "app/prompts.py", '''
        undo_command_reply = "I did `git reset --hard HEAD~1` to discard the last edits. Please wait."
        run_output = """I ran this command:

        {command}

        And got this output:

        {output}
        """
        version = "1.0"
    ''')
    assert set(got) == {"undo_command_reply", "run_output"}
    assert all(p["found_by"] == "content" for p in got.values())


def test_few_shot_example_messages_of_a_prompt_class(tmp_path: Path) -> None:
    got = found(tmp_path, "coders/whole_prompts.py", '''
        class WholeFilePrompts:
            example_messages = [
                dict(role="user", content="Change the greeting to be more casual"),
                dict(role="assistant", content="Ok, I will:\\n\\n1. Switch the greeting text."),
            ]
    ''')
    p = got["WholeFilePrompts.example_messages"]
    assert p["messages"] == 2 and p["found_by"] == "content"
    assert (p["line"], p["end_line"]) == (3, 4)  # the span runs over both messages


def test_expected_output_strings_in_tests_are_not_prompts(tmp_path: Path) -> None:
    got = found(tmp_path, "tests/test_adapter.py", '''
        def test_format_system_message():
            expected_system_message = "Your input fields are: question. Answer the question in JSON."
            assert adapter.format() == expected_system_message
    ''')
    assert got == {}


def test_template_key_with_a_sentence_and_recorded_messages_in_a_list(tmp_path: Path) -> None:
    got = found(tmp_path, "config/agent.yaml", '''
        agent:
          templates:
            next_step_no_output_template: |-
              Your command ran successfully and did not produce any output.
        lm:
          - messages:
              - {role: system, content: "You are a recorded assistant. Answer."}
    ''')
    assert list(got) == ["agent.templates.next_step_no_output_template"]


def test_instruction_keyword_needs_only_a_sentence_and_may_sit_on_its_own_line(tmp_path: Path) -> None:
    got = found(tmp_path, "nodes.py", '''
        ISSUE_TYPE = ActionNode(
            key="Issue Type",
            expected_type=str,
            instruction="Answer BUG/REQUIREMENT. If it is a bugfix, answer BUG, otherwise answer Requirement",
        )
    ''')
    assert list(got) == ["ActionNode.instruction"]


def test_recorded_calls_in_a_list_are_no_catalogue(tmp_path: Path) -> None:
    trace = {"lm": [{"messages": [{"role": "system", "content": f"You are step {i}. Answer the question in JSON."}],
                     "outputs": [f"You must answer step {i} with the final JSON now please."]} for i in range(6)]}
    got = found(tmp_path, "tests/dummy_lm.json", json.dumps(trace, indent=2))
    assert got == {}


def test_a_readme_template_is_not_walked(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "README.md.jinja2").write_text("# {{ title }}\nRun the examples below.\n", "utf-8")
    (tmp_path / "templates" / "summarize.jinja2").write_text("You are a bot. Summarize {{ text }}.\n", "utf-8")
    settings = load_settings([str(tmp_path)])
    report = lint_paths([str(tmp_path)], settings, use_cache=False)
    assert sorted(Path(r.path).name for r in report.results) == ["summarize.jinja2"]


def test_configured_wrappers_make_prompts(tmp_path: Path) -> None:
    source = '''
        from myapp.text import Instruction

        GREETING = Instruction("You are a support agent for ACME. Task: greet {name} and ask how you can help.")
        FAREWELL = Instruction(text="Say goodbye politely and offer the survey link.")

        def ask(client):
            return client.chat.completions.create(model="m", messages=[{"role": "system", "content": GREETING}])
    '''
    assert found(tmp_path, "plain/app.py", source) == {}  # not a prompt name, not a known wrapper
    (tmp_path / "wrapped").mkdir()
    (tmp_path / "wrapped" / "promptlint.toml").write_text('[extract]\nwrappers = ["myapp.text.Instruction"]\n')
    got = found(tmp_path, "wrapped/app.py", source)
    assert sorted(got) == ["FAREWELL", "GREETING"]
    # GREETING is sent by the request: judged there once (as its system message), not twice
    assert got["GREETING"]["messages"] == 1 and got["GREETING"]["placeholders"] == ["name"]
    assert (got["FAREWELL"]["line"], got["FAREWELL"]["column"]) == (4, 29)


def test_toml_agent_configs(tmp_path: Path) -> None:
    (tmp_path / "agent.toml").write_text(textwrap.dedent('''
        name = "support"

        [agent]
        system_prompt = """
        You are a support agent for ACME routers. Answer in at most three sentences."""
        instance_template = 'Task: answer the customer question {question} using the manual.'

        [[prompts]]
        name = "summary"
        template = "Reply in English.\\nSummarise {document} in three bullet points."

        [[prompts]]
        name = "classify"
        messages = [
          { role = "system", content = "You classify tickets into billing, bug or other. Output one word." },
          { role = "user", content = "{ticket}" },
        ]
    ''').lstrip("\n"))
    (tmp_path / "pyproject.toml").write_text('[tool.x]\nsystem_prompt = "You are a bot. Task: answer the question."\n')
    report = lint_paths([str(tmp_path)], load_settings([str(tmp_path)]), use_cache=False)
    got = {p["id"].split("::", 1)[-1]: p for r in report.results for p in r.prompts}
    assert sorted(got) == ["agent.instance_template", "agent.system_prompt", "classify", "summary"]  # no pyproject
    assert got["summary"]["placeholders"] == ["document"] and got["classify"]["messages"] == 2
    assert (got["agent.instance_template"]["line"], got["agent.instance_template"]["column"]) == (6, 21)
    # the source map points at what is written: the escape \n is two characters of the file, one of the text
    finding = next(f for f in report.findings if f.name == "undelimited-input" and f.span.start.line == 10)
    assert finding.span.start.column == 42
    (tmp_path / "bad.toml").write_text('system_prompt = "You are a bot.\nx = 1\n')
    bad = lint_paths([str(tmp_path / "bad.toml")], load_settings([str(tmp_path)]), use_cache=False)
    (f,) = bad.findings
    assert f.name == "parse-error" and (f.span.start.line, f.span.start.column) == (1, 32) and "TOML" in f.message


def test_constants_filled_into_a_template_are_its_pieces(tmp_path: Path) -> None:
    got = found(tmp_path, "act.py", '''
        EXAMPLES = """
        Example 1: the user asks for a refund; answer with the refund policy link.
        """
        FORMAT_EXAMPLE = """
        ## TODOs
        {"a.py": "implement requirement xxx...",}
        """
        TEMPLATE_CONTEXT = """
        ## Context
        The ticket as written: {context}
        """
        SEP = "\\n"
        PROMPT = """You are a support agent. Task: classify the ticket below.
        {examples}
        {context}
        Reply with a Python dict like {format_example}
        """

        def run(llm, ticket):
            context = TEMPLATE_CONTEXT.format(context=ticket)
            prompt = PROMPT.format(examples=EXAMPLES, context=context, format_example=FORMAT_EXAMPLE, sep=SEP)
            return llm.aask(prompt)
    ''')
    assert sorted(got) == ["EXAMPLES", "FORMAT_EXAMPLE", "PROMPT", "TEMPLATE_CONTEXT"]  # SEP: no words
    assert sorted(i.split("::")[1] for i in got["PROMPT"]["composed_of"]) == ["EXAMPLES", "FORMAT_EXAMPLE",
                                                                            "TEMPLATE_CONTEXT"]
    assert got["EXAMPLES"]["found_by"] == "flow" and got["EXAMPLES"]["kind"] == "fragment"
    # a value is filled in as written (its braces are text); a constant that is itself .format-ed is a template
    assert got["FORMAT_EXAMPLE"]["syntax"] == "plain" and got["TEMPLATE_CONTEXT"]["placeholders"] == ["context"]
    assert (got["TEMPLATE_CONTEXT"]["line"], got["TEMPLATE_CONTEXT"]["column"]) == (8, 20)
    report = lint_paths([str(tmp_path / "act.py")], load_settings([str(tmp_path)]), use_cache=False)
    # the Python dict with a trailing comma is what the template asks for: not judged as broken JSON alone
    assert [f.name for f in report.findings if (f.prompt_id or "").endswith("::FORMAT_EXAMPLE")] == []
    assert got["FORMAT_EXAMPLE"]["kind"] == "fragment"


def test_toml_node_spans_are_the_literals_as_written() -> None:
    """Each string node spans exactly its literal (one or two quotes may end a multi-line body), and its value is
    tomllib's."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    from promptlint.extract.toml_nodes import toml_nodes

    text = 'a = """x""""\nb = \'\'\'y\'\'\'\'\'\n[t]\nc = "q\\"z" # c\nd = [\'p\', {e = """m\n"n"""}]\n'
    root = toml_nodes(text)
    want = tomllib.loads(text)
    spans = {}
    stack = [("", root)]
    while stack:
        where, node = stack.pop()
        if hasattr(node, "value") and isinstance(node.value, list):
            for i, item in enumerate(node.value):
                if isinstance(item, tuple):
                    stack.append((f"{where}.{item[0].value}", item[1]))
                else:
                    stack.append((f"{where}[{i}]", item))
        else:
            spans[where] = (node.value, text[node.start_mark.index:node.end_mark.index])
    assert spans[".a"] == (want["a"], '"""x""""') and want["a"] == 'x"'
    assert spans[".b"] == (want["b"], "'''y'''''") and want["b"] == "y''"
    assert spans[".t.c"] == ('q"z', '"q\\"z"') and spans[".t.d[1].e"] == ('m\n"n', '"""m\n"n"""')


def test_parameter_filled_by_constant_arguments_of_calls_in_the_module(tmp_path: Path) -> None:
    # Neither the constant nor the parameters have prompt-like names: only the calls of ``ask`` say what is sent.
    got = found(tmp_path, "review.py", '''
        GUIDE = "You are a code reviewer. List every bug in the diff as JSON. Stop after the list."

        def ask(client, question, preamble):
            return client.chat.completions.create(model="m", messages=[
                {"role": "system", "content": preamble},
                {"role": "user", "content": question},
            ])

        def main(client, diff):
            ask(client, diff, GUIDE)
            ask(client, diff, preamble="You are a translator. Translate the text into French.")
            ask(client, diff, preamble="You are a translator. Translate the text into French.")
    ''')
    assert sorted(got) == ["GUIDE", "ask.preamble"]  # the second identical call is the same prompt
    assert all(p["found_by"] == "flow" for p in got.values())
    assert (got["GUIDE"]["line"], got["GUIDE"]["column"]) == (1, 9)
    assert (got["ask.preamble"]["line"], got["ask.preamble"]["column"]) == (11, 32)


def test_parameter_default_and_a_chained_call_of_the_function(tmp_path: Path) -> None:
    got = found(tmp_path, "bot.py", '''
        RULES = "You are a tutor. Explain each step of the solution, then stop."

        class Bot:
            def run(self, client, text, rules=RULES):
                return client.chat.completions.create(model="m", messages=[
                    {"role": "system", "content": rules}, {"role": "user", "content": text}])

        def lookup(client, query):
            return client.chat.completions.create(model="m", messages=[
                {"role": "system", "content": "You are a search assistant. Answer from the index only."},
                {"role": "user", "content": query}])

        if __name__ == "__main__":
            query = "find every pottery shop in San Francisco"
            print(lookup(None, query).choices[0])
    ''')
    assert sorted(got) == ["RULES", "call@10"]
    assert (got["RULES"]["line"], got["RULES"]["column"]) == (1, 9)
    # the module's ``query`` (passed to ``lookup`` through a chained call) is the user message
    assert got["call@10"]["messages"] == 2 and got["call@10"]["found_by"] == "flow"


def test_parameter_without_constant_arguments_is_not_a_prompt(tmp_path: Path) -> None:
    got = found(tmp_path, "relay.py", '''
        def relay(client, text):
            return client.chat.completions.create(model="m", messages=[{"role": "user", "content": text}])

        def main(client, request):
            relay(client, request.body)
    ''')
    assert got == {}


def test_replace_fills_a_constant_into_the_template(tmp_path: Path) -> None:
    got = found(tmp_path, "qa.py", '''
        SHAPE = '{"answer": "string", "sources": ["url"]}'
        BASE = """Answer the question from the context.
        Return JSON shaped like SHAPE. Stop after the JSON.
        Question: {{question}}"""

        def answer(client, question):
            prompt = BASE.replace("SHAPE", SHAPE).replace("{{question}}", question)
            return client.chat.completions.create(model="m", messages=[{"role": "user", "content": prompt}])
    ''')
    p = got["prompt"]
    assert p["found_by"] == "flow" and p["placeholders"] == ["question"]
    out = p["parts"]["output_contract"]["evidence"]
    assert out["line"] == 3 and out["text"].startswith('Return JSON shaped like {"answer": "string"')
    stop = p["parts"]["stop_condition"]["evidence"]
    assert (stop["line"], stop["column"]) == (3, 32)  # mapped back to BASE's literal, past the marker


def test_wildcard_call_site_is_found_on_a_line_of_its_own(tmp_path: Path) -> None:
    # ``*PromptTemplate`` (a default call site) has a wildcard: its calls are found by their literal part, also
    # when nothing else on the statement's lines marks it (no prompt-named target, no ``format``/``%``).
    got = found(tmp_path, "chain.py", '''
        from langchain_core.prompts import PromptTemplate

        def build():
            return PromptTemplate("You are a billing assistant. Answer {question} from the invoice only.")
    ''')
    (p,) = got.values()
    assert p["found_by"] == "call-site" and p["placeholders"] == ["question"]
    assert (p["line"], p["column"]) == (4, 27)


def test_site_names_match_as_fnmatch_does() -> None:
    from promptlint.extract.python import _site_names, _wildcard_run

    names = _site_names(("create", "*PromptTemplate", "ask_?"))
    assert "ChatPromptTemplate" in names and "PromptTemplate" in names and "create" in names
    assert "ask_1" in names and "ask_12" not in names and "Prompt" not in names
    assert _wildcard_run("*PromptTemplate") == "PromptTemplate"
    assert _wildcard_run("a?[!x]bcd") == "bcd"


def _tree(tmp_path: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")


_SENDER = '''
    from openai import OpenAI
    from {module} import GUIDE, LIMIT

    client = OpenAI(timeout=30)

    def review(diff):
        return client.chat.completions.create(model="m", max_tokens=LIMIT, messages=[
            {{"role": "system", "content": GUIDE}}, {{"role": "user", "content": diff}}])
'''
_TEXTS = '''
    LIMIT = 100
    GUIDE = """You are a code reviewer. List every bug in the diff as JSON.
    Stop after the list."""
    OTHER = "Thanks for the report, we will look at it."
'''


@pytest.mark.parametrize("module", [".texts", "app.texts"])
def test_constant_imported_from_another_module_is_a_prompt_there(tmp_path: Path, monkeypatch, module: str) -> None:
    _tree(tmp_path, {"app/__init__.py": "", "app/texts.py": _TEXTS, "app/review.py": _SENDER.format(module=module)})
    monkeypatch.chdir(tmp_path)
    settings = load_settings(["."])
    for use_cache in (False, True, True):  # no cache, a cold cache, then answered from it
        report = lint_paths(["."], settings, use_cache=use_cache)
        got = {p["id"]: p for r in report.results for p in r.prompts}
        assert list(got) == ["app/texts.py::GUIDE"], use_cache
        p = got["app/texts.py::GUIDE"]
        assert p["found_by"] == "flow" and (p["line"], p["column"]) == (2, 9)
    assert report.cached == 3


def test_import_that_names_no_linted_module_or_several_is_not_followed(tmp_path: Path, monkeypatch) -> None:
    # ``texts`` is two modules of the run (``a/texts.py`` and ``b/texts.py``): which one is meant is not known.
    _tree(tmp_path, {"a/texts.py": _TEXTS, "b/texts.py": _TEXTS, "review.py": _SENDER.format(module="texts"),
                     "other.py": _SENDER.format(module="vendor.texts")})
    monkeypatch.chdir(tmp_path)
    report = lint_paths(["."], load_settings(["."]), use_cache=False)
    assert [p["id"] for r in report.results for p in r.prompts] == []
    assert {m for r in report.results for m, _ in r.imports} == {"texts", "vendor.texts"}


def test_keywords_of_a_mock_assertion_are_not_prompts(tmp_path: Path) -> None:
    got = found(tmp_path, "tests/test_browse.py", '''
        from unittest import mock

        def test_act(tool, run):
            tool.run(instruction="Click the submit button and wait for the next page to load.")
            run.assert_called_once_with(instruction="Click the submit button and wait for the next page to load.")
            run.assert_has_calls([mock.call(instruction="Click the submit button and wait for the next page.")])
    ''')
    assert list(got) == ["run.instruction"]
    assert (got["run.instruction"]["line"], got["run.instruction"]["column"]) == (4, 26)


def _ids(report) -> list[str]:  # noqa: ANN001
    return sorted(p["id"] for r in report.results for p in r.prompts)


def test_warm_run_after_the_importer_stops_sending_the_constant(tmp_path: Path, monkeypatch) -> None:
    # The module re-linted with hints is cached under its hints: its own result stays the plain one.
    _tree(tmp_path, {"pyproject.toml": "[tool.promptlint]\n", "app/__init__.py": "", "app/texts.py": _TEXTS,
                     "app/review.py": _SENDER.format(module=".texts"),
                     "app/other.py": _SENDER.format(module=".texts").replace("GUIDE", "OTHER")})
    monkeypatch.chdir(tmp_path)
    settings = load_settings(["."])
    assert _ids(lint_paths(["."], settings)) == ["app/texts.py::GUIDE", "app/texts.py::OTHER"]
    assert _ids(lint_paths(["."], settings)) == ["app/texts.py::GUIDE", "app/texts.py::OTHER"]  # warm: both kept
    (tmp_path / "app/review.py").write_text("def review(diff):\n    return diff\n", encoding="utf-8")
    assert _ids(lint_paths(["."], settings)) == ["app/texts.py::OTHER"]
    assert _ids(lint_paths(["app/texts.py"], settings)) == []  # alone, no module of the run sends its constants


def test_relative_import_above_the_top_package_is_not_followed(tmp_path: Path, monkeypatch) -> None:
    files = {"texts.py": _TEXTS, "pkg/__init__.py": "", "pkg/sub/__init__.py": "",
             "pkg/sub/main.py": _SENDER.format(module="...texts")}
    _tree(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert _ids(lint_paths(["."], load_settings(["."]), use_cache=False)) == []
    (tmp_path / "pkg/sub/main.py").write_text(textwrap.dedent(_SENDER.format(module="pkg.texts")), encoding="utf-8")
    (tmp_path / "pkg/texts.py").write_text(textwrap.dedent(_TEXTS), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "pkg")  # an absolute import resolved from inside the package as well
    assert _ids(lint_paths(["."], load_settings(["."]), use_cache=False)) == ["texts.py::GUIDE"]


def test_bound_parameters_locals_of_two_callers_three_fills_and_a_same_named_default(tmp_path: Path) -> None:
    got = found(tmp_path, "agents.py", '''
        SYSTEM = "You are the default agent. Answer the question."

        def ask(client, q, SYSTEM=SYSTEM):
            return client.chat.completions.create(model="m", messages=[
                {"role": "system", "content": SYSTEM}, {"role": "user", "content": q}])

        def first(client, q):
            text = "You are the first agent. Answer the question in English."
            return ask(client, q, text)

        def second(client, q):
            text = "You are the second agent. Answer the question in German."
            return ask(client, q, text)

        def third(client, q):
            return ask(client, q, SYSTEM="You are the override agent. Reply in Spanish.")
    ''')
    assert sorted(got) == ["SYSTEM", "ask.SYSTEM", "text", "text@12"]  # a local is named as it is called
    assert (got["text@12"]["line"], got["ask.SYSTEM"]["line"]) == (12, 16)


def test_one_template_filled_three_ways_gives_three_prompts(tmp_path: Path) -> None:
    got = found(tmp_path, "fill.py", '''
        TEMPLATE = "You are a careful assistant. @@ Answer the user's question in JSON."
        A, B, C = "Be brief.", "Be formal.", "Be kind."

        def run(client, which):
            for extra in (A, B, C):
                pass
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": TEMPLATE.replace("@@", A)}])
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": TEMPLATE.replace("@@", B)}])
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": TEMPLATE.replace("@@", C)}])
    ''')
    assert sorted(got) == ["TEMPLATE", "TEMPLATE@1", "TEMPLATE@1.2"]


def test_replace_inside_an_fstring_placeholder_and_twice_the_same_marker(tmp_path: Path) -> None:
    path = tmp_path / "mpos.py"
    path.write_text(textwrap.dedent('''
        RULES = "Answer the question. Call 415-867-5309 if unsure."
        TEMPLATE = """You are a careful assistant.
        {{RULES}} Respond in JSON. {{RULES}}"""

        def run(client, q, role):
            client.chat.completions.create(model="m", messages=[
                {"role": "system", "content": TEMPLATE.replace("{{RULES}}", RULES)},
                {"role": "user", "content": f"You are {role}. Answer {q}.".replace("{role}", RULES)}])
    ''').lstrip("\n"), encoding="utf-8")
    report = lint_paths([str(path)], load_settings([str(path)]), use_cache=False)
    phone = [f for f in report.findings if f.name == "personal-data-in-prompt"]
    assert [(f.span.start.line, f.span.start.column) for f in phone] == [(1, 36)]  # once, at RULES, not twice
    by_id = {p["id"].split("::")[-1]: p for r in report.results for p in r.prompts}
    user = next(p for p in by_id.values() if p["messages"] == 2)
    assert sorted(user["placeholders"]) == ["q", "role"]  # the f-string's {role} is filled before .replace runs
    assert all(f.fix is None for f in report.findings if f.prompt_id == user["id"])


def test_notebook_string_scan_places_sources_as_yaml_composer_does() -> None:
    from promptlint.extract.notebook import _composed_pieces, _source_pieces
    from promptlint.extract.structured import _compose_all

    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {"source": ["x = 1\n"]}, "source": ["x = 1\n"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 1,
             "outputs": [{"output_type": "display_data", "data": {"application/json": {"source": ["x = 1\n"]}}}],
             "source": ["x = 1\n", "P = \"Tab\\there, quote \\\" and caf\u00e9 \u2603\"\n"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [], "source": "y = 2"},
            {"cell_type": "code", "metadata": {}, "execution_count": 3, "outputs": [], "source": []},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    for text in (json.dumps(notebook, indent=1), json.dumps(notebook), json.dumps(notebook, ensure_ascii=False)):
        scanned = _source_pieces(text, json.loads(text))
        assert scanned == _composed_pieces(_compose_all(text)[0])
        assert [[v for v, _, _ in cell] for cell in scanned] == [notebook["cells"][1]["source"], ["y = 2"], []]
        value, start, end = scanned[0][1]
        assert json.loads(text[start - 1:end]) == value  # from the opening quote's next offset to after the closing one
    broken = dict(notebook, cells=[{"cell_type": "code", "source": [1, 2]}])
    assert _source_pieces(json.dumps(broken), broken) is None  # not strings: the composer's way is taken


@pytest.mark.parametrize("source", [
    'client.chat.completions.create (\n  model="m")\nx = AsyncOpenAI(\n)\nrecreate(1)\n',
    'p = ChatPromptTemplate.from_messages([("system", "Be brief.")])\nq = MyPromptTemplateX\n',
    't = FunctionTool(fn)\nu = ToolParamSpec (a)\nv = Tools(1)\nw = FunctionDefinition(name="f")\n',
    'SYSTEM_PROMPT = "Answer."\nif x == prompt: pass\nmy_template  = t\nok = 5 % 3\nname.format(a=1)\n',
    '# İstanbul: lower-casing changes this text\'s length\nsystem_prompt = "Hi"\nmsgs.append(m)\n',
])
def test_marked_lines_are_the_reference_regexes_lines(source: str) -> None:
    from promptlint.extract.python import _Collector
    from promptlint.model import LineIndex

    settings = load_settings(["."])
    collector = _Collector(source, LineIndex(source), settings)
    calls, names, lowered = collector._lines_rx()
    position = collector.index.position
    want = {position(m.start()).line for m in calls.finditer(source)}
    low = source.lower() if lowered else source
    if len(low) == len(source):
        want |= {position(m.start()).line for m in names.finditer(low)}
    else:
        want |= {position(m.start()).line for m in collector._lines_rx(slow=True)[1].finditer(source)}
    want |= {position(i).line for i, ch in enumerate(source) if ch == "%"}
    got = collector._interesting_lines()
    assert got == sorted(want) and got  # the str.find scan marks exactly the regexes' lines


_READER = '''
    import os
    from pathlib import Path

    from openai import OpenAI

    HERE = Path(__file__).resolve().parent
    SYSTEM = (HERE / "prompts" / "system.md").read_text(encoding="utf-8")
    client = OpenAI(timeout=30)

    def ask(question):
        with open(os.path.join(os.path.dirname(__file__), "prompts", "rules.txt")) as fh:
            rules = fh.read()
        return client.chat.completions.create(model="m", max_tokens=100, messages=[
            {"role": "system", "content": SYSTEM + "\\n\\n" + rules},
            {"role": "user", "content": question}])
'''
_SYSTEM_MD = "You are a support agent for Acme.\nAnswer the question from the policy.\n"
_RULES_TXT = "Reply in JSON with the key answer.\nStop after the JSON. Key: sk-proj-{key}\n"


def test_text_files_read_by_constant_paths_are_judged_as_the_model_sees_them(tmp_path: Path, monkeypatch) -> None:
    key = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuV"
    _tree(tmp_path, {"app/bot.py": _READER, "app/prompts/system.md": _SYSTEM_MD,
                     "app/prompts/rules.txt": _RULES_TXT.format(key=key)})
    monkeypatch.chdir(tmp_path)
    settings = load_settings(["app/bot.py"])
    (result,) = lint_paths(["app/bot.py"], settings, use_cache=False).results
    (p,) = [p for p in result.prompts if "::call@" in p["id"]]  # (the user message is the runtime question alone)
    assert p["found_by"] == "flow" and (p["line"], p["column"]) == (7, 10)  # at the first read, in bot.py
    assert p["composed_of"] == [os.path.normpath("app/prompts/rules.txt"), os.path.normpath("app/prompts/system.md"),
                                "app/bot.py::SYSTEM"]  # the files it reads, and the constant that reads one
    context, output = p["parts"]["context"]["evidence"], p["parts"]["output_contract"]["evidence"]
    assert (context["path"], context["line"], context["column"]) == ("app/prompts/system.md", 1, 1)
    assert (output["path"], output["line"], output["column"]) == ("app/prompts/rules.txt", 1, 1)
    assert p["parts"]["stop_condition"]["evidence"]["path"] == "app/prompts/rules.txt"
    (secret,) = [f for f in result.findings if f.name == "secret-in-prompt"]
    assert secret.path == "app/bot.py" and "(in app/prompts/rules.txt:2:27)" in secret.message
    assert not any(f.fix for f in result.findings)  # nothing is written into a file the prompt only reads


@pytest.mark.parametrize("read", [
    'open(name).read()',  # a runtime path
    'open(HERE / "system.md", "rb").read()',  # bytes
    '(HERE / "missing.md").read_text()',  # no such file
    'open(HERE / "system.md").read(100)',  # part of the file
])
def test_reads_that_are_not_a_project_file_as_text_are_not_followed(tmp_path: Path, monkeypatch, read: str) -> None:
    _tree(tmp_path, {"app/prompts/system.md": _SYSTEM_MD, "app/bot.py": f'''
        from pathlib import Path
        HERE = Path(__file__).parent / "prompts"

        def ask(client, name):
            return client.chat.completions.create(model="m", messages=[{{"role": "system", "content": {read}}}])
    '''})
    monkeypatch.chdir(tmp_path)
    settings = load_settings(["app/bot.py"])
    (result,) = lint_paths(["app/bot.py"], settings, use_cache=False).results
    assert [p["composed_of"] for p in result.prompts] == []


def test_a_changed_file_that_a_prompt_reads_is_never_answered_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path, {"app/bot.py": _READER, "app/prompts/system.md": _SYSTEM_MD,
                     "app/prompts/rules.txt": "Reply in JSON.\n"})
    monkeypatch.chdir(tmp_path)
    settings = load_settings(["app"])

    def stop_found() -> bool:
        (p,) = [p for r in lint_paths(["app"], settings).results for p in r.prompts if "::call@" in p["id"]]
        return p["parts"]["stop_condition"]["present"]

    assert stop_found() is False
    (tmp_path / "app/prompts/rules.txt").write_text("Reply in JSON. Stop after the JSON.\n", encoding="utf-8")
    assert stop_found() is True  # bot.py is unchanged: its result must not come from the cache


def test_prompt_named_constant_read_from_a_file_is_that_files_text(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path, {"pkg/prompts.md": _SYSTEM_MD, "pkg/texts.py": '''
        from pathlib import Path
        SYSTEM_PROMPT = Path(__file__).with_name("prompts.md").read_text()
    '''})
    monkeypatch.chdir(tmp_path)
    (result,) = lint_paths(["pkg/texts.py"], load_settings(["pkg/texts.py"]), use_cache=False).results
    (p,) = result.prompts
    assert p["id"] == "pkg/texts.py::SYSTEM_PROMPT" and (p["line"], p["column"]) == (2, 17)
    assert p["parts"]["task"]["evidence"] == {"line": 2, "column": 1, "text": "Answer the question from the policy.",
                                              "path": "pkg/prompts.md"}


def test_a_test_function_reading_a_prompt_file_is_no_second_prompt(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path, {"tests/prompts/basic.md": _SYSTEM_MD, "tests/test_bot.py": '''
        def test_instruction():
            with open("tests/prompts/basic.md") as f:
                prompt = f.read()
            assert render(prompt)
    '''})
    monkeypatch.chdir(tmp_path)
    report = lint_paths(["tests"], load_settings(["tests"]), use_cache=False)
    assert [p["id"] for r in report.results for p in r.prompts] == [os.path.normpath("tests/prompts/basic.md")]


_KEY = "sk-proj-a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuV"


def _read_findings(tmp_path: Path, files: dict[str, str], target: str, use_cache: bool = False) -> list:
    _tree(tmp_path, files)
    settings = load_settings([target])
    return [f for r in lint_paths([target], settings, use_cache=use_cache).results for f in r.findings
            if f.name == "secret-in-prompt"]


def test_file_read_edges_read_what_python_would_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    files = {"data/p.txt": "You are a bot.\n", "data/q.txt": f"Answer briefly.\nKey {_KEY}\n",
             "top.txt": f"Top {_KEY}\n", "app.py": '''
        from pathlib import Path

        def b(client):
            with open("data/p.txt") as fh:
                pass
            with open("data/q.txt") as fh:
                t = fh.read()
            return client.chat.completions.create(model="m", messages=[{"role": "system", "content": t}])

        def c(client):
            return client.chat.completions.create(model="m", messages=[
                {"role": "system", "content": (Path("data/").parent / "top.txt").read_text()}])
    '''}
    found = _read_findings(tmp_path, files, "app.py")
    # the second ``with`` binds ``fh`` for the read (q.txt), and ``Path("data/").parent`` is the root (top.txt)
    assert sorted(f.message.rsplit("(in ", 1)[1] for f in found) == ["data/q.txt:2:5)", "top.txt:1:5)"]
    assert [(f.span.start.line, f.span.start.column) for f in found] == [(7, 13), (12, 39)]  # at each read


def test_files_outside_the_project_are_never_read(tmp_path: Path, monkeypatch) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(f"Leaked {_KEY}\n", encoding="utf-8")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "link.txt").symlink_to(outside)
    monkeypatch.chdir(tmp_path / "proj")
    source = f'''
        from pathlib import Path
        A_PROMPT = Path("{outside}").read_text()
        B_PROMPT = open("../outside.txt").read()
        C_PROMPT = Path("link.txt").read_text()
    '''
    assert _read_findings(tmp_path / "proj", {"app.py": source}, "app.py") == []


def test_a_file_read_that_failed_is_read_again_once_the_file_is_there(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = '''
        from pathlib import Path
        SYSTEM_PROMPT = (Path(__file__).parent / "s.txt").read_text().format(name="Acme").strip()
    '''
    assert _read_findings(tmp_path, {"app.py": source}, "app.py", use_cache=True) == []
    (tmp_path / "s.txt").write_text(f"You are {{name}}'s bot. Key {_KEY}\n", encoding="utf-8")
    (found,) = _read_findings(tmp_path, {"app.py": source}, "app.py", use_cache=True)
    assert found.message.endswith("(in s.txt:1:27)")


def test_notebook_reading_a_file_keeps_that_files_positions(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sys.txt").write_text("".join(f"Rule {i}: answer in one sentence.\n" for i in range(1, 40))
                                      + f"Key {_KEY}\n",
                                      encoding="utf-8")
    notebook = {"cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
         "source": ["from pathlib import Path\n", "SYSTEM_PROMPT = Path(\"sys.txt\").read_text()\n"]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    (found,) = _read_findings(tmp_path, {}, "nb.ipynb")
    assert found.message.endswith("(in sys.txt:40:5)")


def test_a_finding_in_a_read_prompt_file_is_reported_once_by_that_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    files = {"app/bot.py": _READER, "app/prompts/system.md": _SYSTEM_MD,
             "app/prompts/rules.txt": _RULES_TXT.format(key="a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuV")}
    both = _read_findings(tmp_path, files, "app")  # the folder: rules.txt is a prompt file of the run
    assert [(f.path, f.span.start.line, f.span.start.column) for f in both] == [("app/prompts/rules.txt", 2, 27)]
    alone = _read_findings(tmp_path, files, "app/bot.py")  # only the reader: it reports what it reads
    assert [(f.path, f.elsewhere) for f in alone] == [("app/bot.py", ("app/prompts/rules.txt", 2, 27))]


@pytest.mark.parametrize("importing, name", [("import app.texts as texts", "texts"), ("import app.texts", "app.texts"),
                                             ("from app import texts", "texts"), ("from . import texts", "texts")])
def test_constant_read_through_an_imported_module_is_a_prompt_there(tmp_path: Path, monkeypatch, importing: str,
                                                                    name: str) -> None:
    sender = f'''
        {importing}

        def review(client, diff):
            return client.chat.completions.create(model="m", messages=[
                {{"role": "system", "content": {name}.GUIDE}}, {{"role": "user", "content": diff}}])
    '''
    _tree(tmp_path, {"app/__init__.py": "", "app/texts.py": _TEXTS, "app/review.py": sender})
    monkeypatch.chdir(tmp_path)
    report = lint_paths(["."], load_settings(["."]), use_cache=False)
    got = {p["id"]: p for r in report.results for p in r.prompts}
    assert list(got) == ["app/texts.py::GUIDE"] and got["app/texts.py::GUIDE"]["found_by"] == "flow"


@pytest.mark.parametrize("build", [
    'template = SUMMARY_PROMPT\n    prompt = template.format(ticket_text=t, agent=a)',
    'prompt = (Path(__file__).parent / "summary.md").read_text().format(ticket_text=t, agent=a)',
])
def test_format_keywords_declare_a_template_reached_through_a_local_or_a_file(tmp_path: Path, monkeypatch,
                                                                              build: str) -> None:
    template = "Task: summarise the ticket for {agent_name}.\nOutput format: three bullet points.\n{ticket_text}\n"
    (tmp_path / "summary.md").write_text(template, encoding="utf-8")
    (tmp_path / "app.py").write_text(
        "from pathlib import Path\n"
        f'SUMMARY_PROMPT = """{template}"""\n\n'
        "def run(client, t, a):\n"
        f"    {build}\n"
        '    return client.chat.completions.create(model="m", messages=[{"role": "user", "content": prompt}])\n',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (result,) = lint_paths(["app.py"], load_settings(["app.py"]), use_cache=False).results
    got = sorted((f.code, f.message.split("`")[1]) for f in result.findings
                 if f.code in ("PL202", "PL203"))
    assert got == [("PL202", "agent_name"), ("PL203", "agent")]  # a KeyError at run time: agent_name is never given


def test_an_fstring_message_beside_a_formatted_system_message_declares_its_own_fields(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    # The conversation takes its declarations from ``EXTRACT_PROMPT.format(message=…)``; the user message's
    # ``{user_input}`` is an f-string field Python fills where it is written (a new user's false PL202).
    (tmp_path / "app.py").write_text(
        'EXTRACT_PROMPT = "Extract the order number from the message below.\\nMessage: {message} {order_id}"\n\n'
        "def extract(client, message, user_input):\n"
        '    return client.chat.completions.create(model="m", messages=[\n'
        '        {"role": "system", "content": EXTRACT_PROMPT.format(message=message)},\n'
        '        {"role": "user", "content": f"Answer this: {user_input}"},\n'
        "    ])\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (result,) = lint_paths(["app.py"], load_settings(["app.py"]), use_cache=False).results
    got = [(f.code, f.span.start.line, f.span.start.column, f.message.split("`")[1]) for f in result.findings
           if f.code in ("PL202", "PL203")]
    assert got == [("PL202", 1, 88, "order_id")]  # the system template's own hole is still found


def test_a_python_source_template_is_not_a_prompt_but_code_sent_to_a_model_is(tmp_path: Path) -> None:
    # MetaGPT's WORKFLOW_TEMPLATE: imports and a {graph} slot, .format-ed and written to a .py file.
    got = found(tmp_path, "optimize.py", '''
        WORKFLOW_TEMPLATE = """from typing import Literal
        import pkg.{dataset}.operator as operator

        DatasetType = Literal["HumanEval", "MBPP"]

        {graph}
        """

        REVIEW_TEMPLATE = """You review the workflow below. List each bug on its own line.

        {graph}
        """


        def complete(client, name):
            return client.completions.create(model="m", prompt=f"def {name}(n):\\n    \\"\\"\\"Return the nth Fibonacci number.\\"\\"\\"\\n")
    ''')
    assert sorted((k, p["line"], p["found_by"]) for k, p in got.items()) == [
        ("REVIEW_TEMPLATE", 9, "name"), ("call@16", 16, "call-site")]
