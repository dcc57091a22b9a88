"""Suppression comments, blocks, file-level directives, front matter and unused suppressions."""

from __future__ import annotations

from conftest import lint

PROMPT = 'SYSTEM_PROMPT = "Task: classify the ticket. Output: one word."'


def _active(result, name: str):  # noqa: ANN001, ANN202
    return [f for f in result.findings if f.name == name and not f.suppressed]


def test_end_of_line_ignore_with_reason() -> None:
    result = lint("a.py", PROMPT + "  # promptlint: ignore[missing-verification] -- the caller validates\n")
    assert _active(result, "missing-verification") == []
    (sup,) = [f for f in result.findings if f.name == "missing-verification"]
    assert sup.suppressed and sup.suppression_reason == "the caller validates"
    assert _active(result, "missing-stop-condition")  # other rules still report


def test_standalone_ignore_covers_next_line_and_multiline_literal() -> None:
    src = '# promptlint: ignore[PL005]\nSYSTEM_PROMPT = """Task: classify the ticket.\n\nOutput: one word.\n"""\n'
    result = lint("a.py", src)
    assert _active(result, "missing-stop-condition") == []
    assert _active(result, "unused-suppression") == []


def test_ignore_on_call_line_covers_conversation() -> None:
    src = ('client.chat.completions.create(  # promptlint: ignore[missing-stop-condition]\n'
           '    messages=[{"role": "system", "content": "Task: classify the ticket. Output: one word."}])\n')
    result = lint("a.py", src)
    assert _active(result, "missing-stop-condition") == []


def test_disable_enable_block() -> None:
    src = ("# promptlint: disable[missing-verification]\n" + PROMPT + "\n# promptlint: enable[missing-verification]\n"
           + PROMPT.replace("SYSTEM_PROMPT", "OTHER_PROMPT") + "\n")
    result = lint("a.py", src)
    lines = [f.span.start.line for f in _active(result, "missing-verification")]
    assert lines == [4]


def test_disable_file_without_codes_silences_everything() -> None:
    result = lint("a.py", "# promptlint: disable-file\n" + PROMPT + "\n")
    assert [f for f in result.findings if not f.suppressed] == []


def test_jinja_comment_and_markdown_comment() -> None:
    j2 = "{# promptlint: disable-file[missing-verification, missing-stop-condition] #}\nTask: answer {{ q }}. Output: one line.\n"
    result = lint("p.j2", j2)
    assert _active(result, "missing-verification") == [] and _active(result, "missing-stop-condition") == []
    md = "<!-- promptlint: disable-file[PL006] -->\n# Task\nAnswer the question.\n"
    result = lint("prompts/p.md", md)
    assert _active(result, "missing-verification") == []
    assert _active(result, "missing-output-contract")


def test_front_matter_key() -> None:
    text = "---\npromptlint:\n  ignore: [missing-verification]\n  reason: checked downstream\n---\nTask: answer. Output: one line.\n"
    result = lint("p.prompt", text)
    (sup,) = [f for f in result.findings if f.name == "missing-verification"]
    assert sup.suppressed and sup.suppression_reason == "checked downstream"


def test_unused_suppression_is_reported_at_the_comment() -> None:
    src = PROMPT + "  # promptlint: ignore[template-injection]\n"
    result = lint("a.py", src)
    (unused,) = _active(result, "unused-suppression")
    assert unused.span.start.line == 1 and unused.span.start.column == src.index("#") + 1
    assert "template-injection" in unused.message


def test_directives_on_crlf_lines() -> None:
    # The hash pattern ended in ``[ \t]*$`` (re.M): on a CRLF line the \r stood before the end, so no
    # directive of a Windows-edited file matched, and an ``enable`` on one CRLF line left its block open.
    src = ("# promptlint: disable[missing-verification]\n" + PROMPT + "\n# promptlint: enable[missing-verification]\n"
           + PROMPT.replace("SYSTEM_PROMPT", "OTHER_PROMPT") + "  # promptlint: ignore[PL005] -- checked upstream\n")
    result = lint("a.py", src.replace("\n", "\r\n"))
    assert [f.span.start.line for f in _active(result, "missing-verification")] == [4]
    assert _active(result, "missing-stop-condition")[0].span.start.line == 2  # the ignore covers line 4 only
    (sup,) = [f for f in result.findings if f.name == "missing-stop-condition" and f.suppressed]
    assert sup.span.start.line == 4 and sup.suppression_reason == "checked upstream"
    assert _active(result, "unused-suppression") == []
