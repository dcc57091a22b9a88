"""Template syntax detection and placeholder lexing."""

from __future__ import annotations

import pytest

from promptlint.template import detect_syntax, lex


@pytest.mark.parametrize(("text", "syntax"), [
    ("Answer {question} now.", "format"),
    ("Answer {{ question }} now.", "jinja"),
    ("{% for d in docs %}{{ d }}{% endfor %}", "jinja"),
    ("{{#items}}- {{name}}{{/items}}", "mustache"),
    ("Hello %(name)s, answer.", "percent"),
    ("Return JSON like {\"a\": 1}.", "plain"),
    ("No placeholders at all.", "plain"),
])
def test_detect_syntax(text: str, syntax: str) -> None:
    assert detect_syntax(text) == syntax


def test_jinja_free_variables_only() -> None:
    text = ("{% set greeting = 'hi' %}{{ greeting }} {{ user.name }}\n"
            "{% for doc in documents %}{{ loop.index }} {{ doc.title|upper }}{% endfor %}\n"
            "{% macro row(cell) %}{{ cell }}{% endmacro %}{{ row(question) }}")
    info = lex(text, "jinja")
    assert info.names == ["user", "documents", "question"]
    for p in info.placeholders:
        assert text[p.start:p.end] == p.name


def test_jinja_syntax_error_offset() -> None:
    info = lex("Line one\n{% if x %}never closed", "jinja")
    assert info.error is not None and info.error[0] == len("Line one\n")


def test_format_fields_escapes_and_problems() -> None:
    text = 'A {name!r:>10} and {0} and {obj.attr[key]} {{literal}} {"json": 1}'
    info = lex(text, "format")
    assert info.names == ["name", "0", "obj"]
    assert [(p.offset, p.char) for p in info.problems] == [(text.index('{"'), "{"), (len(text) - 1, "}")]


def test_mustache_sections_and_errors() -> None:
    info = lex("{{! note }}{{#items}}{{name}}{{/items}}{{^empty}}x{{/empty}}{{{raw}}}", "mustache")
    assert info.names == ["items", "name", "empty", "raw"]
    assert info.error is None
    assert lex("{{#a}}{{/b}}", "mustache").error is not None


def test_percent_named() -> None:
    assert lex("Dear %(user)s, total %(amount).2f", "percent").names == ["user", "amount"]


def test_nested_json_example_braces_are_all_literal() -> None:
    text = 'Read {invoice}. Return {"vendor": {"name": "ACME"}} or {}.'
    info = lex(text, "format")
    assert info.names == ["invoice"]
    assert "".join(p.char for p in info.problems) == "{{}}{}"
    from promptlint.config import load_settings
    from promptlint.engine import fix_text

    src = f'RECORD_TMPL = """{text}"""\n'
    outcome = fix_text("t.py", src, "python", load_settings(None, select=["PL201"]))
    fixed, applied, result = outcome.text, outcome.applied, outcome.result
    assert applied == 2 and not result.findings
    value = fixed.split('"""')[1]
    assert value.format(invoice="X") == 'Read X. Return {"vendor": {"name": "ACME"}} or {}.'


def test_unknown_jinja_filters_and_tests_are_not_errors() -> None:
    text = "Summarise {{ doc | shorten(40) }}.{% if x is customtest %} Be brief.{% endif %}"
    info = lex(text, "jinja")
    assert info.error is None and info.names == ["doc", "x"]
