"""Findings land on the right line and column through concatenation, f-strings and escapes."""

from __future__ import annotations

from conftest import lint

SOURCE = '''import os

SYSTEM_PROMPT = (
    "You are a classifier for support tickets. "
    f"Classify the ticket {ticket_id} by urgency.\\n"
    "Output:\\trespond in JSON.\\n"
)
'''


def _col(line: str, needle: str) -> int:
    return line.index(needle) + 1


def test_finding_in_third_piece_points_at_that_piece() -> None:
    result = lint("app.py", SOURCE)
    vague = [f for f in result.findings if f.name == "vague-output-contract"]
    assert len(vague) == 1
    line = SOURCE.splitlines()[5]
    assert (vague[0].span.start.line, vague[0].span.start.column) == (6, _col(line, "JSON"))
    assert (vague[0].span.end.line, vague[0].span.end.column) == (6, _col(line, "JSON") + 4)


def test_fstring_placeholder_and_prompt_start() -> None:
    result = lint("app.py", SOURCE)
    (prompt,) = result.prompts
    assert prompt["id"] == "app.py::SYSTEM_PROMPT"
    assert prompt["syntax"] == "fstring"
    assert prompt["placeholders"] == ["ticket_id"]
    assert (prompt["line"], prompt["column"]) == (4, 5)


def test_columns_count_code_points_after_emoji() -> None:
    src = 'REPLY_PROMPT = "😀 Classify the review. Output: respond in JSON."\n'
    result = lint("app.py", src)
    (vague,) = [f for f in result.findings if f.name == "vague-output-contract"]
    assert vague.span.start.column == src.index("JSON") + 1


def test_escape_sequences_shift_columns() -> None:
    src = 'QA_PROMPT = "Answer\\u0020the question.\\n\\nOutput: reply in YAML."\n'
    result = lint("app.py", src)
    (vague,) = [f for f in result.findings if f.name == "vague-output-contract"]
    assert vague.span.start.column == src.index("YAML") + 1


def test_dedent_keeps_positions() -> None:
    src = (
        "import textwrap\n\n"
        "def build():\n"
        "    pass\n\n"
        "REVIEW_PROMPT = textwrap.dedent(\"\"\"\n"
        "    Task: classify the review.\n"
        "    Output: respond in XML.\n"
        "\"\"\")\n"
    )
    result = lint("app.py", src)
    (vague,) = [f for f in result.findings if f.name == "vague-output-contract"]
    assert (vague.span.start.line, vague.span.start.column) == (8, 24)


def test_join_of_literals_is_one_prompt() -> None:
    src = 'SUMMARY_PROMPT = "\\n".join(["Task: summarise the text.", "Output: respond in JSON."])\n'
    result = lint("app.py", src)
    (prompt,) = result.prompts
    assert prompt["parts"]["task"]["present"] and prompt["parts"]["output_contract"]["present"]
    (vague,) = [f for f in result.findings if f.name == "vague-output-contract"]
    assert vague.span.start.column == src.index("JSON") + 1


def test_prompty_finding_positions() -> None:
    text = "---\ninputs:\n  q:\n    type: string\n---\nsystem:\nTask: answer {{ q }}.\nOutput: JSON.\n"
    result = lint("a.prompty", text)
    (vague,) = [f for f in result.findings if f.name == "vague-output-contract"]
    assert (vague.span.start.line, vague.span.start.column) == (8, 9)


def test_yaml_block_scalar_positions() -> None:
    text = "prompts:\n  - name: triage\n    template: |\n      Task: triage the ticket {ticket}.\n      Output: reply in JSON.\n"
    result = lint("p.yaml", text)
    assert [p["id"] for p in result.prompts] == ["p.yaml::triage"]
    (vague,) = [f for f in result.findings if f.name == "vague-output-contract"]
    assert (vague.span.start.line, vague.span.start.column) == (5, 24)


def test_long_concatenation_is_one_prompt() -> None:
    pieces = "".join(f'    "Line {i} of the instructions.\\n"\n' for i in range(300))
    src = f'SYSTEM_PROMPT = (\n{pieces}    "Return JSON like {{\\"a\\": 1}}.\\n"\n)\n'
    result = lint("app.py", src)
    assert result.error is None
    (prompt,) = result.prompts
    assert prompt["id"] == "app.py::SYSTEM_PROMPT"
    plus = "SYSTEM_PROMPT = " + " + ".join(f'"Step {i}. "' for i in range(300)) + ' + "Answer in one line."\n'
    assert lint("b.py", plus).prompts[0]["parts"]["output_contract"]["present"]


from pathlib import Path  # noqa: E402


def test_escapes_that_decode_to_one_or_no_character(tmp_path) -> None:  # noqa: ANN001
    """``\\U0001F600`` is ten source characters for one; an escaped line break is none (TOML multi-line basic
    strings, YAML double-quoted scalars); a JSON surrogate pair is twelve for one."""
    from promptlint.config import load_settings
    from promptlint.engine import lint_paths

    files = {
        "a.toml": 'input_variables = ["q"]\nsystem_prompt = "Smile \\U0001F600 and answer {x} now"\n',
        "b.toml": 'input_variables = ["q"]\nsystem_prompt = """You are a helpful assistant. \\\n    Answer about {x} now."""\n',
        "c.yaml": 'input_variables: [q]\nsystem_prompt: "You are a helpful assistant. \\\n  Answer \\U0001F600 about {x} now."\n',
        "d.json": '{"input_variables": ["q"], "system_prompt": "Smile \\ud83d\\ude00 and answer {x} now"}\n',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = lint_paths([str(tmp_path)], load_settings([str(tmp_path)]), use_cache=False)
    got = {Path(f.path).name: (f.span.start.line, f.span.start.column) for f in report.findings
           if f.name == "undeclared-placeholder"}
    assert got == {"a.toml": (2, 46), "b.toml": (3, 18), "c.yaml": (3, 27), "d.json": (1, 76)}


def test_line_index_positions_match_a_newline_count() -> None:
    """Every offset of texts with empty lines, no final newline, ``\\r\\n`` and non-ASCII
    maps to the line a count of ``\\n`` before it gives and the column after the last one."""
    from promptlint.model import LineIndex, Position

    for text in ["", "a", "a\n", "\n\n", "ab\ncd", "x\r\ny\n", "caf\u00e9\n\n\u2014 end", "\n"]:
        index = LineIndex(text)
        for offset in range(len(text) + 1):
            line = text.count("\n", 0, offset) + 1
            column = offset - (text.rfind("\n", 0, offset) + 1) + 1
            assert index.position(offset) == Position(line, column), (text, offset)
            assert index.offset(Position(line, column)) == offset
        assert len(index.line_starts) == text.count("\n") + 1


def test_a_null_byte_in_python_source_is_reported_where_it_is() -> None:
    """CPython's parser gives no position for a null byte: the parse error sits at the byte itself."""
    src = 'SYSTEM_PROMPT = """You are a bot. Answer in JSON.\nStop when done."""\nx = 1\0\n'
    errors = [f for f in lint("app.py", src).findings if f.name == "parse-error"]
    assert len(errors) == 1 and "null bytes" in errors[0].message
    assert (errors[0].span.start.line, errors[0].span.start.column) == (3, 6)
