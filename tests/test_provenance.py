"""Provenance: every prompt-text character knows the file and the literal it came from.

Two bugs this pins:

* linting a contract file reported positions in the prompt file computed with
  the contract file's line index (``the example at ticket.md:7`` for an example
  on line 13);
* ``concatenation-missing-separator`` offered a safe fix that edited a shared
  constant (``BASE``) reached through ``+`` from the prompt's own statement.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import lint
from promptlint.analysis import analyse
from promptlint.checks import CheckContext
from promptlint.config import load_settings
from promptlint.extract import extract
from promptlint.fixes import apply_edits
from promptlint.model import Edit, Fix, Position, Provenance, SourceMap, Span

# --- the data model -------------------------------------------------------------

APP = '''BASE = "You are a helpful assistant."
OTHER_PROMPT = BASE + " Summarise the text."

SYSTEM_PROMPT = BASE + "Answer the question."
'''


def _literal(src: str, needle: str) -> tuple[int, int]:
    """File offsets ``[start, end)`` of the double-quoted literal holding ``needle``."""
    inside = src.index(needle)
    start = src.rindex('"', 0, inside)
    return start, src.index('"', inside) + 1


def _prompt(result_prompts, name):  # noqa: ANN001, ANN202
    return next(p for p in result_prompts if p.name == name)


def test_each_character_names_its_file_literal_and_owner() -> None:
    settings = load_settings(None)
    prompts = extract("app.py", APP, "python", settings).prompts
    msg = _prompt(prompts, "SYSTEM_PROMPT").main
    smap = msg.source_map
    assert len(smap.origins) == len(msg.text) == len(smap)
    base = smap.origin(0)
    own = smap.origin(msg.text.index("Answer"))
    assert base == Provenance("app.py", *_literal(APP, "helpful"), own=False, constant="BASE")
    assert own == Provenance("app.py", *_literal(APP, "Answer"), own=True, constant=None)
    # every character of a piece carries the same record
    assert {smap.origin(i) for i in range(len("You are a helpful assistant."))} == {base}
    assert smap.path_of(0, "elsewhere.py") == "app.py"


def test_provenance_survives_dedent_strip_join_and_the_conversation_join() -> None:
    src = (
        "import textwrap\n"
        'SEP = "\\n"\n'
        "def ask(client, q):\n"
        "    return client.chat.completions.create(model='m', messages=[\n"
        '        {"role": "system", "content": textwrap.dedent("""\n'
        "            Task: answer the question.\n"
        '            """).strip()},\n'
        '        {"role": "user", "content": SEP.join(["Question:", "Be brief."])},\n'
        "    ])\n"
    )
    settings = load_settings(None)
    (prompt,) = extract("app.py", src, "python", settings).prompts
    system, user = prompt.messages
    triple = src.index('"""')
    lit = (triple, src.index('"""', triple + 3) + 3)
    assert {system.source_map.origin(i) for i in range(len(system.text))} == {
        Provenance("app.py", *lit, own=True, triple_quoted=True)}
    q = user.source_map.origin(0)
    assert (q.start, q.end, q.own) == (*_literal(src, "Question:"), True)
    analysis = analyse(prompt, settings.vocabulary)
    joined = analysis.source_map
    assert len(joined.origins) == len(analysis.text)
    assert joined.origin(analysis.text.index("Be brief")).start == _literal(src, "Be brief")[0]


def test_prompt_file_characters_have_no_literal() -> None:
    (prompt,) = extract("p.md", "Task: answer.\n", "text", load_settings(None)).prompts
    smap = prompt.main.source_map
    assert smap.origins == [None] * len(smap)
    assert smap.path_of(0, prompt.path) == "p.md"


def test_source_map_operations_keep_origins_aligned() -> None:
    a = Provenance("a.py", 0, 5)
    b = Provenance("a.py", 10, 15, own=False, constant="B")
    left = SourceMap.identity(1, 3, a)
    right = SourceMap.identity(11, 2, b)
    left.pad(2)
    left.extend(right)
    left.append(20, 21)
    assert left.origins == [a, a, a, a, a, b, b, None]
    kept = left.select([0, 5, 7])
    assert (kept.starts, kept.origins) == ([1, 11, 20], [a, b, None])
    plain = SourceMap([3, 4], [4, 5])
    assert plain.origins == [None, None] and plain.origin(99) is None


