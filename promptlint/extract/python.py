"""Python extractor (libcst): prompt-named constants, LLM call sites, markers.

What counts as a prompt:

* module or class constants and ``self.`` attributes whose name matches the
  configured patterns (``*_PROMPT``, ``*_TEMPLATE``, ``*_TMPL``, ``*_INSTRUCTIONS``,
  ``system_prompt``, …) and whose string reads as instructions;
* strings passed to known LLM call sites (OpenAI, Anthropic, LangChain,
  LlamaIndex, and configured ones), with names resolved to same-module
  assignments; a role-message list in one call is one conversation;
* any assignment preceded by a ``# promptlint: prompt`` comment line.

Strings are followed through implicit concatenation, ``+``, f-strings,
``textwrap.dedent``/``inspect.cleandoc``, ``sep.join([...])`` and ``.strip()``;
each keeps a source map to the file, and every character the
:class:`~promptlint.model.Provenance` of its literal: the literal's span, and
whether it is written in the prompt's own statement or in a constant that the
prompt reaches by name (see :meth:`_Builder.eval`).
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from keyword import iskeyword

import libcst as cst

from ..model import (Declaration, LineIndex, Message, Placeholder, Prompt, Provenance, SourceMap, Span, normal_role,
                     primary_index)
from .base import Extraction, ParseProblem
from .callsites import CallSite  # noqa: F401 - re-exported for configuration code
from .align import decode_python_body

MARKER = re.compile(r"^[ \t]*#[ \t]*promptlint:[ \t]*prompt\b", re.M)
#: Constructors that wrap a prompt string (camel's ``TextPrompt``, ``string.Template``, LangChain message and
#: template classes): ``NAME = TextPrompt("…")`` is the string's prompt. Extended by ``extract.wrappers``.
WRAPPERS = frozenset({
    "TextPrompt", "CodePrompt", "Template", "PromptTemplate", "from_template", "SystemMessage", "HumanMessage",
    "AIMessage", "ChatMessage", "SystemMessagePromptTemplate", "HumanMessagePromptTemplate",
    "AIMessagePromptTemplate", "StringPromptTemplate",
})
_WRAPPER_KEYS = ("template", "content", "text", "prompt", "template_str")
#: A class or function whose name says it holds prompts: its strings that read as instructions are prompts.
_PROMPTISH_CLASS = re.compile(r"prompt|instruction|template|system_?message", re.I)
_PROMPTISH_FUNCTION = re.compile(r"prompt|instruction|system_?message", re.I)
_MESSAGE_CLASSES = {
    "SystemMessage": "system", "HumanMessage": "user", "AIMessage": "assistant",
    "SystemMessagePromptTemplate": "system", "HumanMessagePromptTemplate": "user",
    "AIMessagePromptTemplate": "assistant", "ChatMessage": None,
}


def _name_regex(patterns: tuple[str, ...]) -> str:
    """A regex matching an identifier that one of the glob ``patterns`` names.

    ``*SUFFIX`` and exact names become look-behinds after one possessive
    identifier match, so a line is scanned once with no backtracking; other
    globs fall back to a plain alternation.
    """
    behinds, others = [], []
    for p in patterns:
        core = p[1:] if p.startswith("*") else p
        if "*" in core or "?" in core or "[" in core:
            others.append(re.escape(p).replace(r"\*", r"\w*").replace(r"\?", r"\w"))
        elif p.startswith("*"):
            behinds.append(f"(?<={re.escape(core)})")
        else:
            behinds.append(rf"(?<=\b{re.escape(core)})")
    alts = []
    if behinds:
        alts.append(r"[A-Za-z_]\w*+(?:" + "|".join(behinds) + ")")
    alts += others
    return "(?:" + "|".join(alts) + ")"


def _prefilter(settings):  # noqa: ANN001, ANN202
    """Cheap signs of a prompt, cached per settings: ``(site_literals,
    name_keywords, assignment_regex)``. A call site shows as a literal such as
    ``completions.create``; a prompt-named assignment needs one of the name
    keywords (lower case) and then the assignment regex."""
    wrappers = tuple(getattr(settings, "wrappers", ()))
    key = (settings.name_patterns, tuple(c.callee for c in settings.call_sites), wrappers)
    found = _PREFILTERS.get(key)
    if found is None:
        sites = set()
        for site in settings.call_sites:
            parts = site.callee.lstrip("*").split(".")
            sites.add(".".join(parts[-2:]) if len(parts) > 1 else parts[0] + "(")
        from .callsites import CLIENT_TIMEOUTS

        sites.update(f"{name}(" for name in CLIENT_TIMEOUTS)
        sites.update(f"{w.rsplit('.', 1)[-1]}(" for w in wrappers)  # a configured wrapper is a sign by itself
        keywords = {p.replace("*", " ").replace("?", " ").replace("_", " ").lower().split()[-1]
                    for p in settings.name_patterns if p.strip("*?_")}
        assign = re.compile(r"^[ \t]*(?:[A-Za-z_]\w*\.){0,3}" + _name_regex(settings.name_patterns)
                            + r"[ \t]*(?::[^=\n]*)?=(?!=)", re.M | re.I)
        keyword_arg = re.compile(r"[(,]\s*" + _name_regex(settings.name_patterns + _KWARG_NAMES)
                                 + r"""[ \t]*=[ \t]*(?:[rRuUfF]{0,2}["']|\[\s*[rRuUfF]{0,2}["'])""", re.I)
        # Where a name keyword is followed (within the name) by ``=``: every line the assignment regex can match
        # holds one, so that regex runs only there (``str.find`` for the few literal words, then a short match,
        # instead of a regex try at every line). Patterns with character classes keep the full scan.
        literal = bool(keywords) and all(re.fullmatch(r"\w+", k) for k in keywords)
        assign_hint = kwarg_hint = None
        if literal:
            assign_hint = (_minimal_words(keywords), re.compile(r"\w*[ \t]*(?::[^=\n]*)?=(?!=)"))
            kwarg_hint = (_minimal_words(keywords | {"instruction", "msgs", "messages"}),
                          re.compile(r"""\w*[ \t]*=[ \t]*(?:[rufb]{0,2}["']|\[\s*[rufb]{0,2}["'])"""))
        # (a literal that holds another, ``AsyncOpenAI(`` and ``OpenAI(``, adds nothing to "any is in the text")
        found = _PREFILTERS[key] = (_minimal_words(sites), tuple(sorted(keywords)), assign, keyword_arg,
                                    assign_hint, kwarg_hint)
    return found


def _minimal_words(words: set[str]) -> tuple[str, ...]:
    """``words`` without those that contain another of them (``prompts`` holds ``prompt``)."""
    return tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))


def _keyword_hits(low: str, hint, seen: dict[str, list[int]] | None = None) -> list[int]:  # noqa: ANN001
    """Offsets in ``low`` (lower-cased source) where a hint word starts and the
    hint's tail regex matches right after it, in file order. (``str.find`` and a
    short match at each: faster than a literal-led regex with a look-ahead per
    word on every corpus measured.) ``seen`` keeps each word's offsets for the
    next hint asked about the same text (the two hints share most words)."""
    words, tail = hint
    hits = []
    for w in words:
        where = seen.get(w) if seen is not None else None
        if where is None:
            where = []
            i = low.find(w)
            while i != -1:
                where.append(i)
                i = low.find(w, i + 1)
            if seen is not None:
                seen[w] = where
        n = len(w)
        hits += [i for i in where if tail.match(low, i + n)]
    hits.sort()
    return hits


def _hinted_assignments(text: str, low: str, assign, hint, seen: dict | None = None):  # noqa: ANN001, ANN202
    """The matches of ``assign`` in ``text``, tried only on lines where ``hint``
    (``(words, tail)``) finds a name keyword before ``=`` in ``low`` (``text``
    lower-cased, same length); without a hint, every line is tried. ``seen``: see
    :func:`_keyword_hits`."""
    if hint is None or len(low) != len(text):
        yield from assign.finditer(text)
        return
    last = -1
    for h in _keyword_hits(low, hint, seen):
        start = text.rfind("\n", 0, h) + 1
        if start == last:
            continue
        last = start
        m = assign.match(text, start)
        if m is not None:
            yield m


def _hinted_keyword_arg(text: str, low: str, keyword_arg, hint, seen: dict | None = None) -> bool:  # noqa: ANN001
    """Does ``keyword_arg`` match in ``text``? Tried only where ``hint`` finds a
    keyword-named argument given a string in ``low`` (``text`` lower-cased): the
    name is walked back to the ``(`` or ``,`` before it. ``seen``: see
    :func:`_keyword_hits`."""
    if hint is None or len(low) != len(text):
        return keyword_arg.search(text) is not None
    for i in _keyword_hits(low, hint, seen):
        while i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_"):
            i -= 1
        j = i
        while j > 0 and text[j - 1].isspace():
            j -= 1
        if j > 0 and text[j - 1] in "(," and keyword_arg.match(text, j - 1):
            return True
    return False


_PREFILTERS: dict = {}


def extract_python(path: str, text: str, index: LineIndex, settings,  # noqa: ANN001
                   hints: frozenset[str] = frozenset()) -> Extraction:
    """Extract prompts from Python source ``text`` (see module docstring).

    A file where :func:`_prefilter` finds no sign of a prompt is not parsed at
    all (most files of a code base). Otherwise CPython's ``ast`` indexes the
    module (assignments by scope, call sites, ``.format`` calls) and libcst
    parses only the statements that hold prompt text, so positions, quote
    styles and concatenation pieces come from libcst without walking the whole
    tree. A file that does not parse yields one :class:`ParseProblem` at the
    parser's position. ``hints`` names module constants that another module
    sends to a model (:func:`promptlint.engine.follow_imports`): each is a
    prompt when it is text, whatever its name says.
    """
    import ast
    import warnings

    result = Extraction(comment_style="hash")
    if not hints and not needs_parse(text, settings, path):
        return result
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except SyntaxError as err:
        if _newer_python(text):
            return result  # valid for a newer Python than the one running (PEP 701 f-strings …): not a defect
        result.problems.append(_syntax_problem(text, index, err))
        return result
    except (ValueError, RecursionError, MemoryError) as exc:
        at = max(0, text.find("\0")) if isinstance(exc, ValueError) else 0  # "cannot contain null bytes": at the first
        result.problems.append(ParseProblem(at, f"Python source cannot be parsed ({type(exc).__name__}: {exc})"))
        return result
    collector = _Collector(text, index, settings)
    collector.collect(tree)
    result.calls = collector.facts
    builder = _Builder(path, text, index, settings, collector)
    builder.hints = hints
    try:
        result.prompts = builder.build()
    except _SnippetError as exc:
        result.problems.append(ParseProblem(exc.offset, f"libcst cannot parse this statement: {exc}"))
    result.imported = sorted(builder.imported)
    result.reads = sorted(builder.reads)
    extra = frozenset(getattr(settings, "cache_decorators", ()))
    if result.prompts and ("cache" in text or "memo" in text or "redis" in text or extra):
        from .caching import may_cache

        if may_cache(text, extra):
            _attach_caches(tree, collector, result.prompts, index, extra)
    return result


def _attach_caches(tree, collector: "_Collector", prompts: list[Prompt], index: LineIndex,  # noqa: ANN001
                   extra: frozenset[str]) -> None:
    """Give each code prompt sent from a cached function that function's
    :class:`~promptlint.extract.caching.CacheFact` (``Prompt.cache``)."""
    from .caching import cache_facts

    lines = {index.position(f.start).line for f in collector.facts if f.kind == "call"}
    lines |= {rec.call.lineno for rec in collector.calls if rec.site.kind != "template" and not rec.site.template_syntax}
    if not lines:
        return
    facts = cache_facts(tree, lines, collector.offset, extra)
    for prompt in prompts:
        if prompt.origin != "code" or prompt.extent is None:
            continue
        around = [f for f in facts if f.start <= prompt.extent[0] < f.end]
        if around:
            prompt.cache = min(around, key=lambda f: f.end - f.start)  # the innermost function


def needs_parse(text: str, settings, path: str = "") -> bool:  # noqa: ANN001
    """Cheap check before any parsing: a call site or marker, or an assignment to
    a prompt-named target whose value is not a one-line string that plainly is
    not instructions (``ERROR_TEMPLATE = "Could not open {path}"``)."""
    import ast
    import warnings

    from .heuristics import reads_as_instructions

    sites, keywords, assign, keyword_arg, assign_hint, kwarg_hint = _prefilter(settings)
    if any(lit in text for lit in sites) or ("promptlint" in text and MARKER.search(text)):
        return True  # a call site or a marker comment
    if "prompt" in path.replace("\\", "/").rsplit("/", 1)[-1].lower():
        return True  # a module named for prompts is read as a catalogue
    if "description" in text and ("Tool" in text or "Function" in text) and _TOOL_WITH_DESCRIPTION.search(text):
        return True  # a tool definition: its description is text the model reads
    low = text.lower()
    if not any(k in low for k in keywords):
        # A class of instruction strings needs no prompt word anywhere: three indented assignments of
        # several-word strings after a ``class`` line are worth a parse.
        return "class " in text and text.count("= ") >= 3 and _string_attributes(text) >= 3
    for m in _promptish_defs(low):
        if m.group(1).startswith("test_"):
            continue
        if _BODY_TEXT.search(low, m.end(), m.end() + 4000):
            return True  # a class or function named for prompts that assigns or returns text soon after
    seen: dict[str, list[int]] = {}
    if _hinted_keyword_arg(text, low, keyword_arg, kwarg_hint, seen):
        return True  # ``ActionNode(instruction="…")``: a prompt-named keyword given text
    for m in _hinted_assignments(text, low, assign, assign_hint, seen):
        nl = text.find("\n", m.end())
        rest = text[m.end():nl if nl != -1 else len(text)]
        one_line = _ONE_LINE_STRING.match(rest)
        if one_line is None:
            if _plainly_no_text(rest) or (m.group(0).lstrip().startswith("self.")
                                           and re.fullmatch(r"[ \t]*[A-Za-z_]\w*[ \t]*(?:#.*)?", rest)):
                # ``self.file_system = file_system``: an instance attribute set from a parameter
                continue  # ``self.default_prompt = kwargs.get("default_prompt", None)``: no text is written here
            return True
        literal = one_line.group(1)
        if "\\" not in literal:
            value = literal.lstrip("rRuU")[1:-1]
        else:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # ``"\`"``: an invalid escape is the user's, not ours to print
                    value = ast.literal_eval(literal)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return True
        if not isinstance(value, str) or reads_as_instructions(value, settings.vocabulary):
            return True
    return "class " in text and text.count("= ") >= 3 and _string_attributes(text) >= 3


#: Keyword names that carry prompts besides the name patterns: MetaGPT's ``ActionNode(instruction=…)`` and
#: ``aask(…, system_msgs=[…])``.
_KWARG_NAMES = ("instruction", "system_msgs", "*_system_msgs", "system_messages")
#: Classes that define a tool for a model (OpenAI's ``ChatCompletionToolParam`` / ``…FunctionChunk`` /
#: ``FunctionDefinition``, LangChain's and crewAI's ``Tool`` / ``StructuredTool``, ``FunctionTool``): the text of
#: their ``description=`` is read by the model when it picks a tool.
_TOOL_CLASS = re.compile(r"(?:ToolParam\w*|FunctionChunk|FunctionDefinition|FunctionTool|StructuredTool|Tool)$")
_TOOL_CALL = re.compile(r"(?:ToolParam\w*|FunctionChunk|FunctionDefinition|FunctionTool|Tool)(?:\.from_function)?\s*\(")
#: A tool definition call with a ``description=`` soon after it opens (the prefilter's sign).
_TOOL_WITH_DESCRIPTION = re.compile(_TOOL_CALL.pattern + r"(?:[^()]|\([^()]*\)){0,300}?\bdescription\s*=")
_PROMPT_KEYWORDS = frozenset({"instruction", "instructions", "system_prompt", "system_message", "system_msgs",
                              "prompt", "user_prompt", "prompt_template"})
_TEMPLATE_NAME = re.compile(r"(?:template|tmpl|prompt)s?$", re.I)
_EXPECTED_NAME = re.compile(r"(?:expected|wanted|golden|want)_", re.I)
_PLACEHOLDER_LIKE = re.compile(r"\{[A-Za-z_]\w*\}|\{\{\s*[A-Za-z_][\w.]*\s*\}\}|\$\{?[A-Za-z_]\w*|%\([A-Za-z_]\w*\)s|\{…\}")
_BARE_FIELD = re.compile(r"(?<![{$])(?<!f\")(?<!f')\{[A-Za-z_]\w*\}(?!\})")
_PROMPTISH_WORD = re.compile(r"prompt|instruction|template|system_?message")
_PROMPTISH_DEFS = tuple(re.compile(kw + r"[ \t]+(\w*(?:" + _PROMPTISH_WORD.pattern + r")\w*)") for kw in ("def", "class"))


def _promptish_defs(low: str) -> list:
    """Matches of ``def``/``class`` plus a name holding a prompt word (group 1,
    the whole name), in file order, on the lower-cased source ``low``. One
    regex per keyword, each starting with its literal (the regex engine's own
    substring search finds them, with no Python step per ``def``)."""
    found = [m for rx in _PROMPTISH_DEFS for m in rx.finditer(low)]
    found.sort(key=lambda m: m.start())
    return found
