"""Response caches around LLM calls in Python code, for ``cache-key-missing-user``
and ``cache-key-missing-retrieval-version``.

Two shapes are recognised in a function that makes an LLM call:

* a caching decorator (``functools.lru_cache`` / ``cache``, ``cachetools.cached``,
  ``async_lru.alru_cache``, Streamlit's ``st.cache_data``, joblib/diskcache
  ``memoize``, and the decorators a project configures): the key is the
  function's parameters, or the names a ``key=`` lambda reads;
* a store read and written around the call: ``X[key] = …`` together with
  ``key in X``, ``X.get(key)`` or ``X[key]``, or ``X.set(key, …)`` with
  ``X.get(key)``, where ``X`` is named for a cache (``cache``, ``_cache``,
  ``self.response_cache``, ``redis`` …): the key is the names its expression
  reads, followed through the function's local assignments (a key that hashes
  the rendered prompt holds everything the prompt holds).

:func:`cache_facts` returns one :class:`CacheFact` per such function; the check
(:mod:`promptlint.checks.serving`) compares what a prompt sent there
interpolates with what the key holds.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

#: Last names of caching decorators whose key is the decorated function's arguments.
CACHE_DECORATORS = frozenset({"lru_cache", "cache", "cached", "alru_cache", "cache_data", "memoize", "memoized",
                              "cachedmethod", "async_cached"})
#: A store named for a cache (the last part of its dotted name).
_STORE = re.compile(r"cache|redis|memo", re.I)
#: A cheap test of a module's text before any tree walk: a caching decorator, or a cache-named store
#: subscripted, asked for membership or read/written by method (see :func:`may_cache`).
_HINT = re.compile(r"@[\w.]*?(?:" + "|".join(sorted(CACHE_DECORATORS)) + r")\b"
                   r"|(?i:cache|redis|memo)\w*\s*(?:\[|\.(?:get|set|setex|put|add|exists)\()"
                   r"|\bin\s+[\w.]*(?i:cache|memo)")

#: Receivers whose ``invoke`` fetches documents.
_RETRIEVER = re.compile(r"retriev|index|vector|store|search|\bdb\b|database|kb\b", re.I)
#: Calls that fetch documents (a retriever, a vector store, a search index, a database or file read).
_FETCH = re.compile(r"retriev|search|query|similar|relevant|fetch|lookup|knn|vector|rerank|recall|"
                    r"^(?:get|load|read|find|select|scan)(?:_|$)", re.I)


@dataclass
class CacheFact:
    """A response cache around an LLM call (see the module docstring).

    ``function`` is the function's name; ``start``/``end`` its file offsets
    (``def`` to its last line); ``at`` the file range a finding is reported at
    (the decorator, or the store write); ``how`` says in words what caches
    (``by `@lru_cache` on `answer``` or ``in `self._cache` by `answer```); ``key`` the names the key
    holds (parameters, or names its expression reads, locals followed);
    ``key_text`` the key as the message shows it; ``locals`` maps each local
    name assigned in the function to ``(names its value reads, whether the
    value calls something that fetches documents: a retriever, a search, a
    store or file read)``; ``module_constants`` names assigned at module level
    (the same for every user).
    """

    function: str
    start: int
    end: int
    at: tuple[int, int]
    how: str
    key: frozenset[str]
    key_text: str
    locals: dict[str, tuple[frozenset[str], bool]] = field(default_factory=dict)
    module_constants: frozenset[str] = frozenset()

    def holds(self, name: str, depth: int = 0) -> bool:
        """Does the key determine local or global ``name`` (a parameter in the
        key, a module constant, or a local built only from such names)?"""
        if name in self.key:
            return True
        if name in self.locals:  # a local first: it may shadow a module name
            if depth >= 4:
                return False
            reads, fetches = self.locals[name]
            if not reads:
                return not fetches  # a constant written in the function (``user_name = "Guest"``)
            return any(self.holds(n, depth + 1) for n in reads)
        return name in self.module_constants

    def fetched_here(self, name: str) -> bool:
        """Is local ``name`` fetched inside the cached function (by a call named
        for retrieval, search or reading, directly or through the locals it is
        built from)?"""
        seen, todo = set(), [name]
        while todo:
            n = todo.pop()
            if n in seen or n not in self.locals:
                continue
            seen.add(n)
            reads, fetches = self.locals[n]
            if fetches:
                return True
            todo.extend(reads)
        return False


def _last(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _dotted(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - a node ast cannot print back
        return "?"


def _functions(tree: ast.Module):  # noqa: ANN202 - the module's function definitions, at any depth
    """Every ``def`` of the module, found through statement bodies only (expressions are never walked)."""
    stack: list = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            stack.extend(getattr(node, name, None) or ())


def _bound(target: ast.AST) -> list[ast.Name]:
    """The names an assignment target binds (``a``, ``a, (b, *c)``); ``x[k] = …`` and ``x.y = …`` bind none."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for el in target.elts for n in _bound(el)]
    if isinstance(target, ast.Starred):
        return _bound(target.value)
    return []


