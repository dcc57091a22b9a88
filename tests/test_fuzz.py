"""Property tests: arbitrary text and arbitrary Python never make an extractor or the engine raise."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CASES
from promptlint.config import load_settings
from promptlint.engine import lint_text

SETTINGS = load_settings(None)
KINDS = ["a.py", "p.md", "p.txt", "p.j2", "p.prompty", "p.prompt", "m.json", "c.yaml"]

PY_TOKENS = [
    "SYSTEM_PROMPT", "QA_TEMPLATE", "prompt", " = ", "(", ")", "[", "]", "{", "}", ":", ",", "\n", "    ",
    '"', "'", '"""', "f\"", "rb'", "\\", "\\n", "{x}", "{{", "}}", "+", "%", ".format(", "textwrap.dedent(",
    '"\\n".join(', "client.chat.completions.create(", "messages=", '{"role": "system", "content": ',
    "PromptTemplate(template=", "input_variables=", "# promptlint: prompt\n", "# promptlint: ignore[PL001]",
    "def f():\n", "class C:\n", "self.system_prompt", "Task: answer.", "You are", "Output: JSON", "if ", "😀",
    "\t", "lambda: ", "await ", "*", "**", "@", "...", "\r\n", "\x00",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(KINDS), text=st.text(max_size=400))
def test_arbitrary_text_never_raises(name: str, text: str) -> None:
    result = lint_text(name, text, SETTINGS)
    assert result.error is None, result.error


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.sampled_from(PY_TOKENS), max_size=60))
def test_arbitrary_python_never_raises(parts: list[str]) -> None:
    result = lint_text("a.py", "".join(parts), SETTINGS)
    assert result.error is None, result.error


def _case_files():
    files = sorted(p for p in CASES.iterdir() if p.is_file() and p.name != "expected.yaml")
    assert files, f"no sample cases in {CASES}"
    return files


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_case_files_never_raise(path, data) -> None:  # noqa: ANN001
    text = path.read_text()
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 40)))
    insert = data.draw(st.text(alphabet='{}%"\'\\\n#:-<>`|', max_size=8))
    mutated = text[:start] + insert + text[end:]
    result = lint_text(path.name, mutated, SETTINGS)
    assert result.error is None, result.error
    for f in result.findings:
        assert 1 <= f.span.start.line <= mutated.count("\n") + 1
        assert (f.span.start.line, f.span.start.column) <= (f.span.end.line, f.span.end.column)