# --- bug 1: positions in a contract file's prompt ---------------------------------

PROMPT_LINES = ["# Ticket triage"] + [f"Context line {i}: the ticket comes from the help desk." for i in range(2, 13)] + [
    'Output: JSON like {"urgency": "high"}.',
    "Task: rate the ticket's urgency.",
]
CONTRACT = """output:
  format: json
  schema:
    type: object
    properties:
      urgency: {type: integer}
"""


@pytest.fixture
def contract_dir(tmp_path: Path, monkeypatch) -> Path:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ticket.md").write_text("\n".join(PROMPT_LINES) + "\n")
    (tmp_path / "ticket.contract.yaml").write_text(CONTRACT)
    return tmp_path


def _example_column() -> int:
    return PROMPT_LINES[12].index("{") + 1


def _assert_all_in(result, path: str, text: str) -> None:  # noqa: ANN001
    lines = text.count("\n") + 1
    for f in result.findings:
        assert f.path == path, f
        assert 1 <= f.span.start.line <= lines and f.span.end.line <= lines, f


def test_contract_file_names_the_example_at_the_prompt_files_line(contract_dir: Path) -> None:
    result = lint("ticket.contract.yaml")
    assert result.error is None
    (mismatch,) = [f for f in result.findings if f.name == "output-schema-mismatch"]
    # the example is on line 13 of ticket.md (the contract file has 6 lines)
    assert f"the example at ticket.md:13:{_example_column()} fails at urgency" in mismatch.message
    # reported at the contract's own key, in the contract file
    assert mismatch.path == "ticket.contract.yaml"
    assert mismatch.span.start == Position(4, 5)
    _assert_all_in(result, "ticket.contract.yaml", CONTRACT)