_BODY_TEXT = re.compile(
    r"""^[ \t]+(?:[A-Za-z_][\w.]*[ \t]*(?::[^=\n]*)?\+?=|return)[ \t(]*(?:[A-Za-z_][\w.]*\()?\s*[rRuUfF]*(?:"{3}|'{3}|"[^"\n]*\s[^"\n]*\s|'[^'\n]*\s[^'\n]*\s)""",
    re.M)
#: Starts at the newline before the line (a literal prefix the regex engine scans for fast; a file's first line is
#: never indented).
_STRING_ATTR = re.compile(
    r"""\n(?: {4}|\t)[A-Za-z_]\w*[ \t]*(?::[^=\n]*)?=[ \t]*[rRuU]?(?:"{3}|'{3}|("[^"\n]*"|'[^'\n]*')[ \t]*(?:#.*)?\r?$)""",
    re.M)


def _string_attributes(text: str) -> int:
    """How many class-body-indented assignments of text ``text`` has (counting
    stops at 3): a triple-quoted string, or a one-line string of six words or
    more. (A prefilter: the instruction test runs after parsing.)"""
    n = 0
    for m in _STRING_ATTR.finditer(text):
        one = m.group(1)
        if one is not None and len(one.split()) < 6:
            continue
        n += 1
        if n >= 3:
            break
    return n


def _plainly_no_text(rest: str) -> bool:
    """Is the right-hand side ``rest`` (one source line) a complete expression
    holding no string of two words or more (no quote, f-string or bracket left
    open for the next line)?"""
    code = rest.split("#", 1)[0].rstrip() if "#" in rest and "'" not in rest and '"' not in rest else rest.rstrip()
    if not code or code.endswith(("\\", "(", "[", "{", "+")) or '"""' in code or "'''" in code:
        return False
    if sum(code.count(c) for c in "([{") != sum(code.count(c) for c in ")]}"):
        return False
    if code.count('"') % 2 or code.count("'") % 2:
        return False  # a quote left open (or an apostrophe inside a string): let the parser decide
    bare = code.strip()
    alias = re.fullmatch(r"[A-Za-z_][\w.]*", bare) and bare not in ("None", "True", "False")
    if "+" in code or "%" in code or alias:
        return False  # ``BASE + TAIL`` or an alias: the text may be written in the constants it names
    if "read_text(" in code or ".read()" in code:
        return False  # the text is a file's (``(HERE / "system.md").read_text()``)
    return _WORDY_STRING.search(code) is None


_WORDY_STRING = re.compile(r"""[fF]?(?:"[^"\n]*\s[^"\n]*"|'[^'\n]*\s[^'\n]*')""")
_ONE_LINE_STRING = re.compile(r"""\s*([rRuU]?(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'))\s*(?:#.*)?$""")


def _newer_python(text: str) -> bool:
    """Does libcst (whose grammar follows newer Pythons than the one running:
    nested quotes and backslashes in f-strings, PEP 701) accept ``text`` that
    CPython's ``ast`` refused? Such a file is not reported as a syntax error; its
    prompts are not extracted (the index is built with ``ast``)."""
    try:
        cst.parse_module(text)
    except Exception:  # noqa: BLE001 - any libcst failure means the syntax error stands
        return False
    return True


def _syntax_problem(text: str, index: LineIndex, err: SyntaxError) -> ParseProblem:
    """Where and why ``text`` does not parse, from CPython's own parser (a null
    byte, which it reports without a position, at the first one)."""
    if err.lineno is None and "\0" in text:
        return ParseProblem(text.find("\0"), f"Python syntax error: {err.msg}")
    line = min(max(1, err.lineno or 1), len(index.line_starts))
    col = max(0, (err.offset or 1) - 1)
    off = min(index.line_starts[line - 1] + col, index.line_end(line))
    return ParseProblem(off, f"Python syntax error: {err.msg}")


def _deep(fn):  # noqa: ANN001, ANN202
    """Run ``fn`` on a thread with a 512 MB stack and a high recursion limit
    (for libcst on statements of thousands of pieces); its exception is re-raised."""
    import sys
    import threading

    box: dict = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    old_limit, old_size = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(max(old_limit, 200_000))
    threading.stack_size(512 * 1024 * 1024)
    try:
        t = threading.Thread(target=run)
        t.start()
        t.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    if "error" in box:
        raise box["error"]
    return box["value"]