def _fetches(node: ast.AST) -> bool:
    """Does expression ``node`` call something that fetches documents? ``invoke`` counts only on a retriever, an
    index or a store (LangChain's ``retriever.invoke(q)``; ``chain.invoke(…)`` is another model's answer)."""
    for n in ast.walk(node):
        if not isinstance(n, ast.Call):
            continue
        last = _last(n.func) or ""
        if last in ("invoke", "ainvoke"):
            if isinstance(n.func, ast.Attribute) and _RETRIEVER.search(_dotted(n.func.value)):
                return True
        elif _FETCH.search(last):
            return True
    return False


def _literal(node: ast.AST) -> bool:
    """Is ``node`` a literal (a constant, an f-string of constants, or a collection of literals)?"""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _literal(k) for k in node.keys) and all(_literal(v) for v in node.values)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    return False


def _lambda_key(key_fn: ast.Lambda, params: list[str]) -> frozenset[str]:
    """The function parameters a ``key=`` lambda's body reads: the lambda receives the arguments by position
    (its parameter ``i`` is the function's parameter ``i``, whatever its name) and ``*args`` / ``**kwargs``
    pass them all."""
    a = key_fn.args
    used = _names(key_fn.body)
    if (a.vararg and a.vararg.arg in used) or (a.kwarg and a.kwarg.arg in used):
        return frozenset(params)
    positional = [x.arg for x in a.posonlyargs + a.args]
    key = {params[i] for i, name in enumerate(positional) if name in used and i < len(params)}
    key |= {x.arg for x in a.kwonlyargs if x.arg in used and x.arg in params}
    return frozenset(key)


def _names(node: ast.AST | None) -> frozenset[str]:
    if node is None:
        return frozenset()
    return frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))


def _body_nodes(func: ast.AST):  # noqa: ANN202 - the function's own nodes, nested defs left out
    todo = list(ast.iter_child_nodes(func))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = func.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return names


def may_cache(text: str, extra_decorators: frozenset[str] = frozenset()) -> bool:
    """Could module ``text`` hold a response cache (a decorator or a store use
    :func:`cache_facts` looks for)? A regex over the text, so modules that only
    mention a cache in prose or names are not walked."""
    if any("@" + d.rsplit(".", 1)[-1] in text or "." + d.rsplit(".", 1)[-1] in text for d in extra_decorators):
        return True
    from .base import search_near

    return search_near(_HINT, text, ("cache", "memo", "redis"), before=80)  # every match of _HINT holds one


