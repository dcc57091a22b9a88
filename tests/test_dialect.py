"""Template dialect by evidence, not by a class name alone: a ``PromptTemplate``
whose text has Jinja tags is Jinja (promptflow's is); ``template_format`` wins
when given; a ``str.format`` template's ``{{ }}`` JSON example is read as the
model sees it (``{ }``)."""

from __future__ import annotations

from conftest import lint


def _by_id(result, name: str) -> dict:  # noqa: ANN001
    return next(p for p in result.prompts if p["id"].endswith("::" + name))


def test_jinja_tags_make_a_prompt_template_jinja() -> None:
    src = ('from promptflow.tools.common import PromptTemplate\n'
           't = PromptTemplate("{% for m in messages %}Answer {{ m }} in one line.{% endfor %}")\n')
    result = lint("flow.py", src)
    assert _by_id(result, "t")["syntax"] == "jinja"
    assert not [f for f in result.findings if f.name == "unescaped-brace"]  # no {{% for %}} "fix"


def test_langchain_format_template_keeps_the_brace_fix() -> None:
    src = ('from langchain.prompts import PromptTemplate\n'
           'u = PromptTemplate(template="Answer {question} in one line. Return JSON like {\\"a\\": 1}.",\n'
           '                   input_variables=["question"])\n')
    result = lint("chain.py", src)
    assert _by_id(result, "u")["syntax"] == "format"
    (brace,) = [f for f in result.findings if f.name == "unescaped-brace"]
    assert brace.fix is not None and brace.fix.applicability == "safe"


def test_explicit_template_format_wins() -> None:
    src = ('from langchain.prompts import PromptTemplate\n'
           'v = PromptTemplate(template="{% raw %}Answer {x} now.", template_format="f-string",\n'
           '                   input_variables=["x"])\n')
    assert _by_id(lint("chain.py", src), "v")["syntax"] == "format"


def test_escaped_json_example_in_a_format_template_is_valid() -> None:
    src = ('REVIEW_PROMPT = """Rate the review {review} for the team.\n'
           'Return JSON like this:\n```json\n{{"score": 3, "reason": "short"}}\n```\n"""\n'
           'print(REVIEW_PROMPT.format(review="x"))\n')
    result = lint("app.py", src)
    assert [f for f in result.findings if f.name == "invalid-output-schema"] == []
    broken = lint("app.py", src.replace('"reason"', 'reason'))
    assert [f.name for f in broken.findings if f.name == "invalid-output-schema"] == ["invalid-output-schema"]