class _SnippetError(Exception):
    """libcst could not parse a statement that CPython accepted."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def _positions(module) -> dict:  # noqa: ANN001 - a libcst Module
    """libcst's :class:`~libcst.metadata.PositionProvider` ranges of every node of ``module``.

    ``MetadataWrapper.resolve`` runs the provider's code generation and then one
    more visit of the whole tree for batchable providers, of which there are none
    here; calling the provider's ``_gen_impl`` (libcst's own hook, see
    ``libcst/metadata/base_provider.py``) gives the same mapping in half the time
    (measured on the lint_speed corpus). Should a libcst release change that hook,
    the public path is taken."""
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        provider = PositionProvider()
        provider._computed = {}
        provider._gen_impl(module)
        return provider._computed
    except (AttributeError, TypeError):
        return dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))


class _Snippet:
    """One statement (or compound statement) parsed by libcst on its own.

    Indented statements are parsed inside an ``async def`` wrapper so that
    ``await`` and ``return`` stay valid; positions are mapped back to the file.
    """

    WRAPPER = "async def __promptlint_snippet__():\n"

    def __init__(self, text: str, index: LineIndex, first_line: int, last_line: int) -> None:
        start = index.line_starts[first_line - 1]
        end = index.line_end(last_line)
        src = text[start:end] + "\n"
        indented = src[:1] in (" ", "\t")
        self.shift = 1 if indented else 0
        self.first_line = first_line
        self.index = index
        try:
            module = cst.parse_module(self.WRAPPER + src if indented else src)
        except (cst.ParserSyntaxError, RecursionError, MemoryError) as exc:
            raise _SnippetError(str(getattr(exc, "message", exc)), start) from None
        self.positions = _positions(module)
        self.statements: dict[tuple[int, int], object] = {}
        self.calls: dict[tuple[int, int], object] = {}
        for node, rng in self.positions.items():
            if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return)):
                self.statements[(rng.start.line, rng.start.column)] = node
            elif isinstance(node, cst.Call):
                f = self.positions[node.func].start
                self.calls[(f.line, f.column)] = node

    def local(self, line: int, column: int) -> tuple[int, int]:
        """Snippet position of file ``line`` (1-based) and code-point ``column`` (0-based)."""
        return line - self.first_line + 1 + self.shift, column

    def offset(self, node, end: bool = False) -> int:  # noqa: ANN001
        """File offset where ``node`` starts (or ends)."""
        rng = self.positions[node]
        p = rng.end if end else rng.start
        return self.index.line_starts[p.line - self.shift + self.first_line - 2] + p.column


class _PlainSnippet:
    """A simple statement read without libcst: its libcst nodes are built from
    CPython's ``ast`` of it and placed by the ``ast`` positions.

    Most prompt constants are an assignment (``=``, annotated, ``+=``) or
    ``return`` of one literal or an implicit concatenation of literals
    (parenthesized or not, comments between); most call sites are a statement
    of names, attributes, calls, keywords, lists, tuples, dicts, numbers,
    ``await``, ``-``, ``+``/``%``, simple subscripts and f-strings whose fields
    are dotted names. Such a statement, alone on its lines, gets the nodes and
    file offsets a libcst parse would give (its string nodes from the literals'
    source text, placed by a scan of that text), without libcst's parse and
    code generation (positions are libcst's dearest step). Anything else (an
    f-string field that calls or computes, a lambda, a comprehension, a slice,
    ``**`` in a dict, a compound statement) makes :meth:`build` return ``None``
    and the statement is parsed.
    """

    def __init__(self, statements: dict, calls: dict, positions: dict) -> None:
        self.statements = statements
        self.calls = calls
        self.positions = positions

    def local(self, line: int, column: int) -> tuple[int, int]:
        """Lookups use file positions as they are."""
        return line, column

    def offset(self, node, end: bool = False) -> int:  # noqa: ANN001
        """File offset where ``node`` starts (or ends)."""
        start, stop = self.positions[node]
        return stop if end else start

    @classmethod
    def build(cls, text: str, col: "_Collector", stmt) -> "_PlainSnippet | None":  # noqa: ANN001
        """The snippet of ``ast`` statement ``stmt`` of the file ``text`` (``col``, its
        collector, turns ``ast`` positions into file offsets), or ``None`` when the
        statement is not one this class builds (see the class docstring)."""
        import ast

        value = getattr(stmt, "value", None)
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Expr)) or value is None:
            return None
        if not all(_plain_target(t) for t in getattr(stmt, "targets", [getattr(stmt, "target", None)]) if t):
            return None  # (a call or a subscript in a target would be missing from the snippet's calls)
        if isinstance(stmt, ast.AnnAssign) and any(isinstance(n, ast.Call) for n in ast.walk(stmt.annotation)):
            return None  # ``x: Annotated[str, Field(…)] = …``: so would a call in the annotation
        start = col.offset(stmt.lineno, stmt.col_offset)
        end = col.offset(stmt.end_lineno, stmt.end_col_offset)
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        tail = text[end:line_end if line_end != -1 else len(text)].strip()
        if text[line_start:start].strip() or (tail and not tail.startswith("#")):
            return None  # another statement shares the line (``a = "x"; b = "y"``)
        positions: dict = {}
        calls: dict = {}
        try:
            node = _AstToCst(text, col, positions, calls).convert(value)
        except (_NotPlain, RecursionError):
            return None  # (a chain of a thousand ``+``: libcst parses it on a deep stack, see :func:`_deep`)
        if isinstance(stmt, ast.Expr):
            return cls({}, calls, positions)
        key = (stmt.lineno, col.column(stmt.lineno, stmt.col_offset))
        return cls({key: _PlainStatement(node)}, calls, positions)


def _plain_target(node) -> bool:  # noqa: ANN001
    """An assignment target of names and attributes only (``x``, ``self.x``)."""
    import ast

    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


class _NotPlain(Exception):
    """An ``ast`` node :class:`_AstToCst` does not build: the statement is parsed by libcst."""


class _AstToCst:
    """Builds the libcst nodes of an ``ast`` expression for :class:`_PlainSnippet`,
    recording each node's ``(start, end)`` file offsets in ``positions`` (libcst's
    syntactic ranges: parentheses around a node are outside it, as in ``ast``)
    and each call by its callee's ``(line, column)`` in ``calls``. Raises
    :class:`_NotPlain` for any node outside the set the class docstring of
    :class:`_PlainSnippet` names."""

    def __init__(self, text: str, col: "_Collector", positions: dict, calls: dict) -> None:
        self.text = text
        self.col = col
        self.positions = positions
        self.calls = calls

    def _place(self, out, node):  # noqa: ANN001, ANN202
        self.positions[out] = self.col.extent(node)
        return out

    def _written(self, name: str, start: int) -> str:
        """``name`` (an ``ast`` identifier) when the source has it as such at ``start``;
        :class:`_NotPlain` when the source spells it otherwise (``ast`` gives
        identifiers NFKC-normalised, ``ﬁle`` as ``file``; libcst keeps the source)."""
        if not self.text.startswith(name, start):
            raise _NotPlain
        return name

    def _name(self, name: str, start: int):  # noqa: ANN202 - a keyword or attribute name at ``start``
        out = cst.Name(name)
        self.positions[out] = (start, start + len(name))
        return out

    def convert(self, node):  # noqa: ANN001, ANN201, C901
        """The libcst node of ``ast`` expression ``node``, placed in :attr:`positions`
        (its children too). Raises :class:`_NotPlain` for a node it does not build."""
        import ast

        t = type(node)
        if t is ast.Name:
            return self._place(cst.Name(self._written(node.id, self.col.extent(node)[0])), node)
        if t is ast.Attribute:
            end = self.col.offset(node.end_lineno, node.end_col_offset)
            attr = self._name(self._written(node.attr, end - len(node.attr)), end - len(node.attr))
            return self._place(cst.Attribute(value=self.convert(node.value), attr=attr), node)
        if t is ast.Call:
            func = self.convert(node.func)
            e = self.col.extent(node)[1]
            func_end = self.col.extent(node.func)[1]
            lo = self.text.find("(", func_end, e)
            if lo == -1 or self.text[func_end:lo].strip():
                raise _NotPlain  # ``(f)(x)``, a comment before the parenthesis
            items = sorted([(self.col.extent(a), a) for a in node.args] + [(self.col.extent(k), k) for k in node.keywords],
                           key=lambda item: item[0])  # libcst keeps the source order; ast splits the two kinds
            values = [a.value if isinstance(a, (ast.keyword, ast.Starred)) else a for _, a in items]
            outer = self._outer(values, lo + 1, e - 1)
            args = []
            for ((s, _), a), value, (vs, ve) in zip(items, values, outer):
                if isinstance(a, ast.keyword):
                    arg = (cst.Arg(self.convert(value), star="**") if a.arg is None
                           else cst.Arg(self.convert(value), keyword=self._name(self._written(a.arg, s), s)))
                elif isinstance(a, ast.Starred):
                    arg = cst.Arg(self.convert(value), star="*")
                else:
                    arg = cst.Arg(self.convert(value))
                    s = vs  # (a positional argument's range holds its parentheses)
                self.positions[arg] = (s, ve)
                args.append(arg)
            out = self._place(cst.Call(func=func, args=args), node)
            f = node.func
            self.calls[(f.lineno, self.col.column(f.lineno, f.col_offset))] = out
            return out
        if t is ast.List or (t is ast.Tuple and node.elts):
            s, e = self.col.extent(node)
            inner = (s + 1, e - 1) if t is ast.List else self._tuple_inner(node, s, e)
            values = [x.value if isinstance(x, ast.Starred) else x for x in node.elts]
            outer = self._outer(values, *inner)
            elements = []
            for x, value, (vs, ve) in zip(node.elts, values, outer):
                if isinstance(x, ast.Starred):
                    el = cst.StarredElement(self.convert(value))
                    self.positions[el] = (self.col.extent(x)[0], ve)
                else:
                    el = cst.Element(self.convert(value))
                    self.positions[el] = (vs, ve)
                elements.append(el)
            if t is ast.List:
                return self._place(cst.List(elements), node)
            out = cst.Tuple(elements)
            tail = _COMMENT.sub(lambda m: " " * len(m.group()), self.text[outer[-1][1]:inner[1]])
            comma = len(tail) - len(tail.lstrip(" \t\r\n\f\\"))
            last = outer[-1][1] + comma + 1 if tail[comma:comma + 1] == "," else outer[-1][1]
            first = self.col.extent(node.elts[0])[0] if isinstance(node.elts[0], ast.Starred) else outer[0][0]
            self.positions[out] = (first, last)  # (libcst's range ends after a trailing comma)
            return out
        if t is ast.Dict:
            if any(k is None for k in node.keys):
                raise _NotPlain  # ``**base``: ast does not place the ``**``
            s, e = self.col.extent(node)
            outer = self._outer([x for pair in zip(node.keys, node.values) for x in pair], s + 1, e - 1)
            elements = []
            for i, (k, v) in enumerate(zip(node.keys, node.values)):
                el = cst.DictElement(self.convert(k), self.convert(v))
                self.positions[el] = (outer[2 * i][0], outer[2 * i + 1][1])
                elements.append(el)
            return self._place(cst.Dict(elements), node)
        if t is ast.Constant:
            return self._constant(node)
        if t is ast.JoinedStr:
            return self._strings(node, fstrings=True)
        if t is ast.Await:
            return self._place(cst.Await(self.convert(node.value)), node)
        if t is ast.UnaryOp and isinstance(node.op, ast.USub):
            return self._place(cst.UnaryOperation(cst.Minus(), self.convert(node.operand)), node)
        if t is ast.BinOp and isinstance(node.op, (ast.Add, ast.Mod)):
            op = cst.Add() if isinstance(node.op, ast.Add) else cst.Modulo()
            return self._place(cst.BinaryOperation(self.convert(node.left), op, self.convert(node.right)), node)
        if t is ast.Subscript and isinstance(node.slice, (ast.Constant, ast.Name, ast.UnaryOp, ast.Attribute)):
            e = self.col.extent(node)[1]
            value_end = self.col.extent(node.value)[1]
            lo = self.text.find("[", value_end, e)
            if lo == -1 or self.text[value_end:lo].strip():
                raise _NotPlain
            (where,) = self._outer([node.slice], lo + 1, e - 1)
            index = cst.Index(self.convert(node.slice))
            element = cst.SubscriptElement(index)
            self.positions[index] = self.positions[element] = where
            return self._place(cst.Subscript(self.convert(node.value), [element]), node)
        raise _NotPlain

    def _tuple_inner(self, node, start: int, end: int) -> tuple[int, int]:  # noqa: ANN001
        """The stretch of a tuple inside its own parentheses (``ast``'s range holds
        them, libcst's does not), or its whole range when it has none: ``(a), (b)``
        is a tuple of two parenthesized names, told by the parentheses between
        the elements."""
        text = self.text
        cuts = [self.col.extent(e) for e in node.elts]
        if not (text[start] == "(" and text[end - 1] == ")") or cuts[0][0] <= start or cuts[-1][1] >= end:
            return start, end  # (``(a, b), (c)``: the outer parentheses are the elements')
        gaps = [(start + 1, cuts[0][0])] + [(a[1], b[0]) for a, b in zip(cuts, cuts[1:])] + [(cuts[-1][1], end - 1)]
        depth = 0
        for a, b in gaps:
            for ch in _COMMENT.sub("", text[a:b]):
                depth += 1 if ch == "(" else -1 if ch == ")" else 0
                if depth < 0:
                    return start, end  # the first parenthesis closes before the last: not the tuple's
        return start + 1, end - 1

    def _outer(self, nodes: list, lo: int, hi: int) -> list[tuple[int, int]]:
        """Each of ``nodes`` (children of one container, in source order) placed
        with the parentheses around it, which libcst counts in the node's
        ``Element``/``Arg``/``DictElement`` but ``ast`` leaves out; ``lo``/``hi``
        bound the container's inside. Between the children there are only
        commas, parentheses, keywords, stars, colons, blanks and comments (the
        comments are blanked before the parentheses are looked for)."""
        text = self.text
        cuts = [self.col.extent(n) for n in nodes]
        out: list[tuple[int, int]] = []
        for k, (s, e) in enumerate(cuts):
            left = out[-1][1] if out else lo
            right = cuts[k + 1][0] if k + 1 < len(cuts) else hi
            before = _COMMENT.sub(lambda m: " " * len(m.group()), text[left:s])
            after = _COMMENT.sub(lambda m: " " * len(m.group()), text[e:right])
            while True:
                b, a = before.rstrip(" \t\r\n\f\\"), after.lstrip(" \t\r\n\f\\")
                if not (b.endswith("(") and a.startswith(")")):
                    break
                s = left + len(b) - 1
                e = right - len(a) + 1
                before, after = b[:-1], a[1:]
            out.append((s, e))
        return out

    def _strings(self, node, fstrings: bool = False):  # noqa: ANN001, ANN202
        """A string literal or an implicit concatenation of literals (f-strings among them when ``fstrings``)."""
        start, end = self.col.extent(node)
        pieces = _literal_pieces(self.text, start, end, fstrings)
        if not pieces:
            raise _NotPlain
        leaves = []
        for s, e in pieces:
            leaf = self._fstring(s, e) if fstrings else cst.SimpleString(self.text[s:e])
            self.positions[leaf] = (s, e)
            leaves.append(leaf)
        out = leaves[-1]
        for leaf in reversed(leaves[:-1]):  # ``"a" "b" "c"`` nests to the right, as libcst parses it
            out = cst.ConcatenatedString(left=leaf, right=out)
            self.positions[out] = (self.positions[leaf][0], pieces[-1][1])
        return out

    def _fstring(self, start: int, end: int):  # noqa: ANN202, C901
        """The node of the literal ``text[start:end]``: a ``FormattedString`` when it
        is an f-string whose replacement fields are dotted names with at most a
        conversion and a plain format spec (``{name}``, ``{ self.role !r:>8}``),
        else a ``SimpleString``. Raises :class:`_NotPlain` for other fields and for
        ``\\N{…}`` escapes (their braces are not a field)."""
        text = self.text
        p = start
        while text[p] in "rRuUbBfF":
            p += 1
        prefix = text[start:p].lower()
        if "f" not in prefix:
            return cst.SimpleString(text[start:end])
        q = 3 if text.startswith(text[p] * 3, p) else 1
        body_end = end - q
        parts: list = []
        i = run = p + q
        while i < body_end:
            c = text[i]
            if c == "\\":
                if "r" not in prefix and text.startswith("N{", i + 1):
                    raise _NotPlain
                i += 1 if "r" in prefix or text[i + 1] in "{}" else 2
                continue
            if c not in "{}":
                i += 1
                continue
            if text.startswith(c * 2, i):
                i += 2  # ``{{`` / ``}}`` stay in the text, as libcst keeps them
                continue
            close = text.find("}", i, body_end)
            m = _FSTRING_FIELD.fullmatch(text, i + 1, close) if c == "{" and close != -1 else None
            if m is None:
                raise _NotPlain
            if i > run:
                parts.append(self._text_part(run, i))
            expression = None
            at = m.start("name")
            for word in m.group("name").split("."):
                if iskeyword(word):
                    raise _NotPlain  # ``{yield}``, ``{None}``: not a name node in libcst's tree
                name = self._name(word, at)
                if expression is None:
                    expression = name
                else:
                    expression = cst.Attribute(value=expression, attr=name)
                    self.positions[expression] = (m.start("name"), at + len(word))
                at += len(word) + 1
            spec = m.group("spec")
            field = cst.FormattedStringExpression(
                expression, conversion=m.group("conv"),
                format_spec=[self._text_part(m.start("spec"), m.end("spec"))] if spec else None,
                whitespace_before_expression=cst.SimpleWhitespace(m.group("before")),
                whitespace_after_expression=cst.SimpleWhitespace(m.group("after")))
            self.positions[field] = (i, close + 1)
            parts.append(field)
            i = run = close + 1
        if body_end > run:
            parts.append(self._text_part(run, body_end))
        return cst.FormattedString(parts, start=text[start:p + q], end=text[p:p + q])

    def _text_part(self, start: int, end: int):  # noqa: ANN202
        out = cst.FormattedStringText(self.text[start:end])
        self.positions[out] = (start, end)
        return out

    def _constant(self, node):  # noqa: ANN001, ANN202
        value = node.value
        start, end = self.col.extent(node)
        if isinstance(value, str):
            return self._strings(node)
        if value is None or isinstance(value, bool):
            out = cst.Name(str(value))
        elif type(value) is int:
            out = cst.Integer(self.text[start:end])
        elif type(value) is float:
            out = cst.Float(self.text[start:end])
        else:
            raise _NotPlain  # bytes, complex numbers, ``...``
        self.positions[out] = (start, end)
        return out


class _PlainStatement:
    """The one field of a statement the builder reads: its ``value`` node."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:  # noqa: ANN001
        self.value = value


_PREFIX = frozenset("rRuUbB")


#: A comment, in the stretches between the children of a container (see :meth:`_AstToCst._outer`).
_COMMENT = re.compile(r"#[^\n]*")

#: A replacement field of an f-string that :class:`_AstToCst` builds (the text between its braces).
_FSTRING_FIELD = re.compile(r"(?P<before> *)(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?P<after> *)"
                            r"(?:!(?P<conv>[rsa]))?(?::(?P<spec>[^{}\\'\"\n]+))?")


def _literal_pieces(text: str, start: int, end: int, fstrings: bool = False) -> list[tuple[int, int]] | None:
    """``(start, end)`` file offsets of each string literal in ``text[start:end]``
    when that stretch holds only literals (f-strings too when ``fstrings``),
    whitespace, comments and line continuations; ``None`` otherwise."""
    prefixes = _PREFIX | {"f", "F"} if fstrings else _PREFIX
    pieces = []
    i = start
    while i < end:
        c = text[i]
        if c in " \t\r\n\f":
            i += 1
            continue
        if c == "#":
            nl = text.find("\n", i, end)
            i = end if nl == -1 else nl
            continue
        if c == "\\" and text.startswith("\n", i + 1):
            i += 2
            continue
        j = i
        while j < end and text[j] in prefixes and j - i < 2:
            j += 1
        if j >= end or text[j] not in "'\"":
            return None  # a name, an operator, an f-string prefix …
        q = text[j] * 3 if text.startswith(text[j] * 3, j) else text[j]
        k = _closing_quote(text, j + len(q), end, q)
        if k is None:
            return None
        pieces.append((i, k + len(q)))
        i = k + len(q)
    return pieces or None


def _closing_quote(text: str, body: int, end: int, q: str) -> int | None:
    """Offset of the quote ``q`` that closes a literal whose body starts at ``body``
    (a quote after an odd run of backslashes is escaped), or ``None`` when none
    does before ``end`` or, for a one-quote literal, an unescaped newline comes
    first. (``str.find`` per quote: a literal is scanned by C, not a Python step
    per character.)"""
    k = body
    while True:
        k = text.find(q, k, end)
        if k == -1:
            return None
        if len(q) == 1:
            nl = text.find("\n", body, k)
            while nl != -1 and _escaped(text, body, nl):
                nl = text.find("\n", nl + 1, k)
            if nl != -1:
                return None
        if not _escaped(text, body, k):
            return k
        k += 1


def _escaped(text: str, body: int, at: int) -> bool:
    """Is the character at ``at`` preceded by an odd run of backslashes (not before ``body``)?"""
    run = at
    while run > body and text[run - 1] == "\\":
        run -= 1
    return (at - run) % 2 == 1


def _leaf_nodes() -> frozenset:
    """``ast`` node types with no node below them that :meth:`_Collector._exprs` looks at."""
    import ast

    return frozenset({ast.Constant, ast.Name, ast.Load, ast.Store, ast.Del}
                     | {t for t in vars(ast).values() if isinstance(t, type)
                        and issubclass(t, (ast.operator, ast.unaryop, ast.cmpop, ast.boolop))})


_LEAF_NODES = _leaf_nodes()

#: How :meth:`_Collector._stmts` walks a statement's field: a list of statements, except handlers or match
#: cases, or expressions.
_BODY, _CLAUSES, _EXPRS = "body", "clauses", "exprs"
#: Statement type -> ``((field, part), …)`` in ``_fields`` order, leaving out fields that never hold an
#: expression worth a look (names, ``import`` aliases, type comments, ``global`` names); see :func:`_stmt_plan`.
_STMT_PLANS: dict[type, tuple[tuple[str, str], ...]] = {}
_NO_EXPRESSION = frozenset({"name", "names", "module", "level", "type_comment", "simple", "is_async"})


def _stmt_plan(t: type) -> tuple[tuple[str, str], ...]:
    """The fields of statement type ``t`` as :meth:`_Collector._stmts` walks them
    (cached in :data:`_STMT_PLANS`): ``body``/``orelse``/``finalbody`` hold
    statements, ``handlers``/``cases`` except clauses or match cases, the rest
    expressions, in the order of ``t._fields`` (the order calls are recorded in)."""
    plan = []
    for field in t._fields:
        if field in ("body", "orelse", "finalbody"):
            plan.append((field, _BODY))
        elif field in ("handlers", "cases"):
            plan.append((field, _CLAUSES))
        elif field not in _NO_EXPRESSION:
            plan.append((field, _EXPRS))
    _STMT_PLANS[t] = found = tuple(plan)
    return found


@dataclass
class _Assignment:
    name: str
    stmt: object  # ast statement
    scope: tuple[str, ...]
    line: int
    public: bool
    extent: tuple[int, int]


@dataclass
class _CallRecord:
    call: object  # ast.Call
    stmt: object  # the innermost ast statement holding it
    site: CallSite
    target: str | None
    scope: tuple[str, ...]


class _Collector:
    """Indexes a module with CPython's ``ast``: assignments by scope, calls to
    known LLM call sites, ``NAME.format(...)`` calls and ``NAME % ...`` uses."""

    def __init__(self, text: str, index: LineIndex, settings) -> None:  # noqa: ANN001
        self.text = text
        self.index = index
        self.settings = settings
        self.assignments: dict[tuple[tuple[str, ...], str], _Assignment] = {}
        self.calls: list[_CallRecord] = []
        self.format_calls: dict[str, list[object]] = {}
        self.percent_names: set[str] = set()
        # Data flow: ``NAME += …`` and ``NAME.append(…)`` / ``.extend(…)`` by (scope, NAME); functions and classes
        # by (scope, name); the ``return`` statements of each function (by id of its def); ``self.x = …`` by
        # (class scope, x).
        self.augments: dict[tuple[tuple[str, ...], str], list[object]] = {}
        self.appends: dict[tuple[tuple[str, ...], str], list[tuple[object, object]]] = {}
        self.functions: dict[tuple[tuple[str, ...], str], object] = {}
        self.returns: dict[int, list[object]] = {}
        self.classes: dict[tuple[tuple[str, ...], str], object] = {}
        self.class_scopes: set[tuple[str, ...]] = set()
        self.self_attrs: dict[tuple[tuple[str, ...], str], _Assignment] = {}
        # Keyword arguments with prompt names (``ChatAgent(system_message="You are …")``): (call, stmt, kw, scope).
        self.kwargs: list[tuple[object, object, object, tuple[str, ...]]] = []
        #: ``description=`` keywords of tool definitions (see :data:`_TOOL_CLASS`): ``(call, statement, keyword,
        #: scope)``.
        self.tool_descriptions: list[tuple[object, object, object, tuple[str, ...]]] = []
        self.kwarg_name = re.compile(_name_regex(settings.name_patterns + _KWARG_NAMES), re.I)
        self._ascii = text.isascii()
        self.wrappers = WRAPPERS | {w.rsplit(".", 1)[-1] for w in getattr(settings, "wrappers", ())}
        # The last name of each call-site pattern ("create", "PromptTemplate"): other calls are skipped at once.
        from .callsites import CLIENT_TIMEOUTS

        self.site_names = _site_names(tuple(sorted({s.callee.rsplit(".", 1)[-1] for s in settings.call_sites}
                                                   | set(CLIENT_TIMEOUTS))))
        self.facts: list = []  # CallFact of each LLM request and client construction
        self.imports: dict[str, str] = {}  # name -> module of ``from module import name``
        #: name bound by ``from module import name [as alias]`` -> (module with one leading dot per level, name)
        self.import_from: dict[str, tuple[str, str]] = {}
        #: name (or dotted path) bound by ``import module [as name]`` -> the module
        self.import_module: dict[str, str] = {}
        #: (scope, name) bound by ``with EXPR as name`` -> ``(line, EXPR)`` of each such ``with``, in file order
        self.with_items: dict[tuple[tuple[str, ...], str], list[tuple[int, object]]] = {}

    def column(self, line: int, col_bytes: int) -> int:
        """Code-point column of an ``ast`` UTF-8 byte column on 1-based ``line``."""
        if self._ascii:
            return col_bytes
        start = self.index.line_starts[line - 1]
        raw = self.text[start:self.index.line_end(line)]
        return len(raw.encode("utf-8")[:col_bytes].decode("utf-8", "ignore"))

    def offset(self, line: int, col_bytes: int) -> int:
        """File offset of an ``ast`` position."""
        return self.index.line_starts[line - 1] + self.column(line, col_bytes)

    def extent(self, node) -> tuple[int, int]:  # noqa: ANN001
        return (self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset))

    def collect(self, tree) -> None:  # noqa: ANN001
        """Index ``tree`` (a module). Statements are walked in source order, so
        the first assignment of a name is the one kept; expressions are walked
        only on lines where a call of interest (a call-site name, ``format``,
        ``append``, ``extend``) or a ``%`` appears, found first by one regex over
        the text (most expression nodes of a module are never visited)."""
        self.tree = tree
        self._lines = self._interesting_lines()
        self._stmts(tree.body, (), (), None)

    def _interesting_lines(self) -> list[int] | None:
        """Sorted numbers (1-based) of the lines worth a look, or ``None`` when
        every expression must be (a call site named only by wildcards)."""
        if any(not f for f in self.site_names.fragments):
            return None  # a call site named only by wildcards (``*``): every expression is looked at
        calls, fragments, cores, lowered = self._line_words()
        text = self.text
        starts: list[int] = []
        word, opens, assigns = _WORD_CHAR.match, _CALL_OPEN.match, _ASSIGN_TAIL.match
        for name in calls:  # ``name(`` after a non-identifier character
            size = len(name)
            i = text.find(name)
            while i != -1:
                if (i == 0 or word(text, i - 1) is None) and opens(text, i + size) is not None:
                    starts.append(i)
                i = text.find(name, i + size)
        for piece in fragments:  # the literal run of a wildcard call-site name, anywhere
            i = text.find(piece)
            while i != -1:
                starts.append(i)
                i = text.find(piece, i + len(piece))
        for lead, rx in _TOOL_LEADS:  # tool definitions (:data:`_TOOL_CALL`)
            i = text.find(lead)
            while i != -1:
                if rx.match(text, i) is not None:
                    starts.append(i)
                i = text.find(lead, i + len(lead))
        low = text.lower() if lowered else text
        if lowered and len(low) == len(text):  # (lower-casing may change lengths outside ASCII: then the regex)
            for core in cores:  # a prompt-named assignment target ends in ``core``: ``…_prompt =``
                size = len(core)
                i = low.find(core)
                while i != -1:
                    if assigns(low, i + size) is not None:
                        starts.append(i)
                    i = low.find(core, i + size)
        else:
            starts += [m.start() for m in self._lines_rx(slow=True)[1].finditer(text)]
        at = text.find("%")
        while at != -1:
            starts.append(at)
            at = text.find("%", at + 1)
        line_starts = self.index.line_starts
        return sorted({bisect.bisect_right(line_starts, i) for i in starts})

    def _line_words(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]:
        """What :meth:`_interesting_lines` looks for with ``str.find`` (cached per
        settings; a Python regex alternation of twenty names scans ten times
        slower): call names, literal runs of wildcard call-site names, and
        the suffixes of prompt-named assignment targets, lower-cased (the flag;
        else the case-insensitive regex of :meth:`_lines_rx`)."""
        key = (tuple(sorted(self.site_names.exact)), tuple(self.site_names.fragments), self.settings.name_patterns)
        found = _LINE_WORDS.get(key)
        if found is None:
            calls = tuple(sorted(self.site_names.exact | {"format", "append", "extend"}))
            fragments = tuple(self.site_names.runs)
            patterns = self.settings.name_patterns + _KWARG_NAMES
            cores = {(p[1:] if p.startswith("*") else p).lower() for p in patterns}
            literal = not any(ch in c for c in cores for ch in "*?[")
            found = (calls, fragments, tuple(sorted(cores)) if literal else (), literal)
            if len(_LINE_WORDS) > 16:
                _LINE_WORDS.clear()
            _LINE_WORDS[key] = found
        return found

    def _lines_rx(self, slow: bool = False) -> tuple[re.Pattern[str], re.Pattern[str], bool]:
        """The regexes that mark the lines of :meth:`_interesting_lines` (cached
        per settings): calls of the call-site names, ``format``/``append``/
        ``extend`` and tool definitions (case-sensitive: identifiers are); and
        assignments to prompt-named targets, as literal suffixes (``_prompt =``)
        in the lower-cased text when every name pattern is a suffix or a name,
        else (or ``slow``) with the identifier-and-look-behind regex of
        :func:`_name_regex`, case-insensitive. Both find a superset of what the
        collector keeps (they only mark lines worth a look). The flag says
        whether the names regex wants lower-cased text. (The ``str.find`` scan
        of :meth:`_interesting_lines` marks the same lines, faster; the names
        regex is its fallback where the name patterns are not plain suffixes,
        and both are the reference its test compares with.)"""
        key = (tuple(sorted(self.site_names.exact)), tuple(self.site_names.fragments),
               self.settings.name_patterns, slow)
        found = _LINES_RX.get(key)
        if found is None:
            names = [re.escape(n) for n in sorted(self.site_names.exact | {"format", "append", "extend"})]
            wild = "".join("|" + f for f in self.site_names.fragments)
            calls = re.compile(r"\b(?:" + "|".join(names) + r")\s*\(" + wild + "|" + _TOOL_CALL.pattern)
            patterns = self.settings.name_patterns + _KWARG_NAMES
            cores = {(p[1:] if p.startswith("*") else p).lower() for p in patterns}
            if slow or any(ch in c for c in cores for ch in "*?["):
                named = re.compile(r"(?<!\w)" + _name_regex(patterns) + r"[ \t]*=(?!=)", re.I)
                found = (calls, named, False)
            else:
                literal = "|".join(re.escape(c) for c in sorted(cores, key=len, reverse=True))
                found = (calls, re.compile("(?:" + literal + r")(?!\w)[ \t]*=(?!=)"), True)
            if len(_LINES_RX) > 16:
                _LINES_RX.clear()
            _LINES_RX[key] = found
        return found

    def _touches(self, node) -> bool:  # noqa: ANN001
        """Does ``node`` span a line of :meth:`_interesting_lines`?"""
        lines = self._lines
        if lines is None:
            return True
        first = getattr(node, "lineno", None)
        if first is None:
            return True
        i = bisect.bisect_left(lines, first)
        return i < len(lines) and lines[i] <= (getattr(node, "end_lineno", None) or first)

    def _stmts(self, body, scope: tuple[str, ...], kinds: tuple[str, ...], func) -> None:  # noqa: ANN001
        import ast

        plans = _STMT_PLANS
        for st in body:
            t = type(st)
            plan = plans.get(t) or _stmt_plan(t)
            if t is ast.ImportFrom:
                for alias in st.names:
                    if st.module:
                        self.imports[alias.asname or alias.name] = st.module
                    if alias.name != "*":
                        self.import_from[alias.asname or alias.name] = ("." * st.level + (st.module or ""), alias.name)
            elif t is ast.Import:
                for alias in st.names:  # ``import app.texts as texts`` / ``import app.texts``: ``….GUIDE`` reads there
                    self.import_module[alias.asname or alias.name] = alias.name
            elif t is ast.With or t is ast.AsyncWith:
                for item in st.items:  # ``with open(PATH) as fh``: what ``fh.read()`` reads
                    if isinstance(item.optional_vars, ast.Name):
                        self.with_items.setdefault((tuple(scope), item.optional_vars.id), []).append(
                            (st.lineno, item.context_expr))
            elif t is ast.Assign or t is ast.AnnAssign:
                self._assignment(st, scope, kinds)
            elif t is ast.AugAssign:
                if isinstance(st.op, ast.Add) and isinstance(st.target, ast.Name):
                    self.augments.setdefault((tuple(scope), st.target.id), []).append(st)
            elif t is ast.Return:
                if st.value is not None and func is not None:
                    self.returns.setdefault(id(func), []).append(st)
            inner_scope, inner_kinds, inner_func = scope, kinds, func
            if t is ast.ClassDef:
                inner_scope = scope + (st.name,)
                inner_kinds = kinds + ("class",)
                self.classes.setdefault((tuple(scope), st.name), st)
                self.class_scopes.add(tuple(inner_scope))
            elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
                inner_scope = scope + (st.name,)
                inner_kinds = kinds + ("def",)
                self.functions.setdefault((tuple(scope), st.name), st)
                inner_func = st
            for field, part in plan:
                value = getattr(st, field, None)
                if not value:
                    continue
                if part is _BODY:
                    self._stmts(value, inner_scope, inner_kinds, inner_func)
                elif part is _CLAUSES:
                    for h in value:  # except handlers and match cases hold statements and an expression
                        self._stmts(h.body, inner_scope, inner_kinds, inner_func)
                        head = getattr(h, "type", None) or getattr(h, "guard", None)
                        if head is not None:
                            self._exprs(head, scope, kinds, st)
                else:
                    # Decorators, bases and defaults belong to the enclosing scope; a body's expressions to the
                    # statement's own (for a simple statement the two are the same).
                    for node in value if type(value) is list else (value,):
                        if isinstance(node, ast.AST) and self._touches(node):
                            self._exprs(node, scope, kinds, st)

    def _exprs(self, node, scope: tuple[str, ...], kinds: tuple[str, ...], stmt) -> None:  # noqa: ANN001
        """Calls and ``NAME % …`` inside expression ``node`` (no recursion: a
        concatenation may have thousands of pieces)."""
        import ast

        AST = ast.AST
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Call):
                self._call(n, scope, kinds, stmt)
            elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod) and isinstance(n.left, ast.Name):
                self.percent_names.add(n.left.id)
            children = []  # (ast.iter_child_nodes, without its two generators; leaves are not pushed)
            for name in n._fields:
                value = getattr(n, name, None)
                if isinstance(value, list):
                    children += [x for x in value if isinstance(x, AST) and type(x) not in _LEAF_NODES]
                elif isinstance(value, AST) and type(value) not in _LEAF_NODES:
                    children.append(value)
            children.reverse()
            stack += children

    def _assignment(self, node, scope, kinds) -> None:  # noqa: ANN001
        import ast

        if node.value is None:
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        in_def = "def" in kinds
        for t in targets:
            if isinstance(t, ast.Name):
                name = t.id
                qual = ".".join(scope + (name,)) if kinds and kinds[-1] == "class" else name
                public = not in_def
            elif isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in ("self", "cls"):
                name = t.attr
                cls = [s for s, k in zip(scope, kinds) if k == "class"]
                qual = ".".join(cls[-1:] + [name])
                public = True
                last = max((i for i, k in enumerate(kinds) if k == "class"), default=None)
                if last is not None:
                    key = (tuple(scope[:last + 1]), name)
                    if key not in self.self_attrs:
                        self.self_attrs[key] = _Assignment(qual, node, tuple(scope), node.lineno, True, self.extent(node))
            elif isinstance(t, ast.Attribute) and self.kwarg_name.fullmatch(t.attr) and dotted_name(t.value):
                # ``llm.system_prompt = "You are …"``, ``self.llm.system_prompt = …``: an attribute of another
                # object, set to a prompt
                name = f"{dotted_name(t.value)}.{t.attr}"
                qual = ".".join(scope + (name,)) if in_def else name
                public = not in_def
            else:
                continue
            key = (tuple(scope), name)
            if key not in self.assignments:
                self.assignments[key] = _Assignment(qual, node, tuple(scope), node.lineno, public, self.extent(node))

    def _sdk_class(self, callee: str, last: str) -> bool:
        """Is ``callee`` (ending in client class ``last``) the SDK's class: reached
        through the ``openai`` / ``anthropic`` / ``langchain_openai`` module, or
        imported from it (promptflow's own ``AzureOpenAI`` tool is not)?"""
        if "." in callee:
            return callee.split(".", 1)[0] in _SDK_MODULES
        module = self.imports.get(last)
        return module is not None and module.split(".", 1)[0] in _SDK_MODULES

    def _call(self, node, scope, kinds, stmt) -> None:  # noqa: ANN001
        import ast

        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if last in ("append", "extend") and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            self.appends.setdefault((tuple(scope), func.value.id), []).append((node, stmt))
            return
        for kw in node.keywords:
            if kw.arg and self.kwarg_name.fullmatch(kw.arg) and not isinstance(kw.value, ast.Name):
                self.kwargs.append((node, stmt, kw, tuple(scope)))
            elif kw.arg == "description" and _tool_class(func):
                self.tool_descriptions.append((node, stmt, kw, tuple(scope)))
        if last is None or (last != "format" and last not in self.site_names):
            return
        callee = dotted_name(node.func)
        if callee is None:
            return
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format" and isinstance(node.func.value, ast.Name):
            self.format_calls.setdefault(node.func.value.id, []).append(node)
        from .callsites import CLIENT_TIMEOUTS

        site = _site_for(self.settings.call_sites, callee)
        client = last in CLIENT_TIMEOUTS and self._sdk_class(callee, last)
        if client or (site is not None and site.kind != "template" and not site.template_syntax):
            from .base import CallFact

            start = self.offset(node.func.lineno, node.func.col_offset)
            end = self.offset(node.func.end_lineno, node.func.end_col_offset)
            streamed = any(k.arg == "stream" and isinstance(k.value, ast.Constant) and k.value.value is True
                           for k in node.keywords)
            scorer = any(kind == "class" and "Reward" in name for name, kind in zip(scope, kinds))
            self.facts.append(CallFact("client" if client else "call", callee, start, end,
                                       frozenset(k.arg for k in node.keywords if k.arg),
                                       any(k.arg is None for k in node.keywords), streamed, scorer))
        if site is None:
            return
        target = None
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is node:
            t = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
            if isinstance(t, ast.Name):
                target = ".".join(scope + (t.id,)) if kinds and kinds[-1] == "class" else t.id
        self.calls.append(_CallRecord(node, stmt, site, target, tuple(scope)))


