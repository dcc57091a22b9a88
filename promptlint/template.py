"""Template syntax detection and placeholder lexing; templates are never rendered.

Supported syntaxes (:data:`promptlint.model.Syntax`): ``fstring`` (placeholders
come from the extractor, which sees the expressions), ``format`` (``str.format``
replacement fields, per the Python "Format String Syntax" reference), ``percent``
(``%(name)s``), ``dollar`` (:class:`string.Template`: ``$name``, ``${name}``,
``$$`` an escaped dollar, per the Python ``string`` module reference), ``jinja`` (parsed with jinja2's parser; only free variables are
placeholders) and ``mustache`` (``{{name}}``, ``{{#section}}`` …).

All offsets are 0-based offsets into the text passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .model import Placeholder, Syntax

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
# A str.format replacement field: name, attribute/index chain, conversion, spec.
FORMAT_FIELD = re.compile(
    r"\{(?P<name>" + _IDENT + r"|\d*)(?:\." + _IDENT + r"|\[[^\]{}]*\])*(?:![rsa])?(?::[^{}]*)?\}"
)
_PERCENT_NAMED = re.compile(r"%\((?P<name>[^)]+)\)[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")
_DOLLAR = re.compile(r"\$(?:(\$)|(" + _IDENT + r")|\{(" + _IDENT + r")\})")
_PERCENT_POSITIONAL = re.compile(r"(?<!%)%[#0\- +]*(?:\d+)?(?:\.\d+)?[sdifr](?![A-Za-z])")
#: A Mustache tag: group 1 ``{`` for a triple mustache, group 2 the sigil (``#^/!>&`` or empty), group 3 the name.
MUSTACHE_TAG = re.compile(r"\{\{(\{)?\s*([#^/!>&]?)\s*([^{}]*?)\s*\}?\}\}")
_MUSTACHE_SPECIFIC = re.compile(r"\{\{\s*[#^/!>&{]")
_JINJA_BLOCK = re.compile(r"\{%-?.*?-?%\}|\{#.*?#\}", re.S)
_JINJA_EXPR = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_DOUBLE_BRACE_NAME = re.compile(r"\{\{\s*[A-Za-z_][\w.]*\s*\}\}")


@dataclass
class BraceProblem:
    """A ``{`` or ``}`` in a format template that is neither a field nor escaped."""

    offset: int
    char: str


@dataclass
class TemplateInfo:
    """What lexing a template found.

    ``placeholders`` holds every use in text order; ``problems`` the unescaped
    braces of a ``format`` template; ``error`` a syntax error as
    ``(text_offset, message)``; ``hidden`` text ranges that are template logic or
    comments rather than prompt text (Jinja ``{% %}``/``{# #}`` tags, Mustache
    section and comment tags).
    """

    placeholders: list[Placeholder] = field(default_factory=list)
    problems: list[BraceProblem] = field(default_factory=list)
    error: tuple[int, str] | None = None
    hidden: list[tuple[int, int]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Placeholder names in first-use order, without repeats."""
        seen: dict[str, None] = {}
        for p in self.placeholders:
            seen.setdefault(p.name, None)
        return list(seen)


def detect_syntax(text: str, *, prefer: Syntax | None = None) -> Syntax:
    """Guess the template syntax of ``text``.

    ``prefer`` is the syntax the surrounding code implies (for example
    ``format`` for a LangChain template or a string that ``.format()`` is called
    on); it wins when the text is compatible with it.
    """
    has_double = "{{" in text
    if prefer in ("jinja", "mustache", "fstring", "percent", "dollar"):
        return prefer
    if prefer == "format":
        return "format"
    if has_double and _MUSTACHE_SPECIFIC.search(text) and "{%" not in text:
        return "mustache"
    if "{%" in text or re.search(r"(?<!\{)\{#", text):
        return "jinja"
    fields = [m for m in FORMAT_FIELD.finditer(text) if m.group("name") and not _inside_double(text, m)]
    if fields:
        return "format"
    if has_double and (_DOUBLE_BRACE_NAME.search(text) or _JINJA_EXPR.search(text)):
        return "jinja"
    if _PERCENT_NAMED.search(text):
        return "percent"
    return "plain"


def _inside_double(text: str, m: re.Match[str]) -> bool:
    s, e = m.span()
    return text[s - 1 : s] == "{" or text[e : e + 1] == "}"


def lex(text: str, syntax: Syntax) -> TemplateInfo:
    """Lex ``text`` as ``syntax`` and return its :class:`TemplateInfo`.

    Never raises on bad templates: a syntax error is reported in ``error``.
    ``fstring`` text is lexed like ``format`` text (the extractor renders each
    f-string expression as ``{expr}``).
    """
    if syntax in ("format", "fstring"):
        return _lex_format(text)
    if syntax == "percent":
        info = TemplateInfo()
        for m in _PERCENT_NAMED.finditer(text):
            info.placeholders.append(Placeholder(m.group("name"), m.start(), m.end()))
        return info
    if syntax == "dollar":
        info = TemplateInfo()
        for m in _DOLLAR.finditer(text):
            if not m.group(1):
                info.placeholders.append(Placeholder(m.group(2) or m.group(3), m.start(), m.end()))
        return info
    if syntax == "jinja":
        return _lex_jinja(text)
    if syntax == "mustache":
        return _lex_mustache(text)
    return TemplateInfo()


def _lex_format(text: str) -> TemplateInfo:
    """Fields and unescaped braces of a ``str.format`` template.

    Inside a literal ``{`` that is not a field (a JSON example), every brace up
    to its matching ``}`` is literal too, so ``}}`` there is two closing braces,
    not an escape; ``{}`` (an automatic positional field) is reported as a
    literal brace pair, since prompt templates are filled by name.
    """
    info = TemplateInfo()
    i, n = 0, len(text)
    depth = 0
    while i < n:
        c = text[i]
        if c == "{":
            if depth == 0 and text.startswith("{{", i):
                i += 2
                continue
            m = FORMAT_FIELD.match(text, i)
            if m and m.group("name"):
                info.placeholders.append(Placeholder(m.group("name"), m.start(), m.end()))
                i = m.end()
                continue
            info.problems.append(BraceProblem(i, "{"))
            depth += 1
        elif c == "}":
            if depth > 0:
                info.problems.append(BraceProblem(i, "}"))
                depth -= 1
            elif text.startswith("}}", i):
                i += 2
                continue
            else:
                info.problems.append(BraceProblem(i, "}"))
        i += 1
    return info


def _jinja_nodes():  # noqa: ANN202
    from jinja2 import nodes

    return nodes


@lru_cache(maxsize=1)
def jinja_environment():  # noqa: ANN201 - jinja2 type is optional at import time
    """The shared jinja2 environment used for parsing (never for rendering)."""
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(autoescape=False)


def parse_jinja(text: str):  # noqa: ANN201
    """Parse ``text`` with jinja2's parser.

    Returns the template AST; raises ``jinja2.TemplateSyntaxError`` (``lineno``
    is 1-based within ``text``). The last few results are kept (a template is
    lexed and then checked for sandbox escapes: one parse serves both); callers
    only read the tree.
    """
    known = _PARSED.get(text)
    if known is None:
        from jinja2 import TemplateSyntaxError

        try:
            known = (jinja_environment().parse(text), None)
        except TemplateSyntaxError as exc:
            known = (None, exc)
        if len(_PARSED) >= 32:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[text] = known
    tree, error = known
    if error is not None:
        raise error.with_traceback(None)
    return tree


_PARSED: dict[str, tuple] = {}


def line_offset(text: str, lineno: int) -> int:
    """0-based offset of 1-based line ``lineno`` in ``text`` (clamped)."""
    off = 0
    for _ in range(max(0, lineno - 1)):
        nxt = text.find("\n", off)
        if nxt == -1:
            return off
        off = nxt + 1
    return off


_NAME_IN_TAG = re.compile(r"""(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<pre>[.|]\s*|\bis\s+(?:not\s+)?)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)""")


def _lex_jinja(text: str) -> TemplateInfo:
    from jinja2 import TemplateSyntaxError, meta

    info = TemplateInfo()
    info.hidden = [m.span() for m in _JINJA_BLOCK.finditer(text)]
    try:
        ast = parse_jinja(text)
    except RecursionError:
        info.error = (0, "the template is nested too deeply to parse")
        return info
    except TemplateSyntaxError as exc:
        info.error = (line_offset(text, exc.lineno or 1), exc.message or "template syntax error")
        free: set[str] = set()
        for m in _JINJA_EXPR.finditer(text):
            inner = m.group(1).strip()
            if re.fullmatch(_IDENT, inner):
                free.add(inner)
    else:
        try:
            free = meta.find_undeclared_variables(ast)
        except RecursionError:
            info.error = (0, "the template is nested too deeply to analyse")
            return info
        except TemplateSyntaxError:  # an unknown filter or test: not an error of the prompt
            free = {n.name for n in ast.find_all(_jinja_nodes().Name) if n.ctx == "load"}
    if not free:
        return info
    for m in re.finditer(r"\{\{-?(.*?)-?\}\}|\{%-?(.*?)-?%\}", text, re.S):
        group = 1 if m.group(1) is not None else 2
        body_start = m.start(group)
        for t in _NAME_IN_TAG.finditer(m.group(group)):
            if t.group("str") or t.group("pre"):
                continue
            name = t.group("name")
            if name in free:
                s = body_start + t.start("name")
                info.placeholders.append(Placeholder(name, s, s + len(name)))
    return info


def _lex_mustache(text: str) -> TemplateInfo:
    info = TemplateInfo()
    stack: list[tuple[str, int]] = []
    for m in MUSTACHE_TAG.finditer(text):
        sigil, name = m.group(2), m.group(3).strip()
        if sigil in ("!", ">"):
            info.hidden.append(m.span())
            continue
        if sigil in ("#", "^"):
            stack.append((name, m.start()))
            info.hidden.append(m.span())
        elif sigil == "/":
            info.hidden.append(m.span())
            if not stack or stack[-1][0] != name:
                info.error = (m.start(), f"closing tag {{{{/{name}}}}} does not match an open section")
            else:
                stack.pop()
            continue
        if not name or name == ".":
            continue
        root = name.split(".")[0]
        s = m.start(3)
        info.placeholders.append(Placeholder(root, s, s + len(root)))
    if stack and info.error is None:
        name, off = stack[-1]
        info.error = (off, f"section {{{{#{name}}}}} is never closed")
    return info


def jinja_hazards(text: str) -> list[tuple[int, str]]:
    """Jinja constructs that reach outside the template's data (sandbox escapes).

    Returns ``(text_offset, description)`` pairs; empty when the template does
    not parse. Flags attribute or item access to dunder names, the ``attr``
    filter, and calls of ``format``/``format_map``/``mro``, which are the
    known routes out of a Jinja sandbox (jinja2 docs, "Sandbox").
    """
    from jinja2 import TemplateSyntaxError, nodes

    try:
        ast = parse_jinja(text)
    except (TemplateSyntaxError, RecursionError):
        return []
    found: list[tuple[int, str]] = []

    def locate(lineno: int, needle: str) -> int:
        base = line_offset(text, lineno)
        idx = text.find(needle, base)
        return idx if idx != -1 else base

    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Call)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            found.append((locate(node.lineno, node.attr), f"access to private attribute `{node.attr}`"))
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and str(node.arg.value).startswith("_"):
            found.append((locate(node.lineno, str(node.arg.value)), f"access to private item `{node.arg.value}`"))
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            found.append((locate(node.lineno, "attr"), "the `attr` filter reads arbitrary attributes"))
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in ("format", "format_map", "mro"):
            found.append((locate(node.lineno, node.node.attr), f"call of `{node.node.attr}` from a template"))
    return found


def format_hazards(info: TemplateInfo, text: str) -> list[tuple[int, str]]:
    """``str.format`` fields that read dunder attributes (format-string attacks).

    Returns ``(text_offset, description)`` pairs.
    """
    out = []
    for p in info.placeholders:
        body = text[p.start : p.end]
        m = re.search(r"\.(_\w*)", body)
        if m:
            out.append((p.start + m.start(1), f"replacement field reads private attribute `{m.group(1)}`"))
    return out
