"""Simple statements of literals, names, calls and containers are read without
libcst (``_PlainSnippet``, built from CPython's ``ast``): their nodes and file
offsets must be the ones a libcst parse gives, and anything else must fall back
to the parse."""

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
    'X = f"Hello {name()}"\n',
    'X = f"{a + b}"\n',
    'X = f"{x=}"\n',
    'X = f"{x:{w}}"\n',
    'X = f"caf\u00e9 {name} \\N{EM DASH}"\n',
    "X = f\"{d['k']}\"\n",
    'X = "a"; Y = "b"\n',
    'X = [m for m in ms]\n',
    'X = xs[1:2]\n',
    'X = {**base, "role": "user"}\n',
    'X = lambda: "a"\n',
    'X[call()] = "a"\n',
    'x: Annotated[str, Field(description="d")] = Field(max_length=1)\n',
    'X = \ufb01le\n',
    'X = a.\ufb01le\n',
    'X = f(\ufb01le=1)\n',
    'def g():\n    X = f"{yield}"\n',
    'X = b"bytes" + call()\n',
]
#: Statements built from ``ast`` that are not only literals: every node must sit where libcst puts it.
BUILT = [
    'X = "a" + B\n',
    'X = call("a")\n',
    'r = await client.chat.completions.create(\n    model="gpt-4o",  # the model\n'
    '    messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}],\n'
    '    temperature=0.2, max_tokens=-1, seed=None, stream=True,\n)\n',
    'def f(msgs, kw):\n    msgs.append({"role": "user", "content": PROMPT % (name)})\n'
    '    return llm(*msgs, **kw, stop=["\\n"], n=1_000, tag=TAGS["x"], last=msgs[-1], who=self.cfg.name)\n',
    'x: str = ("You are " +\n     "a bot.")\n',
    'X = f"Hello {name}"\n',
    'X = "a" "b" f"{c}"\n',
    'X = call(f"{a}")\n',
    'def f(self, q):\n    return ask(prompt=F"""You are {self.role}.\n{{not a field}} { q !r:>8} \\t{q}"""\n'
    '               rf"\\d {q.text!s}" "plain" f"")\n',
    'X = f"caf\u00e9 \u2014 {name} {x.y}"\n',
    'chat = ChatPromptTemplate.from_messages([("system", SYSTEM), ( "human" , "{q}" , ), (a), (b), ((a), b)])\n',
    'X = (a), (b)\nY = a, b,\nZ = ((a, b))\nW = (\n    a,\n    (b, c),\n)\nV = (  # (a comment\n    a,  # another)\n    (b) ,\n)\n',
    'f(x, ( # why\n  "y"), z=((w)), *(xs))\n',
    'g(path=(*path, "$defs", name), root=[*a, b])\n',
    'X = (a, b), (c)\nY = (a).b, (c)\nZ = (a) + b, (c)\nW = (-a, b), ((c))\nV = ("system", S), ("human")\n',
    'X = (a \\\n,)\nY = (a, b  # c, d\n     ,)\nf((a, b  # c, d\n  ,))\n',
    'd = {"role": (  # the role\n    "user"), ("content"): [(c)]}\nt = xs[(0)]\n',
    'self.prompt = PromptTemplate(template=T, input_variables=["a", \'b\'], extra=[*xs])\n',
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
            continue  # (``return x``: built too, checked by the test below)
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


def _pairs(a, b):  # noqa: ANN001, ANN202 - the nodes of two libcst trees side by side, fields the builder reads
    import libcst as cst

    yield a, b
    assert type(a) is type(b), (a, b)
    for name in ("value", "func", "attr", "keyword", "left", "right", "operator", "expression", "key", "slice"):
        x, y = getattr(a, name, None), getattr(b, name, None)
        if isinstance(x, cst.CSTNode) and not isinstance(x, (cst.BaseBinaryOp, cst.BaseUnaryOp)):
            yield from _pairs(x, y)
        elif isinstance(x, str) and name == "value":
            assert x == y
    if isinstance(a, cst.FormattedString):
        assert (a.start, a.end) == (b.start, b.end)
    if isinstance(a, cst.FormattedStringExpression):
        assert (a.conversion, a.whitespace_before_expression.value, a.whitespace_after_expression.value) == \
               (b.conversion, b.whitespace_before_expression.value, b.whitespace_after_expression.value)
    for name in ("args", "elements", "slice", "parts", "format_spec"):
        xs, ys = getattr(a, name, None), getattr(b, name, None)
        if isinstance(xs, (list, tuple)):
            assert len(xs) == len(ys)
            for x, y in zip(xs, ys):
                yield from _pairs(x, y)
    if isinstance(a, cst.Arg):
        assert a.star == b.star


@pytest.mark.parametrize("src", BUILT)
def test_built_statements_match_the_libcst_parse(src: str) -> None:
    index, col, stmts = _parsed(src)
    tree = ast.parse(src)
    stmts = [n for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.Return, ast.Expr))]
    checked = 0
    for stmt in stmts:
        plain = _PlainSnippet.build(src, col, stmt)
        assert plain is not None, ast.dump(stmt)
        parsed = _Snippet(src, index, stmt.lineno, stmt.end_lineno)
        calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)]
        for call in calls:
            key = (call.func.lineno, col.column(call.func.lineno, call.func.col_offset))
            a, b = plain.calls[plain.local(*key)], parsed.calls[parsed.local(*key)]
            for x, y in _pairs(a, b):
                assert (plain.offset(x), plain.offset(x, end=True)) == (parsed.offset(y), parsed.offset(y, end=True)), x
                checked += 1
        if not isinstance(stmt, ast.Expr):
            key = (stmt.lineno, col.column(stmt.lineno, stmt.col_offset))
            for x, y in _pairs(plain.statements[plain.local(*key)].value, parsed.statements[parsed.local(*key)].value):
                assert (plain.offset(x), plain.offset(x, end=True)) == (parsed.offset(y), parsed.offset(y, end=True)), x
                checked += 1
        assert len(plain.calls) == len(parsed.calls)
    assert checked >= 3


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