def _ast_text(col: "_Collector", node, scope: tuple[str, ...], depth: int = 0) -> str | None:  # noqa: ANN001
    """A cheap approximation, from CPython's ``ast``, of the text a string
    expression builds (values it cannot follow become ``{…}``), or ``None`` when
    ``node`` is plainly not a string. Used to screen candidates before libcst
    parses their statements; never for positions or findings."""
    import ast

    if depth > 6 or node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{…}"
                       for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        left = _ast_text(col, node.left, scope, depth + 1)
        right = _ast_text(col, node.right, scope, depth + 1) if isinstance(node.op, ast.Add) else ""
        if left is None and right is None:
            return None
        return (left or "{…}") + (right or "")
    if isinstance(node, ast.Name):
        for i in range(len(scope), -1, -1):
            a = col.assignments.get((scope[:i], node.id))
            if a is not None:
                return _ast_text(col, a.stmt.value, a.scope, depth + 1)
        return None
    if isinstance(node, ast.Call):
        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if isinstance(func, ast.Attribute) and last in ("format", "strip", "lstrip", "rstrip", "replace"):
            return _ast_text(col, func.value, scope, depth + 1)
        if isinstance(func, ast.Attribute) and last == "join" and node.args:
            arg = node.args[0]
            items = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
            texts = [_ast_text(col, e, scope, depth + 1) for e in items]
            return "\n".join(t for t in texts if t) if any(t is not None for t in texts) else None
        if last in ("dedent", "cleandoc") or last in col.wrappers:
            arg = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg in _WRAPPER_KEYS), None)
            return _ast_text(col, arg, scope, depth + 1)
        if (scope, last) in col.functions or ((), last) in col.functions:
            return "{…}"  # a call of a module function: followed by the full evaluation
    return None


_SDK_MODULES = frozenset({"openai", "anthropic", "langchain_openai", "langchain_community", "langchain"})
_SITE_MATCHERS: dict = {}
_NAME_MATCHERS: dict = {}


def _site_for(sites: tuple, callee: str):  # noqa: ANN202
    """The first call site of ``sites`` whose pattern matches dotted ``callee``
    (or ``.callee``), through one combined regex per tuple of sites (cached)."""
    rx = _SITE_MATCHERS.get(sites)
    if rx is None:
        rx = _SITE_MATCHERS[sites] = re.compile("|".join(
            f"(?P<s{i}>{fnmatch.translate(site.callee)[4:-3]})" for i, site in enumerate(sites)), re.S)
    m = rx.fullmatch(callee) or rx.fullmatch("." + callee)
    return sites[int(m.lastgroup[1:])] if m is not None else None


def _carries_text(text: str) -> bool:
    """Is template ``text`` more than a data-formatting pattern: several lines, a
    placeholder, and four words or more outside its placeholders
    (``"### Legacy Content\n{old_design}\n### New Requirements\n{context}"``, not
    ``"{day}: {summary} ({rain_mm} mm)"``)?"""
    if "\n" not in text.strip() or not _PLACEHOLDER_LIKE.search(text):
        return False
    from .heuristics import looks_like_code

    if looks_like_code(text) or re.search(r"<(?:html|head|body|div|script|style|table)\b", text, re.I):
        return False  # an HTML page or SQL with placeholders is a template, not a prompt
    bare = _PLACEHOLDER_LIKE.sub(" ", text)
    return len(re.findall(r"[^\W\d_]{2,}", bare)) >= 4


def _partial_wrapper(node) -> bool:  # noqa: ANN001 - an ast expression
    """Is ``node`` a call of a prompt class whose ``.format`` fills placeholders
    partially (camel's ``TextPrompt`` / ``CodePrompt``)?"""
    import ast

    if not isinstance(node, ast.Call):
        return False
    f = node.func
    last = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return last in ("TextPrompt", "CodePrompt")


def _looks_like_message(node) -> bool:  # noqa: ANN001 - an ast expression
    """Is ``node`` a ``{"role": …, "content": …}`` dict or a ``dict(role=…, content=…)`` call?"""
    import ast

    if isinstance(node, ast.Dict):
        keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
        return {"role", "content"} <= keys
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return {"role", "content"} <= {k.arg for k in node.keywords}
    return False


_LINES_RX: dict[tuple, tuple[re.Pattern[str], re.Pattern[str], bool]] = {}
_LINE_WORDS: dict[tuple, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]] = {}
_WORD_CHAR = re.compile(r"\w")
_CALL_OPEN = re.compile(r"\s*\(")
_ASSIGN_TAIL = re.compile(r"(?!\w)[ \t]*=(?!=)")
#: :data:`_TOOL_CALL` as literal leads, each with the regex that confirms a call at it (``FunctionTool`` and
#: ``ToolParam…`` are found at their ``Tool``, on the same line).
_TOOL_LEADS = (("Tool", re.compile(r"Tool(?:Param\w*)?(?:\.from_function)?\s*\(")),
               ("FunctionChunk", _TOOL_CALL), ("FunctionDefinition", _TOOL_CALL))