def cache_facts(tree: ast.Module, llm_lines: set[int], offset, extra_decorators: frozenset[str] = frozenset()) \
        -> list[CacheFact]:  # noqa: ANN001
    """The caches around LLM calls in module ``tree``.

    ``llm_lines`` are the 1-based lines of the module's LLM calls (requests
    and call sites the extractor knows); ``offset(line, col)`` turns an
    ``ast`` position into a file offset; ``extra_decorators`` are configured
    decorator names (their last part is compared)."""
    decorators = CACHE_DECORATORS | {d.rsplit(".", 1)[-1] for d in extra_decorators}
    # Module names bound to literals are the same for every user; a client, a ContextVar or a session object is not.
    constants = frozenset(t.id for stmt in tree.body if isinstance(stmt, (ast.Assign, ast.AnnAssign))
                          and stmt.value is not None and _literal(stmt.value)
                          for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                          if isinstance(t, ast.Name))
    constants -= frozenset(n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names)
    imported = frozenset((a.asname or a.name).split(".")[0] for stmt in tree.body
                         if isinstance(stmt, (ast.Import, ast.ImportFrom)) for a in stmt.names)
    out: list[CacheFact] = []
    for func in _functions(tree):
        if not any(func.lineno <= line <= func.end_lineno for line in llm_lines):
            continue
        own = list(_body_nodes(func))
        # a call made in a nested function is not this function's
        nested = [n for n in ast.walk(func) if n is not func and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        if not any(func.lineno <= line <= func.end_lineno
                   and not any(n.lineno <= line <= n.end_lineno for n in nested) for line in llm_lines):
            continue
        local: dict[str, tuple[frozenset[str], bool]] = {}
        for node in own:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                calls = _fetches(node.value)
                for t in targets:
                    for n in _bound(t):
                            reads, called = local.get(n.id, (frozenset(), False))
                            local[n.id] = (reads | _names(node.value), called or calls)
            elif isinstance(node, ast.NamedExpr):  # ``if (user := load_user(uid)) is None``
                reads, called = local.get(node.target.id, (frozenset(), False))
                local[node.target.id] = (reads | _names(node.value), called or _fetches(node.value))
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                for n in _bound(node.target):
                    reads, called = local.get(n.id, (frozenset(), False))
                    local[n.id] = (reads | _names(node.iter), called or _fetches(node.iter))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        for n in _bound(item.optional_vars):
                            local[n.id] = (_names(item.context_expr), _fetches(item.context_expr))
        base = {"function": func.name, "start": offset(func.lineno, func.col_offset),
                "end": offset(func.end_lineno, func.end_col_offset), "locals": local,
                "module_constants": constants - imported}
        fact = _decorated(func, decorators, offset, base)
        if fact is None:
            fact = _store(func, own, local, offset, base)
        if fact is not None:
            out.append(fact)
    return out


def _decorated(func, decorators: frozenset[str], offset, base: dict) -> CacheFact | None:  # noqa: ANN001
    for dec in func.decorator_list:
        last = _last(dec)
        if last not in decorators:
            continue
        at = (offset(dec.lineno, dec.col_offset), offset(dec.end_lineno, dec.end_col_offset))
        key_fn = next((k.value for k in dec.keywords if k.arg == "key"), None) if isinstance(dec, ast.Call) else None
        if isinstance(key_fn, ast.Lambda):
            key, text = _lambda_key(key_fn, _params(func)), _dotted(key_fn.body)
        elif key_fn is not None:
            return None  # a key function defined elsewhere: what it holds is not visible here
        else:
            params = _params(func)
            key, text = frozenset(params), ", ".join(params) or "no arguments"
        how = f"by `@{_dotted(dec.func if isinstance(dec, ast.Call) else dec)}` on `{func.name}`"
        return CacheFact(at=at, how=how, key=key, key_text=text, **base)
    return None


def _store(func, own: list, local: dict, offset, base: dict) -> CacheFact | None:  # noqa: ANN001
    writes: list[tuple[str, ast.AST, ast.AST]] = []  # (store, key node, node reported at)
    reads: set[tuple[str, str]] = set()
    for node in own:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Subscript) and _STORE.search(_last(t.value) or ""):
                    writes.append((_dotted(t.value), t.slice, t))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _STORE.search(
                _last(node.value) or ""):
            reads.add((_dotted(node.value), _dotted(node.slice)))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
                and _STORE.search(_last(node.comparators[0]) or ""):
            reads.add((_dotted(node.comparators[0]), _dotted(node.left)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                and _STORE.search(_last(node.func.value) or ""):
            store = _dotted(node.func.value)
            if node.func.attr in ("get", "exists", "__contains__"):
                reads.add((store, _dotted(node.args[0])))
            elif node.func.attr in ("set", "setex", "put", "add", "__setitem__") and len(node.args) >= 2:
                writes.append((store, node.args[0], node))
    for store, key_node, at_node in writes:
        if (store, _dotted(key_node)) not in reads:
            continue
        held: set[str] = set()
        todo = list(_names(key_node))
        while todo:  # the key's names, followed through local assignments
            n = todo.pop()
            if n in held:
                continue
            held.add(n)
            todo.extend(local.get(n, (frozenset(), False))[0])
        at = (offset(at_node.lineno, at_node.col_offset), offset(at_node.end_lineno, at_node.end_col_offset))
        text = f"`{_dotted(key_node)}`"
        from_params = [p for p in _params(func) if p in held]
        if not isinstance(key_node, ast.Name) or key_node.id not in from_params:
            text += f", built from {', '.join(from_params)}" if from_params else ", built from no argument"
        return CacheFact(at=at, how=f"in `{store}` by `{func.name}`", key=frozenset(held), key_text=text, **base)
    return None