def test_every_built_statement_of_this_repository_matches_the_libcst_parse() -> None:
    """Real code, not only the cases above: each simple statement of promptlint's own
    sources and tests that is built from ``ast`` has libcst's nodes at libcst's offsets."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    settings = load_settings(["."])
    built = 0
    for path in sorted([*root.joinpath("promptlint").rglob("*.py"), *root.joinpath("tests").rglob("*.py")]):
        src = path.read_text(encoding="utf-8")
        index = LineIndex(src)
        col = _Collector(src, index, settings)
        for stmt in ast.walk(ast.parse(src)):
            if not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Expr)):
                continue
            plain = _PlainSnippet.build(src, col, stmt)
            if plain is None:
                continue
            parsed = _Snippet(src, index, stmt.lineno, stmt.end_lineno)
            assert len(plain.calls) == len(parsed.calls), (path.name, stmt.lineno)
            pairs = [(plain.calls[plain.local(*k)], parsed.calls[parsed.local(*k)]) for k in
                     ((c.func.lineno, col.column(c.func.lineno, c.func.col_offset))
                      for c in ast.walk(stmt) if isinstance(c, ast.Call))]
            if not isinstance(stmt, ast.Expr):
                key = (stmt.lineno, col.column(stmt.lineno, stmt.col_offset))
                pairs.append((plain.statements[key].value, parsed.statements[parsed.local(*key)].value))
            for a, b in pairs:
                for x, y in _pairs(a, b):
                    assert (plain.offset(x), plain.offset(x, end=True)) == \
                           (parsed.offset(y), parsed.offset(y, end=True)), (path.name, stmt.lineno, type(x).__name__)
            built += 1
    assert built > 1000


def test_a_thousand_term_chain_is_left_to_the_deep_libcst_parse() -> None:
    """Building nodes recursively from ``ast`` runs out of stack on a chain of a thousand
    ``+``: the statement is then parsed (on a deep stack) and its prompt still found."""
    from conftest import lint

    src = 'SYSTEM_PROMPT = ("You are a helpful bot. Answer in JSON." +\n' + '    "a" +\n' * 980 + '    "b")\n'
    _, col, stmts = _parsed(src)
    assert _PlainSnippet.build(src, col, stmts[0]) is None
    result = lint("app.py", src)
    assert result.error is None and [p["id"] for p in result.prompts] == ["app.py::SYSTEM_PROMPT"]