class _SiteNames:
    """The last names of the call-site patterns (``create``, ``*PromptTemplate``):
    ``exact`` names, and for those with fnmatch wildcards a matcher plus
    ``fragments``, regex pieces that find them in source text (``*`` is any run
    of identifier characters there). ``name in site_names`` is fnmatch's answer."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.exact = {n for n in names if not any(ch in n for ch in "*?[")}
        wild = [n for n in names if n not in self.exact]
        self.runs = [_wildcard_run(n) for n in wild]
        self.fragments = [re.escape(r) for r in self.runs]
        self._rx = re.compile("|".join(fnmatch.translate(n) for n in wild)) if wild else None

    def __contains__(self, item: object) -> bool:
        return item in self.exact or (self._rx is not None and isinstance(item, str)
                                      and self._rx.match(item) is not None)


@lru_cache(maxsize=8)
def _site_names(names: tuple[str, ...]) -> _SiteNames:
    return _SiteNames(names)


def _wildcard_run(pattern: str) -> str:
    """The longest literal run of an fnmatch name pattern (``PromptTemplate`` of
    ``*PromptTemplate``): where it occurs in source text, the pattern may be
    called. It finds a superset of the calls (it only marks lines worth a
    closer look) and needs no backtracking over ``\\w*``."""
    runs = re.split(r"\*|\?|\[[^\]]*\]", pattern)
    return max(runs, key=len)


def _tool_class(func) -> bool:  # noqa: ANN001
    """Is the callee ``func`` (either tree) a tool definition class (:data:`_TOOL_CLASS`)?"""
    name = dotted_name(func)
    if not name:
        return False
    parts = name.split(".")
    last = parts[-2] if parts[-1] == "from_function" and len(parts) > 1 else parts[-1]
    return _TOOL_CLASS.search(last) is not None


def dotted_name(node) -> str | None:  # noqa: ANN001
    """``a.b.c`` for a Name/Attribute chain of either tree (CPython ``ast`` or
    libcst, whose node classes share these names); calls in the chain are
    skipped: ``OpenAI().chat.completions.create`` → ``OpenAI.chat.completions.create``.
    ``None`` when the chain does not start at a name."""
    parts: list[str] = []
    while True:
        kind = type(node).__name__
        if kind == "Name":
            parts.append(node.id if hasattr(node, "id") else node.value)
            return ".".join(reversed(parts))
        if kind == "Attribute":
            parts.append(node.attr if isinstance(node.attr, str) else node.attr.value)
            node = node.value
        elif kind == "Call":
            node = node.func
        else:
            return ".".join(reversed(parts)) if parts else None


class _Builder:
    def __init__(self, path: str, text: str, index: LineIndex, settings, col: _Collector) -> None:  # noqa: ANN001
        self.path = path
        self.text = text
        self.index = index
        self.settings = settings
        self.col = col
        self.consumed: set[str] = set()
        self.marked_lines = {index.position(m.start()).line for m in MARKER.finditer(text)}
        self.snippets: dict[tuple[int, int], _Snippet] = {}
        self.wrappers = WRAPPERS | {w.rsplit(".", 1)[-1] for w in getattr(settings, "wrappers", ())}
        # Data flow bookkeeping: assignments (by id of their statement) and functions (by qualified name) that an
        # evaluation went through; ``flow`` is set when the current evaluation left the call's own statement
        # through a local, an attribute, an appended message or a function's return.
        self.reached: set[int] = set()
        self.reached_functions: set[str] = set()
        self.flow = False
        # Parameters: ``bindings`` maps (function body scope, parameter) to the argument node and the caller's
        # scope while a call site's prompt is built for one call of that function; ``unbound`` collects the
        # parameters an evaluation needed and found no binding for.
        self.bindings: dict[tuple[tuple[str, ...], str], tuple[object, tuple[str, ...]]] = {}
        self.unbound: set[tuple[tuple[str, ...], str]] = set()
        self._callers: dict[tuple[str, ...], list] = {}
        self._params: dict[int, _Parameters] = {}
        #: ``(module, name)`` of each name imported from another module that an evaluation reached (see
        #: :attr:`~promptlint.extract.base.Extraction.imported`); ``hints``: module constants that another module
        #: of the project sends to a model (taken as prompts whatever their names).
        self.imported: set[tuple[str, str]] = set()
        self.hints: frozenset[str] = frozenset()
        #: Display paths of the files whose text an evaluation read (see :meth:`_read_file`).
        self.reads: set[str] = set()

    def snippet_for(self, stmt) -> _Snippet:  # noqa: ANN001
        """The libcst nodes of ``stmt``'s lines (cached): built directly for a
        statement of string literals only (:class:`_PlainSnippet`), else a libcst
        parse. A statement of hundreds of lines (an implicit concatenation of
        thousands of pieces, which CPython accepts) is parsed on a thread with a
        deep stack: libcst builds its nodes recursively."""
        key = (stmt.lineno, stmt.end_lineno)
        snip = self.snippets.get(key)
        if snip is None:
            snip = _PlainSnippet.build(self.text, self.col, stmt)
            if snip is None and key[1] - key[0] > 150:
                snip = _deep(lambda: _Snippet(self.text, self.index, *key))
            elif snip is None:
                snip = _Snippet(self.text, self.index, *key)
            self.snippets[key] = snip
        return snip

    def cst_stmt(self, stmt):  # noqa: ANN001, ANN201
        """The libcst node of ``ast`` statement ``stmt`` (an assignment, ``+=`` or
        ``return``; ``None`` if not found)."""
        snip = self.snippet_for(stmt)
        return snip.statements.get(snip.local(stmt.lineno, self.col.column(stmt.lineno, stmt.col_offset)))

    def value_of(self, a: _Assignment):  # noqa: ANN201
        """The libcst node of assignment ``a``'s value (``None`` if not found)."""
        return getattr(self.cst_stmt(a.stmt), "value", None)

    def cst_call_in(self, call, stmt):  # noqa: ANN001, ANN201
        """The libcst Call node of ``ast`` call ``call`` inside statement ``stmt``
        (``None`` if not found). Calls are indexed by where their callee starts,
        so in a chain (``ask(q).strip()``) the outer call is found first: the
        chain is followed inwards to the call whose callee ends in ``call``'s name."""
        import ast

        snip = self.snippet_for(stmt)
        f = call.func
        c = snip.calls.get(snip.local(f.lineno, self.col.column(f.lineno, f.col_offset)))
        want = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        while c is not None and want is not None and _callee_name(c.func) != want:
            node = c.func  # down the chain (attributes, subscripts) to the next call
            while node is not None and not isinstance(node, cst.Call):
                node = getattr(node, "value", None)
            c = node
        return c

    def class_scope(self, scope: tuple[str, ...]) -> tuple[str, ...] | None:
        """The innermost class scope enclosing ``scope`` (``None`` outside classes)."""
        for i in range(len(scope), 0, -1):
            if scope[:i] in self.col.class_scopes:
                return scope[:i]
        return None

    def attribute(self, node, scope: tuple[str, ...]) -> _Assignment | None:  # noqa: ANN001
        """The assignment an attribute reads: ``self.x`` / ``cls.x`` (a class
        attribute or a ``self.x = …`` in any method of the enclosing class) or
        ``Klass.X`` for a class of the module."""
        if not isinstance(node.value, cst.Name):
            return None
        base, attr = node.value.value, node.attr.value
        if base in ("self", "cls"):
            cs = self.class_scope(scope)
            if cs is None:
                return None
            return self.col.assignments.get((cs, attr)) or self.col.self_attrs.get((cs, attr))
        for i in range(len(scope), -1, -1):
            if (scope[:i], base) in self.col.classes:
                return self.col.assignments.get((scope[:i] + (base,), attr))
        return None

    def function(self, func, scope: tuple[str, ...]):  # noqa: ANN001, ANN201
        """``(body scope, ast def)`` of the module function or method that call
        target ``func`` names (``build()``, ``self._system()``), or ``None``."""
        if isinstance(func, cst.Name):
            for i in range(len(scope), -1, -1):
                fdef = self.col.functions.get((scope[:i], func.value))
                if fdef is not None:
                    return scope[:i] + (func.value,), fdef
            return None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            cs = self.class_scope(scope)
            fdef = self.col.functions.get((cs, func.attr.value)) if cs is not None else None
            return (cs + (func.attr.value,), fdef) if fdef is not None else None
        return None

    def list_items(self, node, scope: tuple[str, ...]) -> list | None:  # noqa: ANN001
        """The element nodes of a list literal, or of a list variable with the
        items later ``.append``ed / ``.extend``ed to it in the same scope, in
        source order; ``None`` when ``node`` is neither."""
        if isinstance(node, (cst.List, cst.Tuple)):
            return [e.value for e in node.elements if not isinstance(e, cst.StarredElement)]
        if not isinstance(node, cst.Name):
            return None
        a = self.resolve(node.value, scope)
        value = self.value_of(a) if a is not None else None
        if not isinstance(value, (cst.List, cst.Tuple)):
            return None
        items = [e.value for e in value.elements if not isinstance(e, cst.StarredElement)]
        for call, stmt in self.col.appends.get((a.scope, node.value), []):
            if call.lineno < a.line:
                continue
            c = self.cst_call_in(call, stmt)
            args = [x for x in (c.args if c is not None else ()) if not x.keyword and not x.star]
            if len(args) != 1:
                continue
            if c.func.attr.value == "append":
                items.append(args[0].value)
                self.flow = True
            elif isinstance(args[0].value, (cst.List, cst.Tuple)):
                items += [e.value for e in args[0].value.elements if not isinstance(e, cst.StarredElement)]
                self.flow = True
        return items

    def _augmented(self, msg: Message, a: _Assignment, name: str, depth: int, const: str | None) -> Message:
        """``msg`` (the value of ``a``) with the ``name += …`` pieces of its scope
        that follow it appended, when every piece can be followed."""
        augs = [g for g in self.col.augments.get((a.scope, name), []) if g.lineno > a.line]
        if not augs:
            return msg
        pieces = [msg]
        for g in augs:
            node = self.cst_stmt(g)
            piece = self.eval(node.value, a.scope, depth + 1, const) if node is not None else None
            if piece is None:
                return msg
            pieces.append(piece)
        self.flow = True
        out = join_messages(pieces, "")
        out.syntax = msg.syntax if all(p.syntax == msg.syntax for p in pieces) else out.syntax
        return out

    def cst_call(self, rec: _CallRecord):  # noqa: ANN201
        """The libcst Call node of call record ``rec`` (``None`` if not found)."""
        return self.cst_call_in(rec.call, rec.stmt)

    def offset(self, node, end: bool = False) -> int:  # noqa: ANN001
        for snip in self.snippets.values():
            if node in snip.positions:
                return snip.offset(node, end)
        raise KeyError("node outside every parsed statement")

    # -- string evaluation --------------------------------------------------
    def resolve(self, name: str, scope: tuple[str, ...]) -> _Assignment | None:
        for i in range(len(scope), -1, -1):
            a = self.col.assignments.get((scope[:i], name))
            if a is not None:
                return a
        return None

    def eval(self, node, scope: tuple[str, ...], depth: int = 0,  # noqa: ANN001, C901
             const: str | None = None, whole: bool = False) -> Message | None:
        """The message ``node`` evaluates to (``None`` when it is not a string
        promptlint can follow). ``const`` is the constant whose assignment
        holds ``node`` (``None``: the prompt's own statement), recorded in each
        character's :class:`~promptlint.model.Provenance`; ``whole`` is true
        when ``node`` is a call-site message's whole value, where a bare name
        is the message itself (its constant's literals are the message's own)."""
        if depth > 8:
            return None
        if isinstance(node, cst.SimpleString):
            return self._spanned(self._simple(node, const), node)
        if isinstance(node, cst.FormattedString):
            return self._spanned(self._fstring(node, const), node)
        if isinstance(node, (cst.ConcatenatedString, cst.BinaryOperation)):
            if isinstance(node, cst.BinaryOperation) and not isinstance(node.operator, cst.Add):
                return None
            msg = self._join(_concat_leaves(node), scope, depth, "", const)
            return self._spanned(msg, node) if msg is not None and _all_literals(node) else msg
        if isinstance(node, cst.Name):
            a = self.resolve(node.value, scope)
            param = self.parameter(node.value, scope)
            if param is not None and (a is None or len(a.scope) < len(param[0])):
                return self._bound(param, depth, const if whole else None, whole)
            if a is None and node.value in self.col.import_from:
                self.imported.add(self.col.import_from[node.value])  # its text is in that module
                return None
            value = self.value_of(a) if a is not None else None
            if value is None or value is node:
                return None
            self.reached.add(id(a.stmt))
            if not a.public:
                self.flow = True
            msg = self.eval(value, a.scope, depth + 1, const if whole else a.name)
            if msg is not None:
                msg = self._augmented(msg, a, node.value, depth, const if whole else a.name)
                msg.origin = a.name
                if node.value in self.col.format_calls and msg.syntax == "plain":
                    msg.syntax = "format"
                if node.value in self.col.percent_names and msg.syntax == "plain":
                    msg.syntax = "percent"
            return msg
        if isinstance(node, cst.Attribute):
            a = self.attribute(node, scope)
            value = self.value_of(a) if a is not None else None
            if value is None:
                if a is None:
                    self._module_attribute(node)
                return None
            self.reached.add(id(a.stmt))
            msg = self.eval(value, a.scope, depth + 1, const if whole else a.name)
            if msg is not None:
                msg.origin = a.name
                self.flow = True
            return msg
        if isinstance(node, cst.Call):
            func = dotted_name(node.func) or ""
            last = func.rsplit(".", 1)[-1]
            args = [a for a in node.args if not a.keyword and not a.star]
            if last in self.wrappers:
                inner_node = self._kwarg(node, _WRAPPER_KEYS) or (args[0].value if args else None)
                inner = self.eval(inner_node, scope, depth + 1, const, whole) if inner_node is not None else None
                if inner is not None and last == "Template" and inner.syntax == "plain" and "$" in inner.text:
                    inner.syntax = "dollar"  # string.Template
                return inner
            fn = self.function(node.func, scope)
            if fn is not None:
                fscope, fdef = fn
                qual = ".".join(fscope)
                for ret in self.col.returns.get(id(fdef), []):
                    rnode = self.cst_stmt(ret)
                    out = self.eval(rnode.value, fscope, depth + 1, qual) if rnode is not None else None
                    if out is not None:
                        self.flow = True
                        self.reached_functions.add(qual)
                        out.origin = out.origin or qual
                        return out
                return None
            if last in ("dedent", "cleandoc") and args:
                inner = self.eval(args[0].value, scope, depth + 1, const, whole)
                if inner is None:
                    return None
                out = _dedent(inner, strip=last == "cleandoc")
                out.literal_span = inner.literal_span
                return out
            if isinstance(node.func, cst.Attribute):
                attr = node.func.attr.value
                if attr in ("strip", "lstrip", "rstrip") and not node.args:
                    inner = self.eval(node.func.value, scope, depth + 1, const, whole)
                    if inner is None:
                        return None
                    out = _strip(inner, attr)
                    out.literal_span = inner.literal_span
                    return out
                if attr == "format":
                    inner = self.eval(node.func.value, scope, depth + 1, const, whole)
                    if inner is not None and inner.syntax == "plain":
                        inner.syntax = "format"
                    if inner is not None and inner.syntax == "format":
                        inner.declared = self._format_keywords(node)
                    return inner
                if attr == "replace" and len(args) == 2 and isinstance(args[0].value, cst.SimpleString):
                    return self._replaced(node.func.value, args, scope, depth, const, whole)
                if attr in ("read_text", "read") and not args:
                    return self._file_read(node, scope, const)
                if attr == "join" and len(args) == 1:
                    items = self.list_items(args[0].value, scope)
                    sep = self.eval(node.func.value, scope, depth + 1, const) if items else None
                    if sep is None:
                        return None
                    return self._join(items, scope, depth, sep.text, const)
        return None

    def parameter(self, name: str, scope: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
        """``(function body scope, name)`` when ``name`` in ``scope`` is a
        parameter of the innermost enclosing function that has one so named."""
        for i in range(len(scope), 0, -1):
            fdef = self.col.functions.get((scope[:i - 1], scope[i - 1]))
            if fdef is not None and name in self.parameters(fdef):
                return scope[:i], name
        return None

    def parameters(self, fdef) -> "_Parameters":  # noqa: ANN001
        """:class:`_Parameters` of ast function ``fdef`` (memoised)."""
        p = self._params.get(id(fdef))
        if p is None:
            p = self._params[id(fdef)] = _Parameters(fdef)
        return p

    def _bound(self, param: tuple[tuple[str, ...], str], depth: int, const: str | None,
               whole: bool) -> Message | None:
        """The message a parameter holds in the call being followed (see
        :meth:`bound_prompts`), or ``None`` (recorded in ``unbound``)."""
        bound = self.bindings.get(param)
        if bound is None:
            self.unbound.add(param)
            return None
        arg, caller_scope = bound
        del self.bindings[param]  # a recursive function passing its own parameter on is not followed around
        try:
            msg = self.eval(arg, caller_scope, depth + 1, const, whole)
        finally:
            self.bindings[param] = bound
        if msg is not None:
            self.flow = True
        return msg

    def callers(self, fscope: tuple[str, ...]) -> list[tuple[object, object, tuple[str, ...]]]:
        """``(ast call, ast statement, caller scope)`` of each call in the module
        of the function whose body scope is ``fscope``: ``name(…)`` for a
        function, ``self.name(…)`` / ``cls.name(…)`` inside its class for a
        method. Calls in simple statements only (an ``if`` test is not
        followed). One walk of the module per function asked about (only on
        files the prefilter keeps)."""
        import ast

        found = self._callers.get(fscope)
        if found is not None:
            return found
        name, owner = fscope[-1], fscope[:-1]
        method = owner in self.col.class_scopes
        found = []
        # Lines where the name is called (its ``def`` line aside): statements elsewhere are not walked.
        lines = {self.index.position(m.start()).line
                 for m in re.finditer(r"(?<![\w.])" + (r"(?:self|cls)\s*\.\s*" if method else "")
                                      + re.escape(name) + r"\s*\(", self.text)}
        if not lines:
            self._callers[fscope] = found
            return found

        def matches(call, scope: tuple[str, ...]) -> bool:  # noqa: ANN001
            f = call.func
            if method:
                return (isinstance(f, ast.Attribute) and f.attr == name and isinstance(f.value, ast.Name)
                        and f.value.id in ("self", "cls") and scope[:len(owner)] == owner)
            return isinstance(f, ast.Name) and f.id == name and scope[:len(owner)] == owner

        def visit(body, scope: tuple[str, ...]) -> None:  # noqa: ANN001
            for st in body:
                if not any(n in lines for n in range(st.lineno, st.end_lineno + 1)):
                    continue
                if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    visit(st.body, scope + (st.name,))
                    continue
                nested = [v for f in ("body", "orelse", "finalbody") for v in [getattr(st, f, None)]
                          if isinstance(v, list) and v and isinstance(v[0], ast.stmt)]
                nested += [h.body for h in getattr(st, "handlers", None) or []]
                nested += [c.body for c in getattr(st, "cases", None) or []]
                if nested:
                    for b in nested:
                        visit(b, scope)
                    continue
                for n in ast.walk(st):
                    if isinstance(n, ast.Call) and matches(n, scope):
                        found.append((n, st, scope))

        visit(self.col.tree.body, ())
        self._callers[fscope] = found
        return found

    def bound_prompts(self, rec: _CallRecord, first: Prompt | None) -> list[Prompt]:
        """The prompts of call record ``rec`` when its text reads parameters of
        the function around it: one per call of that function in the module
        that passes text (a constant, a literal, an f-string) for them, or a
        ``NAME=CONSTANT`` default; ``[first]`` (or ``[]``) when no call does.
        At most :data:`_MAX_BOUND_CALLS` calls of one function are followed."""
        import ast

        fscopes = {f for f, _ in self.unbound}
        if len(fscopes) != 1:
            return [first] if first is not None else []
        fscope = fscopes.pop()
        fdef = self.col.functions.get((fscope[:-1], fscope[-1]))
        params = self.parameters(fdef)
        wanted = {n for _, n in self.unbound}
        out: list[Prompt] = []
        seen: set[tuple] = set()
        for call, stmt, scope in self.callers(fscope) or [(None, None, ())]:
            if len(out) >= _MAX_BOUND_CALLS:
                break
            c = self.cst_call_in(call, stmt) if call is not None else cst.Call(cst.Name("_"))
            if c is None:
                continue
            binding: dict = {}
            positional = [a for a in c.args if not a.keyword]
            skip = 1 if fscope[:-1] in self.col.class_scopes and not _is_static(fdef) else 0
            for i, arg in enumerate(positional):
                if arg.star:
                    break
                if skip + i < len(params.positional) and params.positional[skip + i] in wanted:
                    binding[(fscope, params.positional[skip + i])] = (arg.value, scope)
            for arg in c.args:
                if arg.keyword is not None and arg.keyword.value in wanted:
                    binding[(fscope, arg.keyword.value)] = (arg.value, scope)
            for pname, default in params.defaults.items():
                if pname in wanted and (fscope, pname) not in binding and isinstance(default, ast.Name):
                    binding[(fscope, pname)] = (cst.Name(default.id), fscope[:-1])
            if not binding:
                continue
            # (a name passed by two calls of one scope is one value; the same local name in two functions is not)
            key = tuple(sorted((k[1], (v[1], v[0].value) if isinstance(v[0], cst.Name) else id(v[0]))
                               for k, v in binding.items()))
            if key in seen:
                continue
            seen.add(key)
            self.bindings = binding
            try:
                p = self._call_prompt(rec, bound=True)
            finally:
                self.bindings = {}
            # The same text passed by two calls (a test that asks twice) is one prompt: the first call's.
            same = tuple((m.role, m.text) for m in p.messages) if p is not None else None
            if p is not None and same not in seen and (
                    first is None or len(p.messages) > len(first.messages)
                    or any(a.text != b.text for a, b in zip(p.messages, first.messages))):
                seen.add(same)
                p.found_by = "flow"
                carrier = self._carrier(p, binding)
                if p.name and p.name.startswith("call@") and carrier is not None:
                    p.name = f"{fscope[-1]}.{carrier}"  # named for the parameter that carries its main text
                    p.id = f"{self.path}::{p.name}"
                out.append(p)
        return out or ([first] if first is not None else [])

    def _replaced(self, base, args: list, scope: tuple[str, ...], depth: int, const: str | None,  # noqa: ANN001
                  whole: bool) -> Message | None:
        """``base.replace("MARKER", value)``: the text of ``base`` with each
        ``MARKER`` replaced by ``value`` when that is text promptlint can follow
        (a literal, a constant, a file of the project is not read), else the
        text of ``base`` as it is (the marker stands where the runtime value
        goes)."""
        inner = self.eval(base, scope, depth + 1, const, whole)
        marker = args[0].value.evaluated_value
        if inner is None or not isinstance(marker, str) or marker not in inner.text:
            return inner
        if not marker:
            return None  # ``.replace("", x)`` puts x between every two characters: not followed
        value = self.eval(args[1].value, scope, depth + 1, const)
        if value is None:
            return inner
        text = inner.text
        # In an f-string the placeholders are filled before ``.replace`` runs: a marker written inside one is not
        # there any more (``f"{role}".replace("{role}", X)`` replaces nothing).
        taken = [(p.start, p.end) for p in inner.placeholders or []] if inner.syntax == "fstring" else []
        pieces, pos, at = [], 0, text.find(marker)
        while at != -1:
            end = at + len(marker)
            if not any(s < end and at < e for s, e in taken):
                if at > pos:
                    pieces.append(_slice(inner, pos, at))
                pieces.append(value)
                pos = end
            at = text.find(marker, end)
        if not pieces:
            return inner
        if pos < len(text):
            pieces.append(_slice(inner, pos, len(text)))
        out = join_messages(pieces, "")
        out.syntax, out.origin, out.role = inner.syntax, inner.origin, inner.role
        out.encoding = None  # text a later ``.replace`` rewrites: an edit to its literal may not survive it
        self.flow = True
        return out

    def _format_keywords(self, call) -> list[Declaration] | None:  # noqa: ANN001 - a libcst Call
        """The names ``TEMPLATE.format(name=…)`` fills, at their keywords; ``None``
        when it passes positional or ``**`` arguments (what it fills is not known)."""
        out = []
        for arg in call.args:
            if arg.keyword is None:
                return None
            s, e = self.offset(arg.keyword), self.offset(arg.keyword, end=True)
            out.append(Declaration(arg.keyword.value, Span(self.index.position(s), self.index.position(e))))
        return out

    def _module_attribute(self, node) -> None:  # noqa: ANN001 - a libcst Attribute
        """``module.NAME`` of an imported module (``import app.texts as texts``,
        ``import app.texts``, ``from app import texts``): its text is in that
        module, recorded in :attr:`imported` as ``(module, NAME)`` for
        :func:`promptlint.engine.follow_imports`."""
        base = dotted_name(node.value)
        if base is None:
            return
        if base in self.col.import_module:
            self.imported.add((self.col.import_module[base], node.attr.value))
        elif base in self.col.import_from:  # ``from app import texts``: ``texts`` may be a module of ``app``
            package, name = self.col.import_from[base]
            joined = package + name if package.endswith(".") or not package else package + "." + name
            self.imported.add((joined, node.attr.value))

    def _file_read(self, call, scope: tuple[str, ...], const: str | None) -> Message | None:  # noqa: ANN001
        """The text a read of a project file returns, when the file is named by
        constants: ``PATH.read_text()``, ``open(PATH).read()``,
        ``PATH.open().read()`` and ``fh.read()`` inside ``with open(PATH) as
        fh`` (see :meth:`_path_value` for ``PATH``). ``None`` for anything
        else: a runtime path, a binary or write mode, a read of part of a file.
        ``const`` is the constant whose assignment holds the read (see :meth:`eval`).
        Not inside a test function (``test_…``): a test reads a prompt file to
        hand it to the code under test, and that file is linted on its own."""
        import ast

        if any(name.startswith("test_") for name in scope):
            return None

        target = call.func.value
        if call.func.attr.value == "read_text":
            where = self._as_ast(target)
        elif isinstance(target, cst.Call):
            where = _opened(self._as_ast(target))
        elif isinstance(target, cst.Name):
            bound = None
            line = self.index.position(self.offset(call)).line
            for i in range(len(scope), -1, -1):
                withs = self.col.with_items.get((scope[:i], target.value))
                if withs:  # the last ``with … as name`` that starts at or above the read
                    bound = next((expr for at, expr in reversed(withs) if at <= line), None)
                    break
            where = _opened(bound) if isinstance(bound, ast.Call) else None
        else:
            where = None
        path = self._path_value(where, scope) if where is not None else None
        return self._read_file(path, self.offset(call), const) if path is not None else None

    def _as_ast(self, node):  # noqa: ANN001, ANN202 - a libcst expression -> an ast expression or None
        import ast

        try:
            return ast.parse("(" + _CODEGEN.code_for_node(node) + ")", mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    def _path_value(self, node, scope: tuple[str, ...], depth: int = 0) -> str | None:  # noqa: ANN001, C901
        """The file path that ast expression ``node`` names, when constants name it:
        string literals, ``__file__`` (this module's path, absolute), module or
        local constants, ``/`` and ``.parent`` of ``pathlib.Path``,
        ``Path(…)``/``os.path.join(…)``, ``os.path.dirname``/``abspath``/
        ``realpath``/``normpath``, ``str(…)``, and the path methods
        ``resolve()``, ``absolute()``, ``joinpath(…)``, ``with_name(…)``.
        ``None`` for anything else."""
        import ast
        import os

        if depth > 8 or node is None:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            if all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in node.values):
                return "".join(v.value for v in node.values)
            return None
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return os.path.abspath(self.path)
            a = self.resolve(node.id, scope)
            value = getattr(a.stmt, "value", None) if a is not None else None
            return self._path_value(value, a.scope, depth + 1) if value is not None else None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = self._path_value(node.value, scope, depth + 1)
            return os.path.dirname(os.path.normpath(inner)) if inner else None  # (``Path("a/").parent`` is ``.``)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self._path_value(node.left, scope, depth + 1), self._path_value(node.right, scope, depth + 1)
            return os.path.join(left, right) if left is not None and right is not None else None
        if not isinstance(node, ast.Call) or node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            return None
        args = [self._path_value(a, scope, depth + 1) for a in node.args]
        if any(a is None for a in args):
            return None
        name = _ast_dotted(node.func) or ""
        if name in _PATH_JOINS and args:
            return os.path.join(*args)
        if name in _PATH_SAME and len(args) == 1:
            return args[0]
        if name in ("os.path.dirname", "path.dirname") and len(args) == 1:
            return os.path.dirname(args[0])
        if isinstance(node.func, ast.Attribute):
            base = self._path_value(node.func.value, scope, depth + 1)
            method = node.func.attr
            if base is None:
                return None
            if method in ("resolve", "absolute") and not args:
                return base
            if method == "joinpath" and args:
                return os.path.join(base, *args)
            if method == "with_name" and len(args) == 1:
                return os.path.join(os.path.dirname(base), args[0])
        return None

    def _read_file(self, path: str, anchor: int, const: str | None = None) -> Message | None:
        """The text of project file ``path`` as one message piece: each character
        maps to its own offset in that file (its :class:`Provenance` names the
        file, so a finding in it is reported there), ``encoding`` ``None`` (no
        fix writes into another file). A relative path is taken from the
        project root (where the program is usually started). ``None`` for a
        file outside the project root (after symbolic links), missing, empty,
        not a regular file, not UTF-8 text or over :data:`_READ_LIMIT`."""
        import os

        from ..source import read_source
        from .text import JINJA_SUFFIXES

        root = os.path.realpath(str(getattr(self.settings, "root", None) or os.getcwd()))
        path = os.path.normpath(os.path.join(root, path))  # (an absolute path stays as it is)
        real = os.path.realpath(path)
        try:
            inside = os.path.commonpath([real, root]) == root
        except ValueError:  # another drive
            inside = False
        if not inside:
            return None  # outside the project (``/etc/passwd``, ``../../x``, a link out of it): never read
        display = os.path.relpath(path)
        if display.startswith(".." + os.sep):
            display = path
        self.reads.add(display)  # read or not, the result depends on it (a file that appears later must count)
        try:
            if not os.path.isfile(real) or os.path.getsize(real) > _READ_LIMIT:
                return None
        except OSError:
            return None
        text, _ = read_source(real)
        if not text:
            return None
        origin = Provenance(display, 0, len(text), own=False, constant=const)
        syntax = "jinja" if os.path.splitext(path)[1].lower() in JINJA_SUFFIXES else "plain"
        self.flow = True
        return Message(text, SourceMap.identity(0, len(text), origin), syntax=syntax, encoding=None, anchor=anchor)

    def _carrier(self, prompt: Prompt, binding: dict) -> str | None:
        """The parameter of ``binding`` whose argument holds the first character
        of ``prompt``'s main message (``None``: none does)."""
        main = prompt.main
        if not main.text:
            return None
        at = main.source_map.file_start(0)
        for (_, name), (arg, _) in binding.items():
            if not isinstance(arg, cst.Name) and self.offset(arg) <= at < self.offset(arg, end=True):
                return name
        return None

    def _spanned(self, msg: Message | None, node) -> Message | None:  # noqa: ANN001
        if msg is not None:
            msg.literal_span = (self.offset(node), self.offset(node, end=True))
        return msg

    def _origin(self, node, const: str | None, raw_string: bool, triple_quoted: bool) -> Provenance:  # noqa: ANN001
        """The provenance record of literal ``node`` (see :meth:`eval` for ``const``)."""
        return Provenance(self.path, self.offset(node), self.offset(node, end=True), const is None, const,
                          raw_string, triple_quoted)

    def _simple(self, node, const: str | None = None) -> Message | None:  # noqa: ANN001
        raw = node.value
        prefix_len = len(raw) - len(raw.lstrip("rRbBuUfFtT"))
        prefix = raw[:prefix_len].lower()
        if "b" in prefix:
            return None
        q = 3 if raw[prefix_len:prefix_len + 3] in ('"""', "'''") else 1
        start = self.offset(node) + prefix_len + q
        body = raw[prefix_len + q: len(raw) - q]
        text, smap = decode_python_body(body, start, raw_string="r" in prefix)
        smap.set_origin(self._origin(node, const, "r" in prefix, q == 3))
        return Message(text, smap, encoding="python", raw_string="r" in prefix, triple_quoted=q == 3,
                       anchor=self.offset(node))

    def _fstring(self, node, const: str | None = None) -> Message | None:  # noqa: ANN001
        prefix = node.start.lower()
        raw_string = "r" in prefix
        if "b" in prefix:
            return None
        smap = SourceMap()
        out: list[str] = []
        placeholders: list[Placeholder] = []
        for part in node.parts:
            base = self.offset(part)
            if isinstance(part, cst.FormattedStringText):
                t, m = decode_python_body(part.value, base, raw_string=raw_string)
                out.append(t)
                smap.extend(m)
            else:
                end = self.offset(part, end=True)
                src = self.text[base:end]
                start_text = sum(len(x) for x in out)
                out.append(src)
                smap.extend(SourceMap.identity(base, len(src)))
                name = _CODEGEN.code_for_node(part.expression).strip()
                placeholders.append(Placeholder(name, start_text, start_text + len(src)))
        q = node.end
        smap.set_origin(self._origin(node, const, raw_string, len(q) == 3))
        return Message("".join(out), smap, syntax="fstring", placeholders=placeholders, encoding="python",
                       raw_string=raw_string, triple_quoted=len(q) == 3, anchor=self.offset(node))

    def _join(self, nodes: list, scope, depth: int, sep: str, const: str | None = None) -> Message | None:
        msgs = []
        for n in nodes:
            m = self.eval(n, scope, depth, const)
            if m is None:
                return None
            msgs.append(m)
        return join_messages(msgs, sep)

    # -- prompts ---------------------------------------------------------------
    def build(self) -> list[Prompt]:
        """Every prompt of the module, in source order: call sites first (what
        they reach is consumed), then prompt-named functions' returns, named
        constants, variables and attributes, and the strings of prompt classes."""
        prompts: list[Prompt] = []
        wrapped: dict[int, str] = {}  # template objects assigned to a name: id(prompt) -> that name
        for rec in self.col.calls:
            self.unbound = set()
            p = self._call_prompt(rec)
            for p in self.bound_prompts(rec, p) if self.unbound else [p] if p is not None else []:
                prompts.append(p)
                if rec.target and rec.site.kind == "template" and p.name == rec.target:
                    wrapped[id(p)] = rec.target
        if wrapped:
            # A wrapped template that a request in this module sends is judged there, as part of what it sends.
            sent = {m.origin for p in prompts if id(p) not in wrapped for m in p.messages if m.origin}
            prompts = [p for p in prompts if wrapped.get(id(p)) not in sent]
        prompts += self._tool_prompts()
        prompts += self._function_prompts()
        taken: set[int] = set()
        for (scope, name), a in self.col.assignments.items():
            marked = a.line - 1 in self.marked_lines
            if a.name in self.consumed or id(a.stmt) in self.reached and not a.public:
                continue
            hinted = not scope and name in self.hints
            if not marked and not hinted and not self._name_matches(name):
                continue
            p = self._assignment_prompt(a, name, marked or hinted,
                                        "marker" if marked else "flow" if hinted and not self._name_matches(name)
                                        else "name")
            if p is not None:
                taken.add(id(a.stmt))
                prompts.append(p)
        prompts += self._class_prompts(taken)
        prompts += self._module_prompts(taken)
        prompts += self._kwarg_prompts()
        prompts += self._fill_prompts(prompts, taken)
        # A second name for text already taken (``format_prompt = self._format_prompt()``, an alias of a
        # constant) is the same prompt: the first one found (call site, function, name, class) stays.
        unique, keys = [], set()
        for p in prompts:
            key = tuple((m.text, m.source_map.file_start(0) if m.text else m.anchor) for m in p.messages)
            if key in keys and p.found_by in ("name", "content"):
                continue
            keys.add(key)
            unique.append(p)
        prompts = unique
        prompts.sort(key=lambda p: (p.main.source_map.file_start(0) if p.main.text else p.main.anchor))
        seen: set[str] = set()
        for p in prompts:
            if p.id in seen:
                base = f"{p.id}@{self.index.position(p.main.anchor).line}"
                p.id, n = base, 2
                while p.id in seen:  # a third prompt from the same literal (three calls filling one template)
                    p.id, n = f"{base}.{n}", n + 1
            seen.add(p.id)
        _link_compositions(prompts)
        return prompts

    def _assignment_prompt(self, a: _Assignment, name: str, marked: bool, found_by: str) -> Prompt | None:
        """The prompt assignment ``a`` holds when its value is a string that reads
        as instructions (any string when ``marked``); ``None`` otherwise. A
        local of a function is named ``function.NAME``."""
        from .heuristics import reads_as_instructions

        templated = bool(_TEMPLATE_NAME.search(name)) and not _EXPECTED_NAME.match(name)
        if _EXPECTED_NAME.match(name) and not marked:
            return None  # ``expected_system_message``: a test's wanted output, compared, never sent
        if not marked and not _reads_a_file(a.stmt.value):  # (a file's text is screened once read, below)
            rough = _ast_text(self.col, a.stmt.value, a.scope)
            if rough is None or not (reads_as_instructions(rough, self.settings.vocabulary)
                                     or (templated and _PLACEHOLDER_LIKE.search(rough))):
                return None  # screened with ast: libcst never parses the statement
        msg = self.eval(self.value_of(a), a.scope)
        if msg is None:
            return None
        formatted = bool(self.col.format_calls.get(name))
        # ``NAME.format(...)`` in the module decides the dialect ({{{{ is then two escaped braces, not Mustache).
        self._decide_syntax(msg, name, "format" if formatted and msg.syntax != "fstring" else None)
        # A prompt-named string that reads as instructions, or a template-named one with placeholders
        # (``NEW_REQ_TEMPLATE = "### Legacy\n{old_design}"``: a prompt template that carries data).
        if not marked and not (reads_as_instructions(msg.text, self.settings.vocabulary)
                               or (templated and msg.syntax != "plain" and _carries_text(msg.text))):
            return None
        # An f-string that is ``.format``ed later is two templates in one (its ``{{`` became ``{`` at definition,
        # its ``{expr}`` are values by then): promptlint does not model that, so it judges no placeholders there.
        declarations = None if msg.syntax == "fstring" else self._format_declarations(name)
        if _partial_wrapper(a.stmt.value):
            declarations = None  # camel's TextPrompt.format fills what it is given and keeps the rest for later
        qual = a.name if a.public else ".".join(a.scope + (name,))
        return Prompt(f"{self.path}::{qual}", self.path, qual, [msg], declarations=declarations, origin="code",
                      extent=a.extent, found_by=found_by)

    def _fill_prompts(self, prompts: list[Prompt], taken: set[int]) -> list[Prompt]:
        """Module constants filled into a prompt template by ``.format``:
        ``PROMPT.format(examples=EXAMPLES, context=context)`` where ``EXAMPLES`` is
        a module string of several words, or ``context`` a local assigned
        ``TEMPLATE_CONTEXT.format(…)`` (or the constant itself, or its
        ``.strip()``). Each such constant is a piece of what the model reads:
        a prompt found by ``flow``, composed into the template (a fragment,
        judged with it). A constant no call formats is plain text (its braces
        are literal: a JSON example stays a JSON example)."""
        import ast

        by_name = {p.name: p for p in prompts if p.name and "." not in p.name}
        locals_by_name: dict[str, list[_Assignment]] = {}
        for (scope, name), a in self.col.assignments.items():
            if scope:
                locals_by_name.setdefault(name, []).append(a)

        def constant_of(node, depth: int = 0) -> str | None:  # noqa: ANN001 - an ast expression
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                    "format", "strip", "lstrip", "rstrip"):
                node = node.func.value
            if not isinstance(node, ast.Name):
                return None
            if ((), node.id) in self.col.assignments:
                return node.id
            if depth == 0:  # a local, assigned once from a constant (in whichever function it is)
                found = {constant_of(a.stmt.value, 1) for a in locals_by_name.get(node.id, [])
                         if isinstance(a.stmt, ast.Assign)}
                if len(found) == 1:
                    return found.pop()
            return None

        out: list[Prompt] = []
        done = set(by_name) | self.consumed
        for name, template in by_name.items():
            for call in self.col.format_calls.get(name, []):
                for kw in call.keywords:
                    piece = constant_of(kw.value) if kw.arg else None
                    if piece is None or piece in done:
                        continue
                    a = self.col.assignments[((), piece)]
                    rough = _ast_text(self.col, a.stmt.value, ())
                    if id(a.stmt) in taken or rough is None or len(re.findall(r"[^\W\d_]{2,}", rough)) < 4:
                        continue
                    msg = self.eval(self.value_of(a), ())
                    if msg is None or not msg.text.strip():
                        continue
                    done.add(piece)
                    if self.col.format_calls.get(piece):
                        self._decide_syntax(msg, piece, "format" if msg.syntax != "fstring" else None)
                    elif msg.syntax != "fstring":
                        msg.syntax = "plain"  # a value filled in as it is: its braces are text
                    p = Prompt(f"{self.path}::{piece}", self.path, piece, [msg], origin="code", extent=a.extent,
                               found_by="flow", fill=True)
                    p.composed_into.append(template.id)
                    template.composed_of.append(p.id)
                    out.append(p)
        return out

    def _function_prompts(self) -> list[Prompt]:
        """Prompts returned by functions whose names say prompt / instructions /
        system message (``def build_system_prompt(self): return f"…"``), unless
        a call site already reached them."""
        from .heuristics import reads_as_instructions

        out = []
        for (scope, fname), fdef in self.col.functions.items():
            qual = ".".join(scope + (fname,))
            if not _PROMPTISH_FUNCTION.search(fname) or qual in self.reached_functions:
                continue
            for ret in self.col.returns.get(id(fdef), []):
                rough = _ast_text(self.col, ret.value, scope + (fname,))
                if rough is None or (rough.count("{…}") < 2 and not reads_as_instructions(rough, self.settings.vocabulary)):
                    continue
                rnode = self.cst_stmt(ret)
                msg = self.eval(rnode.value, scope + (fname,)) if rnode is not None else None
                if msg is None:
                    continue
                self._decide_syntax(msg, None, None)
                if reads_as_instructions(msg.text, self.settings.vocabulary):
                    out.append(Prompt(f"{self.path}::{qual}", self.path, qual, [msg], origin="code",
                                      extent=self.col.extent(fdef), found_by="content"))
                    break
        return out

    def _example_conversations(self, cname: str, attrs: list, taken: set[int]) -> list[Prompt]:
        """Few-shot conversations held by a prompt class (aider's ``example_messages
        = [dict(role="user", content=…), …]``): one prompt per list of role
        messages, its messages those of the list."""
        import ast

        out = []
        for name, a in attrs:
            value = a.stmt.value
            if not isinstance(value, (ast.List, ast.Tuple)) or not value.elts:
                continue
            if not all(_looks_like_message(e) for e in value.elts):
                continue
            node = self.value_of(a)
            messages = []
            for el in getattr(node, "elements", []):
                messages += self._message_element(el.value, a.scope)
            if not messages:
                continue
            for m in messages:
                self._decide_syntax(m, None, None)
            taken.add(id(a.stmt))
            out.append(Prompt(f"{self.path}::{a.name}", self.path, a.name, messages, primary=primary_index(messages),
                              origin="code", extent=a.extent, found_by="content"))
        return out

    def _module_prompts(self, taken: set[int]) -> list[Prompt]:
        """A module named for prompts (``prompts.py``, ``coder_prompts.py``) is a
        prompt catalogue: each of its module-level strings that reads as
        instructions, is a multi-line template with placeholders, or is a
        sentence of six words or more is a prompt."""
        from .heuristics import reads_as_instructions

        if not re.search(r"prompt", self.path.replace("\\", "/").rsplit("/", 1)[-1], re.I):
            return []
        out = []
        for (scope, name), a in self.col.assignments.items():
            if scope or id(a.stmt) in taken or a.name in self.consumed or name.startswith("__"):
                continue
            rough = _ast_text(self.col, a.stmt.value, scope)
            if rough is None or len(re.findall(r"[^\W\d_]{2,}", rough)) < 3:
                continue
            from .heuristics import looks_like_code

            sentence = len(re.findall(r"[^\W\d_]{2,}", _PLACEHOLDER_LIKE.sub(" ", rough))) >= 6 \
                and not looks_like_code(rough)
            if not (reads_as_instructions(rough, self.settings.vocabulary) or _carries_text(rough) or sentence):
                continue
            msg = self.eval(self.value_of(a), scope)
            if msg is None:
                continue
            self._decide_syntax(msg, name, "format" if self.col.format_calls.get(name) else None)
            taken.add(id(a.stmt))
            out.append(Prompt(f"{self.path}::{a.name}", self.path, a.name, [msg], origin="code", extent=a.extent,
                              found_by="content"))
        return out

    def _kwarg_prompts(self) -> list[Prompt]:
        """Instruction strings passed by a prompt-named keyword to any call that is
        not a known call site (``ChatAgent(system_message="You are …")``,
        ``Agent(instructions=…)``): named ``Callee.keyword``."""
        from .heuristics import reads_as_instructions

        sites = {id(rec.call) for rec in self.col.calls}
        out = []
        for call, stmt, kw, scope in self.col.kwargs:
            if id(call) in sites or _mock_expectation(call):
                continue
            import ast

            value_ast = kw.value
            if isinstance(value_ast, (ast.List, ast.Tuple)):
                rough = "\n".join(t for t in (_ast_text(self.col, e, scope) for e in value_ast.elts) if t) or None
            else:
                rough = _ast_text(self.col, value_ast, scope)
            # A keyword that is a prompt's own name (``instruction=``, ``system_prompt=``) needs only a sentence.
            exact = kw.arg.lower() in _PROMPT_KEYWORDS
            if rough is None or not (reads_as_instructions(rough, self.settings.vocabulary) or (
                    exact and len(re.findall(r"[^\W\d_]{2,}", rough)) >= 4)):
                continue
            node = self.cst_call_in(call, stmt)
            value = self._kwarg(node, kw.arg) if node is not None else None
            if isinstance(value, (cst.List, cst.Tuple)):  # ``system_msgs=["You are …", …]``: one text, in order
                pieces = [self.eval(e.value, scope) for e in value.elements]
                msg = join_messages([p for p in pieces if p is not None], "\n") if all(pieces) and pieces else None
            else:
                msg = self.eval(value, scope) if value is not None else None
            if msg is None or not (reads_as_instructions(msg.text, self.settings.vocabulary) or (
                    exact and len(re.findall(r"[^\W\d_]{2,}", msg.text)) >= 4)):
                continue
            self._decide_syntax(msg, None, None)
            callee = (dotted_name(call.func) or "call").rsplit(".", 1)[-1]
            name = f"{callee}.{kw.arg}"
            out.append(Prompt(f"{self.path}::{name}", self.path, name, [msg], origin="code",
                              extent=self.col.extent(call), found_by="name"))
        return out

    def _tool_prompts(self) -> list[Prompt]:
        """Tool descriptions: the ``description=`` of a tool definition
        (:data:`_TOOL_CLASS`), followed through names, a local set in either
        branch of a conditional, and one-argument helpers (``refine_prompt(d)``,
        ``dedent(d)``); each text of four words or more is a prompt named
        ``Callee.description`` with ``found_by = "tool"`` (kind ``tool``: checked
        for template hazards, never for contract parts). A test module
        (``test_*.py``, ``*_test.py``) defines stand-in tools: none is taken."""
        out = []
        module = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        if module.startswith("test_") or module.endswith("_test.py"):
            return out
        for call, stmt, kw, scope in self.col.tool_descriptions:
            callee = (dotted_name(call.func) or "Tool").split(".")[-1]
            if callee == "from_function":
                callee = (dotted_name(call.func) or "Tool.from_function").split(".")[-2]
            node = self.cst_call_in(call, stmt)
            value = self._kwarg(node, "description") if node is not None else None
            seen: set[str] = set()
            for target in self._tool_texts(value, scope):
                msg = self.eval(target, scope)
                if msg is None or msg.text in seen or len(re.findall(r"[^\W\d_]{2,}", msg.text)) < 4:
                    continue
                seen.add(msg.text)
                self._decide_syntax(msg, None, None)
                name = f"{callee}.description"
                out.append(Prompt(f"{self.path}::{name}", self.path, name, [msg], origin="code",
                                  extent=self.col.extent(call), found_by="tool"))
        return out

    def _tool_texts(self, node, scope: tuple[str, ...], depth: int = 0) -> list:  # noqa: ANN001
        """The libcst nodes a tool description may be: ``node`` itself, the
        argument of a one-argument call, both branches of a conditional, and the
        same for the value of a local or constant it names (up to 3 steps)."""
        if node is None or depth > 3:
            return []
        if isinstance(node, cst.Call) and len(node.args) == 1 and node.args[0].keyword is None:
            return self._tool_texts(node.args[0].value, scope, depth + 1)
        if isinstance(node, cst.IfExp):
            return self._tool_texts(node.body, scope, depth + 1) + \
                self._tool_texts(node.orelse, scope, depth + 1)
        if isinstance(node, cst.Name):
            a = self.resolve(node.value, scope)
            value = self.value_of(a) if a is not None else None
            if value is not None and not isinstance(value, (cst.SimpleString, cst.ConcatenatedString,
                                                            cst.FormattedString, cst.Name)):
                return self._tool_texts(value, a.scope, depth + 1)
        return [node]

    def _class_prompts(self, taken: set[int]) -> list[Prompt]:
        """Strings held by prompt classes: a class named for prompts
        (``CoderPrompts``, ``AISocietyPromptTemplateDict``) gives every class
        attribute string of three words or more; another class whose class
        attribute strings mostly read as instructions (at least three) gives
        those that do."""
        from .heuristics import reads_as_instructions

        out = []
        for (scope, cname), _cdef in self.col.classes.items():
            cs = scope + (cname,)
            attrs = [(name, a) for (sc, name), a in self.col.assignments.items()
                     if sc == cs and id(a.stmt) not in taken and a.name not in self.consumed]
            named = bool(_PROMPTISH_CLASS.search(cname))
            if not attrs or (not named and len(attrs) < 3):
                continue
            if named:
                out += self._example_conversations(cname, attrs, taken)
            rough = {name: _ast_text(self.col, a.stmt.value, a.scope) for name, a in attrs if not name.startswith("__")}
            rough = {n: t for n, t in rough.items() if t is not None and len(re.findall(r"[^\W\d_]{2,}", t)) >= 3}
            if not named and sum(1 for t in rough.values() if reads_as_instructions(t, self.settings.vocabulary)) < 3:
                continue  # screened with ast: no libcst parse for a class of field defaults
            found = []
            for name, a in attrs:
                if name not in rough:
                    continue
                msg = self.eval(self.value_of(a), a.scope)
                if msg is None or len(re.findall(r"[^\W\d_]{2,}", msg.text)) < 3:
                    continue
                found.append((name, a, msg, reads_as_instructions(msg.text, self.settings.vocabulary)))
            reading = sum(1 for f in found if f[3])
            if not named and (reading < 3 or 2 * reading < len(found)):
                continue
            for name, a, msg, reads in found:
                if not named and not reads:
                    continue
                self._decide_syntax(msg, name, "format" if self.col.format_calls.get(name) else None)
                out.append(Prompt(f"{self.path}::{a.name}", self.path, a.name, [msg], origin="code",
                                  extent=a.extent, found_by="content"))
        return out

    def _name_matches(self, name: str) -> bool:
        rx = _NAME_MATCHERS.get(self.settings.name_patterns)
        if rx is None:
            rx = _NAME_MATCHERS[self.settings.name_patterns] = re.compile(
                "|".join(f"(?:{fnmatch.translate(p.lower())})" for p in self.settings.name_patterns))
        return rx.match(name.lower()) is not None

    def _format_declarations(self, name: str) -> list[Declaration] | None:
        calls = self.col.format_calls.get(name)
        if not calls:
            return None
        decls: list[Declaration] = []
        for call in calls:
            if call.args:
                return None
            for kw in call.keywords:
                if kw.arg is None:
                    return None
                s = self.col.offset(kw.lineno, kw.col_offset)
                decls.append(Declaration(kw.arg, Span(self.index.position(s), self.index.position(s + len(kw.arg)))))
        return decls

    def _decide_syntax(self, msg: Message, name: str | None, prefer: str | None) -> None:
        from ..template import detect_syntax

        if msg.syntax == "fstring":
            return
        if msg.syntax in ("format", "percent", "dollar") and prefer is None:
            return
        evidence = prefer or (msg.syntax if msg.syntax != "plain" else None)
        msg.syntax = detect_syntax(msg.text, prefer=evidence)
        # No call renders it (no ``.format``, no template class, no ``%``): the dialect is read off the text alone.
        # A bare ``{name}`` field is evidence enough for str.format; a field only inside a quoted f-string sample
        # (``f"{val:.16G}"`` in a plain string) is not, and the brace rule then stays quiet.
        msg.syntax_guessed = evidence is None and msg.syntax != "plain" and not (
            msg.syntax == "format" and _BARE_FIELD.search(msg.text))

    def _kwarg(self, call, names: tuple[str, ...] | str | None):  # noqa: ANN001
        if names is None:
            return None
        if isinstance(names, str):
            names = (names,)
        for a in call.args:
            if a.keyword is not None and a.keyword.value in names:
                return a.value
        return None

    def _positional(self, call, index: int | None):  # noqa: ANN001
        if index is None:
            return None
        pos = [a for a in call.args if a.keyword is None and not a.star]
        return pos[index].value if index < len(pos) else None

    def _call_prompt(self, rec: _CallRecord, bound: bool = False) -> Prompt | None:
        """The prompt call record ``rec`` sends (``bound``: built for one call of
        the function around it, with ``bindings`` set; see :meth:`bound_prompts`)."""
        site, call = rec.site, self.cst_call(rec)
        if call is None:
            return None
        self.flow = False
        messages: list[Message] = []
        prefer = None
        explicit = False
        declarations = None
        if site.template_syntax:
            fmt = self._kwarg(call, "template_format")
            prefer = site.template_syntax
            if isinstance(fmt, cst.SimpleString):
                f = fmt.evaluated_value if isinstance(fmt.evaluated_value, str) else ""
                prefer = {"jinja2": "jinja", "mustache": "mustache", "f-string": "format"}.get(f, "format")
                explicit = True
        for key in site.system:
            node = self._kwarg(call, key)
            if node is not None and not isinstance(node, (cst.List, cst.Tuple)):
                messages += self._content(node, "system", rec.scope)
            elif isinstance(node, (cst.List, cst.Tuple)):
                messages += self._content(node, "system", rec.scope)
        list_node = self._kwarg(call, site.messages) if site.messages else None
        if list_node is None and site.kind == "messages" and site.positional is not None:
            list_node = self._positional(call, site.positional)
        items = self.list_items(list_node, rec.scope) if list_node is not None else None
        if isinstance(list_node, cst.Name) and items is None:
            list_node = None
        if items is not None:
            for item in items:
                messages += self._message_element(item, rec.scope)
        elif site.kind in ("text", "template") or list_node is not None:
            node = list_node
            if node is None:
                for key in site.user:
                    node = self._kwarg(call, key)
                    if node is not None:
                        break
            if node is None and site.positional is not None and site.kind != "messages":
                node = self._positional(call, site.positional)
            if node is not None:
                messages += self._content(node, "user", rec.scope)
        if site.declares:
            declarations = self._declarations(self._kwarg(call, site.declares))
            partial = self._kwarg(call, "partial_variables")
            if declarations is not None and isinstance(partial, cst.Dict):
                for el in partial.elements:
                    if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
                        s, e = self.offset(el.key), self.offset(el.key, end=True)
                        declarations.append(Declaration(str(el.key.evaluated_value),
                                                        Span(self.index.position(s), self.index.position(e))))
        messages = [m for m in messages if m.role != "placeholder"]
        if not messages:
            return None
        for m in messages:
            # A class name alone is weak evidence of the dialect (promptflow's PromptTemplate is Jinja, LangChain's
            # is str.format): Jinja block or comment tags in the text win unless template_format says otherwise.
            jinja_tags = "{%" in m.text or bool(re.search(r"(?<!\{)\{#", m.text))
            self._decide_syntax(m, m.origin, "jinja" if (jinja_tags and not explicit and prefer == "format") else prefer)
            if m.origin:
                self.consumed.add(m.origin)
        primary = primary_index(messages)
        main = messages[primary]
        if rec.target and (site.template_syntax or site.kind == "template"):
            # A template object is named by its variable; an API call's result is not the prompt.
            name = rec.target
            self.consumed.add(rec.target)
        elif main.origin:
            name = main.origin
        else:
            local = main.text and main.source_map.path_of(0, self.path) == self.path  # (not a file it reads)
            start = main.source_map.file_start(0) if local else main.anchor
            name = f"call@{self.index.position(start).line}"
        if declarations is None and main.origin:
            declarations = self._format_declarations(main.origin.rsplit(".", 1)[-1])
        if declarations is None and main.declared is not None and len(messages) == 1:
            declarations = main.declared  # ``prompt = template.format(…)`` reached through a local or a file read
        prompt = Prompt(f"{self.path}::{name}", self.path, name, messages, primary=primary,
                        declarations=declarations, origin="code", extent=self.col.extent(rec.call),
                        found_by="flow" if self.flow else "call-site")
        prompt.sampling = self._sampling(rec.call)
        return prompt

    def _sampling(self, call) -> dict | None:  # noqa: ANN001 - ast.Call
        """``temperature`` (value, span), ``seed`` and JSON ``response_format`` of an API call."""
        import ast

        kws = {k.arg: k for k in call.keywords if k.arg}
        temp = kws.get("temperature")
        if temp is None or not isinstance(temp.value, ast.Constant) or not isinstance(temp.value.value, (int, float)):
            return None
        s = self.col.offset(temp.lineno, temp.col_offset)
        e = self.col.offset(temp.end_lineno, temp.end_col_offset)
        fmt = kws.get("response_format")
        wants_json = fmt is not None and "json" in ast.unparse(fmt.value).lower()
        return {"temperature": (float(temp.value.value), Span(self.index.position(s), self.index.position(e))),
                "seed": "seed" in kws, "json": wants_json}

    def _declarations(self, node) -> list[Declaration] | None:  # noqa: ANN001
        if not isinstance(node, (cst.List, cst.Tuple)):
            return None
        out = []
        for el in node.elements:
            if not isinstance(el.value, cst.SimpleString):
                return None
            s, e = self.offset(el.value), self.offset(el.value, end=True)
            out.append(Declaration(str(el.value.evaluated_value), Span(self.index.position(s), self.index.position(e))))
        return out

    def _content(self, node, role: str, scope) -> list[Message]:  # noqa: ANN001
        """Messages from a content value: a string, or a list of content parts."""
        if isinstance(node, cst.Name):
            a = self.resolve(node.value, scope)
            value = self.value_of(a) if a is not None else None
            if isinstance(value, (cst.List, cst.Tuple)):
                node = value
        if isinstance(node, (cst.List, cst.Tuple)):
            out = []
            for el in node.elements:
                v = el.value
                if isinstance(v, cst.Dict):
                    role_i = _dict_get(v, "role")
                    if role_i is not None:
                        out += self._message_element(v, scope)
                        continue
                    text_node = _dict_get(v, "text")
                    if text_node is not None:
                        out += self._content(text_node, role, scope)
                else:
                    out += self._content(v, role, scope)
            return out
        msg = self.eval(node, scope, whole=True)
        if msg is None:
            return []
        msg.role = role
        if isinstance(node, cst.Name) and self.parameter(node.value, scope) is None:
            msg.origin = msg.origin or node.value  # (a parameter is named by what its caller passed)
        return [msg]

    def _message_element(self, node, scope) -> list[Message]:  # noqa: ANN001
        if isinstance(node, cst.Dict):
            role_node, content = _dict_get(node, "role"), _dict_get(node, "content")
            role = self._role(role_node, scope)
            return self._content(content, role, scope) if content is not None else []
        if isinstance(node, cst.Tuple) and len(node.elements) == 2:
            role = self._role(node.elements[0].value, scope)
            return self._content(node.elements[1].value, role, scope)
        if isinstance(node, cst.Call) and dotted_name(node.func) == "dict":
            role = self._role(self._kwarg(node, "role"), scope)
            content = self._kwarg(node, "content")
            return self._content(content, role, scope) if content is not None else []
        if isinstance(node, cst.Call):
            func = dotted_name(node.func) or ""
            parts = func.split(".")
            cls = parts[-2] if parts[-1] in ("from_template", "from_messages") and len(parts) > 1 else parts[-1]
            if cls in _MESSAGE_CLASSES:
                role = _MESSAGE_CLASSES[cls] or self._role(self._kwarg(node, "role"), scope)
                content = self._kwarg(node, ("content", "template", "prompt")) or self._positional(node, 0)
                return self._content(content, role, scope) if content is not None else []
            if cls == "MessagesPlaceholder":
                return []
        return []

    def _role(self, node, scope) -> str:  # noqa: ANN001
        if node is None:
            return "user"
        msg = self.eval(node, scope)
        role = (msg.text if msg else "user").strip().lower()
        return normal_role(role)


