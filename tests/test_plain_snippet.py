"""Statements of string literals only are read without libcst
(``_PlainSnippet``): their nodes and file offsets must be the ones a libcst
parse gives, and anything else must fall back to the parse."""

from __future__ import annotations

import ast

import pytest

from promptlint.config import load_settings
from promptlint.extract.python import _Collector, _concat_leaves, _PlainSnippet, _Snippet
from promptlint.model import LineIndex

PLAIN = [
    'X = "You are a helpful assistant."\n',
    'X = (\n    "You are a bot. "  # the role\n    r"Answer \\d in JSON."\n    \'\'\'Then stop.\'\'\'\n)\n',
    'class K:\n    X: str = "caf\\u00e9 \\"quoted\\" {name}"\n',
    'def f():\n    return ("Summarise: "\n            "the notes")\n',
    'def f():\n    x = "a"\n    x += " and b"\n    return x\n',
    'X = u"Ünïcode — text" "\\\\"\nY = b"bytes"\n',
    'X = \\\n    "continued"\n',
]
FALLBACK = [
    'X = f"Hello {name}"\n',
    'X = "a" + B\n',
    'X = "a"; Y = "b"\n',
    'X = "a" "b" f"{c}"\n',
    'X = call("a")\n',
]


def _parsed(src: str):  # noqa: ANN202
    index = LineIndex(src)
    col = _Collector(src, index, load_settings(["."]))
    tree = ast.parse(src)
    col.collect(tree)
    stmts = [n for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return))]
    return index, col, stmts


@pytest.mark.parametrize("src", PLAIN)
def test_plain_statements_match_the_libcst_parse(src: str) -> None:
    index, col, stmts = _parsed(src)
    checked = 0
    for stmt in stmts:
        plain = _PlainSnippet.build(src, col, stmt)
        if not (isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)):
            assert plain is None
            continue
        assert plain is not None, ast.dump(stmt)
        parsed = _Snippet(src, index, stmt.lineno, stmt.end_lineno)
        key = (stmt.lineno, col.column(stmt.lineno, stmt.col_offset))
        a = plain.statements[plain.local(*key)].value
        b = parsed.statements[parsed.local(*key)].value
        assert (plain.offset(a), plain.offset(a, end=True)) == (parsed.offset(b), parsed.offset(b, end=True))
        la, lb = _concat_leaves(a), _concat_leaves(b)
        assert [x.value for x in la] == [y.value for y in lb]
        assert [(plain.offset(x), plain.offset(x, end=True)) for x in la] == \
               [(parsed.offset(y), parsed.offset(y, end=True)) for y in lb]
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("src", FALLBACK)
def test_other_statements_are_parsed(src: str) -> None:
    _, col, stmts = _parsed(src)
    assert all(_PlainSnippet.build(src, col, s) is None for s in stmts)


def test_positions_match_libcsts_public_resolver() -> None:
    """The provider hook the snippets use gives what ``MetadataWrapper.resolve`` gives (every node, same ranges)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from promptlint.extract.python import _positions

    src = ('async def f(client, q):\n    p = f"Task: {q!r:>3}" "\\n" + \'x\'\n'
           '    return await client.chat.completions.create(model="m", messages=[{"role": "user", "content": p}])\n')
    module = cst.parse_module(src)
    expected = dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    got = _positions(module)
    assert got == expected and len(got) > 40
