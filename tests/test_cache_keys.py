"""The cache-key rules in code: what a cache's key holds (followed through
locals), and where the rules stay quiet (test modules)."""

from __future__ import annotations

import ast
from pathlib import Path

from promptlint.config import load_settings
from promptlint.engine import lint_paths
from promptlint.extract.caching import cache_facts

CACHED = '''from functools import lru_cache

@lru_cache(maxsize=512)
def answer(question):
    user = current_user()
    prompt = f"You are a support agent. Greet {user.name}. Task: answer {question} in one paragraph."
    return client.chat.completions.create(model="m", messages=[{"role": "user", "content": prompt}])
'''


def test_key_names_follow_local_assignments() -> None:
    src = ("def f(q, uid, store):\n    k = (q, norm(uid))\n    if k in store.cache:\n        return store.cache[k]\n"
           "    docs = index.similarity_search(q)\n    ctx = '\\n'.join(docs)\n    out = client.create(ctx, me())\n"
           "    store.cache[k] = out\n    me = current_user()\n    return out\n")
    (fact,) = cache_facts(ast.parse(src), {7}, lambda line, col: line * 100 + col)
    assert fact.key >= {"q", "uid", "norm", "k"} and "docs" not in fact.key
    assert fact.holds("uid") and not fact.holds("me") and not fact.holds("session")
    assert fact.holds("docs")  # determined by the key's q, while the index stays the same: PL303 asks for a version
    assert fact.fetched_here("ctx") and not fact.fetched_here("q") and not fact.fetched_here("k")
    assert fact.how == "in `store.cache` by `f`" and fact.at == (800 + 4, 800 + 18)
    # no LLM call in the function: no cache fact
    assert cache_facts(ast.parse(src), {99}, lambda line, col: 0) == []


def test_reported_in_the_service_not_in_its_tests(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(CACHED)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(CACHED)
    report = lint_paths(["."], load_settings(None), use_cache=False)
    hits = [(f.path, f.span.start.line) for f in report.findings if f.name == "cache-key-missing-user"]
    assert hits == [("app.py", 3)]