#: Calls of one function followed when its parameters carry a call site's text (see ``_Builder.bound_prompts``).
_MAX_BOUND_CALLS = 6


class _Parameters:
    """A function's parameter names: ``positional`` (in order, ``self`` included),
    all ``names``, and ``defaults`` (name -> ast default expression)."""

    def __init__(self, fdef) -> None:  # noqa: ANN001 - an ast FunctionDef
        a = fdef.args
        self.positional = [x.arg for x in a.posonlyargs + a.args]
        self.names = set(self.positional) | {x.arg for x in a.kwonlyargs}
        self.defaults = dict(zip(self.positional[len(self.positional) - len(a.defaults):], a.defaults))
        self.defaults.update({x.arg: d for x, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})

    def __contains__(self, name: object) -> bool:
        return name in self.names


def _callee_name(func) -> str | None:  # noqa: ANN001 - a libcst expression
    """The last name of a libcst callee (``create`` of ``client.chat.completions.create``)."""
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else None


#: ``unittest.mock`` methods whose keyword arguments are the arguments a test expects a call to have had.
_MOCK_ASSERTS = frozenset({"assert_called_with", "assert_called_once_with", "assert_any_call", "assert_awaited_with",
                           "assert_awaited_once_with", "assert_any_await"})


def _mock_expectation(call) -> bool:  # noqa: ANN001 - an ast Call
    """Is ``call`` a mock assertion (``run.assert_called_once_with(instruction="…")``)
    or a ``mock.call(…)`` entry: its keywords restate what a test expects was
    passed, they send nothing."""
    import ast

    f = call.func
    if isinstance(f, ast.Attribute):
        return f.attr in _MOCK_ASSERTS or (f.attr == "call" and isinstance(f.value, ast.Name) and f.value.id == "mock")
    return False


