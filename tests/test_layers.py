"""The package's import graph: no cycles and no upward edges across
``promptlint.LAYERS``, counting imports inside functions (built with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import promptlint

PKG = Path(promptlint.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = p.relative_to(PKG.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def import_graph() -> dict[str, set[str]]:
    """``module -> modules of promptlint it imports`` (every ``import`` and
    ``from … import`` anywhere in the file; ``from pkg import name`` counts as an
    import of ``pkg.name`` when that is a module, else of ``pkg``)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in mods:
                        edges.add(sub)
                    elif target in mods:
                        edges.add(target)
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in mods)
        edges.discard(name)
        graph[name] = edges
    return graph


def layer_of(module: str) -> int:
    """Index in ``promptlint.LAYERS`` of the longest entry that is ``module`` or a package above it."""
    best, best_len = -1, -1
    for i, layer in enumerate(promptlint.LAYERS):
        for entry in layer:
            if (module == entry or module.startswith(entry + ".")) and len(entry) > best_len:
                best, best_len = i, len(entry)
    return best


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_every_module_has_a_layer() -> None:
    assert [m for m in _modules() if layer_of(m) < 0] == []


def test_no_import_cycles() -> None:
    assert _cycles(import_graph()) == []


def test_no_upward_imports() -> None:
    upward = [f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
              for a, targets in sorted(import_graph().items()) for b in sorted(targets)
              if layer_of(b) > layer_of(a)]
    assert upward == []


def test_the_checker_sees_cycles_and_upward_edges() -> None:
    graph = {"promptlint.engine": {"promptlint.model"}, "promptlint.model": {"promptlint.engine"}}
    assert _cycles(graph) == [["promptlint.engine", "promptlint.model"]]
    assert layer_of("promptlint.model") < layer_of("promptlint.engine")
    assert layer_of("promptlint.extract.python") == layer_of("promptlint.extract")