def test_contracts_file_names_the_python_example_at_its_line(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    body = "\n".join(f"    Rule {i}: stay on the ticket's topic." for i in range(1, 9))
    src = (f'"""Triage service."""\n\nTRIAGE_PROMPT = """\n    Task: rate the ticket.\n{body}\n'
           '    Output: JSON like {"urgency": "high"}.\n"""\n')
    (tmp_path / "app.py").write_text(src)
    contracts = ('contracts:\n  "app.py::TRIAGE_PROMPT":\n    output:\n      format: json\n'
                 "      schema: {type: object, properties: {urgency: {type: integer}}}\n")
    (tmp_path / "triage.contracts.yaml").write_text(contracts)
    result = lint("triage.contracts.yaml")
    assert result.error is None
    (mismatch,) = [f for f in result.findings if f.name == "output-schema-mismatch"]
    line = src[:src.index('{"urgency"')].count("\n") + 1
    col = src.splitlines()[line - 1].index("{") + 1
    assert line == 13
    assert f"the example at app.py:{line}:{col} fails" in mismatch.message
    _assert_all_in(result, "triage.contracts.yaml", contracts)


def _contract_context(monkeypatch, rule_name: str) -> tuple[CheckContext, object]:  # noqa: ANN001
    """The context the engine builds to run ``rule_name`` on the contract file's prompt."""
    from promptlint.checks import serving

    seen: list[CheckContext] = []
    run = serving.run
    monkeypatch.setattr(serving, "run", lambda ctx: (seen.append(ctx), run(ctx))[1])
    assert lint("ticket.contract.yaml").error is None
    ctx = next(c for c in seen if c.rule.name == rule_name)
    ctx.findings = []
    return ctx, ctx.analysis


def test_text_positions_use_the_index_of_the_file_they_belong_to(contract_dir: Path, monkeypatch) -> None:  # noqa: ANN001
    ctx, analysis = _contract_context(monkeypatch, "output-schema-mismatch")
    s = analysis.text.index('{"urgency"')
    assert ctx.file_of(s) == "ticket.md"
    assert ctx.text_span(s, s + 1) == Span(Position(13, _example_column()), Position(13, _example_column() + 1))
    assert ctx.location(s) == f"ticket.md:13:{_example_column()}"


def test_finding_on_another_files_text_stays_in_the_linted_file(contract_dir: Path, monkeypatch) -> None:  # noqa: ANN001
    ctx, analysis = _contract_context(monkeypatch, "output-schema-mismatch")
    s = analysis.text.index('{"urgency"')
    pos = ctx.text_span(s, s + 1).start
    stray = Fix("safe", (Edit(s, s, "x", Span(pos, pos)),))
    finding = ctx.emit(s, s + 5, fix=stray, error="example")
    assert finding.path == "ticket.contract.yaml"
    assert finding.span.start.line <= CONTRACT.count("\n")
    assert f"ticket.md:13:{_example_column()}" in finding.message
    assert finding.fix is None  # its edits hold the other file's offsets


# --- bug 2: a safe fix stays inside the prompt's own literal ----------------------


def _concat(result):  # noqa: ANN001, ANN202
    return [f for f in result.findings if f.name == "concatenation-missing-separator"]


def test_separator_goes_into_the_prompts_own_literal_not_the_shared_constant() -> None:
    (finding,) = _concat(lint("app.py", APP))
    assert finding.prompt_id == "app.py::SYSTEM_PROMPT"
    assert finding.fix is not None and finding.fix.applicability == "safe"
    (edit,) = finding.fix.edits
    own_start, own_end = _literal(APP, "Answer")
    assert own_start < edit.start < own_end  # inside `"Answer the question."`
    fixed, applied = apply_edits(APP, list(finding.fix.edits))
    assert applied == 1
    assert fixed.splitlines()[0] == APP.splitlines()[0]  # BASE is untouched
    assert fixed.splitlines()[3] == 'SYSTEM_PROMPT = BASE + " Answer the question."'
    assert "no fix" not in finding.message
    assert _concat(lint("app.py", fixed)) == []


@pytest.mark.parametrize(("src", "why"), [
    pytest.param('BASE = ("You are a helpful assistant."\n        "Stay polite.")\n\n'
                 'SYSTEM_PROMPT = BASE + " Answer the question in one sentence."\n',
                 "no fix: the separator would have to go into BASE, a constant defined elsewhere",
                 id="join inside a constant"),
    pytest.param('BASE = "You are a helpful assistant."\nTAIL = "Answer the question."\n\n'
                 "SYSTEM_PROMPT = BASE + TAIL\n",
                 "no fix: the separator would have to go into BASE or TAIL, constants defined elsewhere",
                 id="join between two constants"),
])
def test_no_fix_when_the_separator_would_go_into_a_constant_defined_elsewhere(src: str, why: str) -> None:
    (finding,) = _concat(lint("app.py", src))
    assert finding.fix is None
    assert why in finding.message


def test_call_site_prompt_named_by_its_constant_may_fix_that_constant() -> None:
    src = ('SYSTEM_PROMPT = ("Answer the question."\n                 "Use one sentence.")\n\n'
           "def ask(client):\n"
           '    return client.chat.completions.create(model="m", messages=[{"role": "system", '
           '"content": SYSTEM_PROMPT}])\n')
    (finding,) = _concat(lint("app.py", src))
    assert finding.prompt_id == "app.py::SYSTEM_PROMPT"
    assert finding.fix is not None
    fixed, _ = apply_edits(src, list(finding.fix.edits))
    assert fixed.splitlines()[0] == 'SYSTEM_PROMPT = ("Answer the question. "'


def test_fix_uses_the_quoting_of_the_literal_it_edits() -> None:
    # The separator goes into the first literal (a plain one-line string), not
    # the raw triple-quoted last one: a newline must be written as an escape.
    src = 'SYSTEM_PROMPT = ("Answer the question."\n                 r"""-----\n{text}""")\n'
    (finding,) = _concat(lint("app.py", src))
    fixed, _ = apply_edits(src, list(finding.fix.edits))
    assert fixed.splitlines()[0] == 'SYSTEM_PROMPT = ("Answer the question.\\n"'