def _is_static(fdef) -> bool:  # noqa: ANN001
    return any(getattr(d, "id", None) == "staticmethod" for d in fdef.decorator_list)


def _link_compositions(prompts: list[Prompt]) -> None:
    """Record which named prompts are pieces of others: a prompt whose text holds
    characters written in constant ``X``'s literal (``BASE + "…"``,
    ``"\\n".join([BASE, …])``) composes the prompt named ``X``.
    A prompt that is only another one under a second name is no composition.
    A prompt that reads a file of the project composes that file's prompt.
    Sets :attr:`Prompt.composed_of` / :attr:`Prompt.composed_into` (prompt ids)."""
    import os

    by_name = {p.name: p for p in prompts if p.name}
    for p in prompts:
        # (by identity first: a literal's characters share one Provenance, and hashing each is a dataclass hash)
        unique: dict[int, Provenance | None] = {}
        for m in p.messages:
            unique.update(zip(map(id, m.source_map.origins), m.source_map.origins))
        origins = {o for o in unique.values() if o is not None}
        for read in sorted({o.path for o in origins if o.path != p.path}):
            p.composed_of.append(os.path.normpath(read))  # a prompt file it reads (that file's prompt id)
        names = {o.constant for o in origins if not o.own and o.constant}
        if len(names) == 1 and all(o.constant in names for o in origins):
            continue  # ``system_message = LOCAL_SYSTEM_MESSAGE``: an alias of one prompt, not a composition
        for name in sorted(names):
            piece = by_name.get(name)
            if piece is not None and piece is not p:
                p.composed_of.append(piece.id)
                piece.composed_into.append(p.id)


