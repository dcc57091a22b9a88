"""Directory walks take prompt files and skip READMEs, changelogs, HTML templates and ignored paths."""

from __future__ import annotations

from promptlint.config import load_settings
from promptlint.discover import discover


def _tree(root, files: dict[str, str]) -> None:  # noqa: ANN001
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_default_walk(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _tree(tmp_path, {
        "README.md": "# Project\nInstall it.\n",
        "CHANGELOG.md": "## 1.0\n",
        "docs/guide.md": "Write docs.\n",
        "app/main.py": "x = 1\n",
        "prompts/summary.md": "Summarise.\n",
        "prompts/README.md": "About these prompts.\n",
        "preprompts/roadmap": "Plan the work. No suffix: a prompt folder's files are prompts.\n",
        "docs/prompts/guide.md": "Documentation about prompts, not a prompt.\n",
        "src/promptflow_notes.md": "A name that only contains the word.\n",
        "templates/page.html.j2": "<html>{{ x }}</html>",
        "templates/answer.j2": "Answer {{ q }}.",
        "AGENTS.md": "Run the tests before committing.\n",
        "docs/AGENTS.md": "Build the docs with mkdocs before committing.\n",
        "docs/reference/agents.md": "A page about the Agent class, not instructions to a coding agent.\n",
        "docs/llms/gemini.md": "A page about the Gemini models.\n",
        ".github/copilot-instructions.md": "Prefer small functions.\n",
        "x.prompt": "Classify {{t}}.",
        "y.prompty": "---\nname: y\n---\nsystem:\nHi\n",
        "config/llm.yaml": "prompts:\n  - name: a\n    template: Summarise.\n",
        "config/db.yaml": "host: localhost\n",
        "data/messages.json": '[{"role": "system", "content": "Answer."}]',
        "package.json": '{"name": "x", "prompt": "y"}',
        "notes/system_prompt.txt": "You are helpful.\n",
        "build/gen.py": "SYSTEM_PROMPT = 'x'\n",
        "ignored/secret.prompt": "Do X.",
        ".gitignore": "ignored/\n",
    })
    monkeypatch.chdir(tmp_path)
    found = dict(discover(["."], load_settings(None)))
    assert sorted(found) == sorted([
        "AGENTS.md", "docs/AGENTS.md", ".github/copilot-instructions.md", "app/main.py", "config/llm.yaml", "data/messages.json",
        "notes/system_prompt.txt", "preprompts/roadmap", "prompts/summary.md", "templates/answer.j2", "x.prompt",
        "y.prompty",
    ])
    assert found["y.prompty"] == "prompty" and found["config/llm.yaml"] == "yaml"


def test_named_file_is_always_linted_and_include_widens(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _tree(tmp_path, {"docs/guide.md": "Write docs.\n", "promptlint.toml": 'extend-include = ["docs/*.md"]\n'})
    monkeypatch.chdir(tmp_path)
    assert discover(["docs/guide.md"], load_settings(["docs/guide.md"])) == [("docs/guide.md", "text")]
    assert discover(["."], load_settings(["."])) == [("docs/guide.md", "text")]


def test_display_paths_keep_the_given_prefix(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _tree(tmp_path, {"proj/prompts/a.md": "x"})
    monkeypatch.chdir(tmp_path)
    assert discover(["proj"], load_settings(None)) == [("proj/prompts/a.md", "text")]


def test_named_folder_is_walked_even_if_gitignored_above(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _tree(tmp_path, {".gitignore": "corpus/\nskip.prompt\n", "corpus/a.prompt": "x", "corpus/skip.prompt": "y",
                     "corpus/prompts/b.md": "z"})
    monkeypatch.chdir(tmp_path)
    assert discover(["corpus"], load_settings(None)) == [("corpus/a.prompt", "text"), ("corpus/prompts/b.md", "text")]
    assert discover(["."], load_settings(None)) == []


def test_force_exclude_applies_walk_rules_to_named_files(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _tree(tmp_path, {"README.md": "# Tool\n", "prompts/a.md": "Write.\n", "app.py": "x = 1\n",
                     "vendor/p.prompt": "x", "promptlint.toml": 'extend-exclude = ["vendor/"]\n'})
    monkeypatch.chdir(tmp_path)
    named = ["README.md", "prompts/a.md", "app.py", "vendor/p.prompt"]
    s = load_settings(named)
    assert [p for p, _ in discover(named, s)] == named
    assert [p for p, _ in discover(named, s, force_exclude=True)] == ["prompts/a.md", "app.py"]


def test_kinds_judged_by_content_are_remembered_until_the_file_changes(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import os

    import promptlint.discover as disc
    from promptlint.engine import lint_paths

    _tree(tmp_path, {
        "src/run.jinja2": "Summarise the ticket {{ ticket }} in two sentences. Stop after the second sentence.\n",
        "src/deploy.jinja2": "#!/bin/sh\nkubectl apply -f {{ manifest }}\n",
        "config/agent.yaml": "system_prompt: You are a support agent. Answer in one paragraph.\n",
        "app.py": "x = 1\n",
    })
    monkeypatch.chdir(tmp_path)
    s = load_settings(["."])
    reads: list[str] = []
    real_head = disc._head
    monkeypatch.setattr(disc, "_head", lambda path, size=65536: reads.append(str(path)) or real_head(path, size))
    sniffed: dict = {}
    first = discover(["."], s, sniffed=sniffed)
    assert sorted(reads) == ["./config/agent.yaml", "./src/deploy.jinja2", "./src/run.jinja2"]
    assert sniffed[str(tmp_path / "src/deploy.jinja2")][2] is None and sniffed[str(tmp_path / "src/run.jinja2")][2] == "text"
    reads.clear()
    again = discover(["."], s, sniffed=sniffed)
    assert reads == [] and again == first == discover(["."], s)
    # A changed file (another size) is judged again, and its entry follows.
    (tmp_path / "src/deploy.jinja2").write_text("Explain the manifest {{ manifest }} to the operator in plain words.\n")
    reads.clear()
    assert ("src/deploy.jinja2", "text") in discover(["."], s, sniffed=sniffed)
    assert reads == ["./src/deploy.jinja2"] and sniffed[str(tmp_path / "src/deploy.jinja2")][2] == "text"
    # Through the result cache: a run with a cache records the judgments, the next one reads none of those files.
    for jobs in (1, 2):
        for cache in tmp_path.glob(".promptlint_cache"):
            import shutil

            shutil.rmtree(cache)
        reads.clear()
        cold = lint_paths(["."], s, jobs=jobs)
        reads.clear()
        warm = lint_paths(["."], s, jobs=jobs)
        assert reads == [] and warm.cached == len(warm.results) == 4
        assert [r.path for r in cold.results] == [r.path for r in warm.results]
    os.utime(tmp_path / "src/run.jinja2", ns=(1, 1))  # an older mtime: judged again
    reads.clear()
    lint_paths(["."], s, jobs=1)
    assert reads == ["./src/run.jinja2"]


def test_a_judgment_is_remembered_only_for_a_file_read_and_by_its_absolute_path(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import promptlint.discover as disc

    _tree(tmp_path, {"x.yaml": "name: thing\n", "sub/x.yaml": "system_prompt: You are a bot. Answer in JSON.\n"})
    s = load_settings([str(tmp_path)])
    sniffed: dict = {}
    monkeypatch.chdir(tmp_path)
    assert discover(["."], s, sniffed=sniffed) == [("sub/x.yaml", "yaml")]
    monkeypatch.chdir(tmp_path / "sub")  # the same "./x.yaml" from here is another file
    assert discover(["."], s, sniffed=sniffed) == [("x.yaml", "yaml")]
    # A file that could not be read (the head comes back empty) leaves no judgment behind.
    monkeypatch.setattr(disc, "_head", lambda path, size=65536: "")
    sniffed.clear()
    assert discover(["."], s, sniffed=sniffed) == [] and sniffed == {}