def _concat_leaves(node) -> list:  # noqa: ANN001
    """The operands of a chain of implicit concatenations and ``+``, in source
    order, found without recursion (a prompt may have hundreds of pieces)."""
    leaves, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.ConcatenatedString) or (
                isinstance(n, cst.BinaryOperation) and isinstance(n.operator, cst.Add)):
            stack.append(n.right)
            stack.append(n.left)
        else:
            leaves.append(n)
    return leaves


_CODEGEN = cst.Module(body=[])
#: Largest file a prompt's read is followed into (64 KiB: prompt files are far smaller; larger text is data).
_READ_LIMIT = 64 * 1024
#: Calls that join path pieces, and calls that return their one argument's path (see :meth:`_Builder._path_value`).
_PATH_JOINS = frozenset({"Path", "pathlib.Path", "PurePath", "pathlib.PurePath", "os.path.join", "path.join",
                         "join", "posixpath.join"})
_PATH_SAME = frozenset({"os.path.abspath", "os.path.realpath", "os.path.normpath", "path.abspath", "path.realpath",
                        "str", "os.fspath"})


def _ast_dotted(node) -> str | None:  # noqa: ANN001 - an ast expression
    """``a.b.c`` of an ast Name/Attribute chain, else ``None``."""
    import ast

    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _reads_a_file(node) -> bool:  # noqa: ANN001 - an ast expression
    """Does ``node`` hold a whole-file read, ``….read_text()`` or ``….read()``
    (see :meth:`_Builder._file_read`), maybe formatted, stripped or joined?"""
    import ast

    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and not n.args
               and n.func.attr in ("read_text", "read") for n in ast.walk(node))


def _opened(call):  # noqa: ANN001, ANN202 - an ast Call -> the path expression it opens for text, or None
    """The path argument of ``open(PATH[, mode])`` / ``io.open`` / ``PATH.open([mode])``
    in a text read mode, else ``None``."""
    import ast

    if not isinstance(call, ast.Call):
        return None
    name = _ast_dotted(call.func) or ""
    if name in ("open", "io.open", "codecs.open"):
        path, rest = (call.args[0] if call.args else None), call.args[1:]
    elif isinstance(call.func, ast.Attribute) and call.func.attr == "open":
        path, rest = call.func.value, call.args
    else:
        return None
    mode = rest[0] if rest else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if mode is not None and not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)
                                 and not set(mode.value) & set("bwax+")):
        return None
    return path


def _all_literals(node) -> bool:  # noqa: ANN001
    """Is ``node`` made only of string literals (so it can be replaced by one)?"""
    return all(isinstance(n, (cst.SimpleString, cst.FormattedString)) for n in _concat_leaves(node))


def _dict_get(node, key: str):  # noqa: ANN001
    for el in node.elements:
        if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
            if el.key.evaluated_value == key:
                return el.value
    return None


def join_messages(msgs: list[Message], sep: str) -> Message:
    """Join messages into one text, recording each piece's range.

    ``sep`` characters are synthesised (mapped to the end of the piece before).
    Syntax: ``fstring`` when any piece is an f-string, else that of the first
    piece that has one. ``encoding`` is the first piece's, or ``None`` when a
    piece has none (text read from another file is never rewritten, and
    neither is a whole that holds it).
    """
    smap = SourceMap()
    parts: list[str] = []
    pieces: list[tuple[int, int]] = []
    placeholders: list[Placeholder] = []
    has_f = any(m.syntax == "fstring" for m in msgs)
    pos = 0
    for i, m in enumerate(msgs):
        if i and sep:
            parts.append(sep)
            smap.pad(len(sep))
            pos += len(sep)
        sub = m.pieces or [(0, len(m.text))]
        pieces += [(pos + s, pos + e) for s, e in sub]
        for p in m.placeholders or []:
            placeholders.append(Placeholder(p.name, p.start + pos, p.end + pos))
        parts.append(m.text)
        smap.extend(m.source_map)
        pos += len(m.text)
    first = msgs[0]
    syntax = "fstring" if has_f else next((m.syntax for m in msgs if m.syntax != "plain"), "plain")
    return Message("".join(parts), smap, syntax=syntax, pieces=pieces if len(pieces) > 1 else [],
                   placeholders=placeholders if has_f else None,
                   encoding=None if any(m.encoding is None for m in msgs) else first.encoding,
                   raw_string=msgs[-1].raw_string, triple_quoted=msgs[-1].triple_quoted, anchor=first.anchor)


def _slice(msg: Message, start: int, end: int) -> Message:
    """Characters ``[start, end)`` of ``msg`` with their map, pieces and
    placeholders (in time proportional to the slice, unlike :func:`_keep`)."""
    smap = msg.source_map.select(list(range(start, end)))
    pieces = [(max(s, start) - start, min(e, end) - start) for s, e in msg.pieces if s < end and e > start]
    placeholders = None
    if msg.placeholders is not None:
        placeholders = [Placeholder(p.name, p.start - start, p.end - start) for p in msg.placeholders
                        if p.start >= start and p.end <= end]
    return Message(msg.text[start:end], smap, msg.role, msg.syntax, pieces if len(pieces) > 1 else [], placeholders,
                   msg.encoding, msg.raw_string, msg.triple_quoted, msg.origin, msg.anchor)


def _keep(msg: Message, keep: list[bool]) -> Message:
    """A copy of ``msg`` holding only the characters where ``keep`` is true."""
    idx = [i for i, k in enumerate(keep) if k]
    new_pos = {old: new for new, old in enumerate(idx)}
    text = "".join(msg.text[i] for i in idx)
    smap = msg.source_map.select(idx)

    def remap(s: int, e: int) -> tuple[int, int]:
        ns = next((new_pos[i] for i in range(s, e) if i in new_pos), len(text))
        ne = next((new_pos[i] + 1 for i in range(e - 1, s - 1, -1) if i in new_pos), ns)
        return ns, ne

    pieces = [remap(s, e) for s, e in msg.pieces]
    placeholders = None
    if msg.placeholders is not None:
        placeholders = [Placeholder(p.name, *remap(p.start, p.end)) for p in msg.placeholders]
    return Message(text, smap, msg.role, msg.syntax, pieces, placeholders, msg.encoding, msg.raw_string,
                   msg.triple_quoted, msg.origin, msg.anchor)


def _dedent(msg: Message, strip: bool = False) -> Message:
    """``textwrap.dedent`` (or ``inspect.cleandoc`` when ``strip``) with the map kept."""
    lines = msg.text.split("\n")
    margins = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    if strip and len(lines) > 1:
        rest = [len(line) - len(line.lstrip(" \t")) for line in lines[1:] if line.strip()]
        margins = rest
    margin = min(margins) if margins else 0
    keep: list[bool] = []
    for n, line in enumerate(lines):
        if not line.strip():
            cut = len(line)
        elif strip and n == 0:
            cut = len(line) - len(line.lstrip(" \t"))
        else:
            cut = margin
        keep += [False] * cut + [True] * (len(line) - cut)
        keep.append(True)
    keep = keep[: len(msg.text)]
    out = _keep(msg, keep)
    return _strip(out, "strip") if strip else out


def _strip(msg: Message, how: str) -> Message:
    text = msg.text
    lo = len(text) - len(text.lstrip()) if how in ("strip", "lstrip") else 0
    hi = len(text.rstrip()) if how in ("strip", "rstrip") else len(text)
    return _slice(msg, lo, max(lo, hi))
