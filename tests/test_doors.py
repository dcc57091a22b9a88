"""The three doors agree because they go through the same engine entries:
the language server and ``check --force-exclude`` (the pre-commit door) skip the
same files; the pre-commit hook is handed every kind the folder walk lints; the
fix loop reports what it could not do; source I/O refuses what it must not touch."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import CONTRACT_OPT_IN
import yaml

from promptlint.config import load_settings
from promptlint.discover import discover, is_prompt_file
from promptlint.engine import fix_text, lint_document
from promptlint.source import WriteError, read_source, write_atomic

REPO = Path(__file__).resolve().parents[1]
PROMPTY = "Summarize the notes.\n"


def _cli(cwd: Path, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "promptlint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "promptlint.toml").write_text(CONTRACT_OPT_IN + 'extend-exclude = ["vendor/"]\n')
    (tmp_path / "README.md").write_text("# Tool\n\nSummarize the notes for the team.\n")
    for rel in ("vendor/prompts/a.prompt", "prompts/b.prompt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(PROMPTY)
    return tmp_path


def test_lint_document_applies_discovery_rules(project: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(project)
    settings = load_settings(["."])
    assert lint_document("README.md", (project / "README.md").read_text(), settings) is None
    assert lint_document("vendor/prompts/a.prompt", PROMPTY, settings) is None
    kept = lint_document("prompts/b.prompt", PROMPTY, settings)
    assert kept is not None and kept.findings
    # An unsaved buffer has no file on disk to exclude: it is linted.
    assert lint_document("untitled.prompt", PROMPTY, settings) is not None


def test_lsp_and_force_exclude_agree(project: Path) -> None:
    pytest.importorskip("pygls")
    import asyncio

    from lsprotocol import types as t
    from pytest_lsp import LanguageClient, make_test_lsp_client

    files = ["README.md", "vendor/prompts/a.prompt", "prompts/b.prompt"]
    proc = _cli(project, "check", "--force-exclude", "--no-cache", "--output-format", "json", *files)
    cli_paths = {f["path"] for f in json.loads(proc.stdout)}
    assert cli_paths == {"prompts/b.prompt"}, proc.stdout + proc.stderr

    async def scenario() -> set[str]:
        client: LanguageClient = make_test_lsp_client()
        await client.start_io(sys.executable, "-m", "promptlint", "server", cwd=str(REPO))
        await client.initialize_session(t.InitializeParams(capabilities=t.ClientCapabilities(),
                                                           root_uri=project.as_uri(),
                                                           initialization_options={"debounce_ms": 10}))
        with_diags = set()
        for rel in files:
            uri = (project / rel).as_uri()
            client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(
                uri=uri, language_id="plaintext", version=1, text=(project / rel).read_text())))
            await asyncio.wait_for(client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 30)
            if client.diagnostics.get(uri):
                with_diags.add(rel)
        await client.shutdown_session()
        await client.stop()
        return with_diags

    assert asyncio.run(scenario()) == cli_paths


def test_precommit_hook_is_handed_every_kind_the_walk_lints(tmp_path: Path) -> None:
    from identify.identify import tags_from_path

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    samples = {".cursorrules": "Be brief.\n", "prompts/system": "You answer briefly.\n",
               "prompts/guide.mdx": "# Task\nAnswer.\n", "prompts/notes.markdown": "Answer.\n",
               "AGENTS.md": "Run the tests.\n", "app.py": "X = 1\n", "a.prompty": "---\n---\nHi\n",
               "t.j2": "Hi {{ x }}\n", "prompts/messages.yaml": "messages:\n  - role: system\n    content: Hi\n",
               "CLAUDE.md": "Be careful.\n", "p.prompt": "Hi.\n"}
    for rel, text in samples.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        assert is_prompt_file(rel, lambda p=path: p.read_text()) is not None, rel  # the walk lints it
        for hook in hooks:
            assert "files" not in hook or __import__("re").search(hook["files"], rel), (hook["id"], rel)
            assert set(hook.get("types", [])) <= tags_from_path(str(path)), (hook["id"], rel)


def test_fix_loop_reports_what_it_could_not_do(monkeypatch) -> None:  # noqa: ANN001
    import promptlint.engine as engine

    settings = load_settings(None, select=["unescaped-brace"])
    src = 'RECORD_TMPL = "Read {invoice}. Return JSON like {\\"total\\": 1}."\n'
    done = fix_text("t.py", src, "python", settings)
    assert done.status == "fixed" and done.applied == 1 and done.text != src
    capped = fix_text("t.py", src, "python", settings, max_rounds=0)
    assert capped.status == "did not converge" and capped.text == src
    monkeypatch.setattr(engine, "reparses", lambda *a: False)
    broken = fix_text("t.py", src, "python", settings)
    assert broken.status == "would not parse" and broken.text == src and broken.applied == 0


def test_fifo_with_a_prompt_name_does_not_hang_a_run(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    (tmp_path / "prompts").mkdir()
    os.mkfifo(tmp_path / "prompts" / "x.prompt")
    os.mkfifo(tmp_path / "prompts" / "y.yaml")
    (tmp_path / "prompts" / "ok.prompt").write_text(PROMPTY)
    assert [p for p, _ in discover([str(tmp_path)], load_settings([str(tmp_path)]))] == [
        os.path.join(str(tmp_path), "prompts/ok.prompt")]
    proc = _cli(tmp_path, "check", "--no-cache", "--output-format", "concise", ".", timeout=60)
    assert proc.returncode == 1 and "prompts/ok.prompt" in proc.stdout and "x.prompt" not in proc.stdout
    named = _cli(tmp_path, "check", "--no-cache", "prompts/x.prompt", timeout=60)
    assert named.returncode == 2 and "not a regular file" in named.stderr
    text, problem = read_source(str(tmp_path / "prompts" / "x.prompt"))
    assert text is None and "not a regular file" in problem


@pytest.mark.default_rules
def test_write_atomic_keeps_mode_and_owner_and_refuses_read_only(tmp_path: Path) -> None:
    target = tmp_path / "p.prompt"
    target.write_text("one")
    os.chmod(target, 0o640)
    write_atomic(target, "two", "one")
    assert target.read_text() == "two" and stat.S_IMODE(target.stat().st_mode) == 0o640
    if os.geteuid() == 0:  # root can hand the file to another owner: the new file must keep it
        os.chown(target, 4321, 4321)
        write_atomic(target, "three", "two")
        assert (target.stat().st_uid, target.stat().st_gid) == (4321, 4321)
    os.chmod(target, 0o444)
    with pytest.raises(WriteError, match="not writable"):
        write_atomic(target, "four")
    assert target.read_text() in ("two", "three")
    assert [p.name for p in tmp_path.iterdir()] == ["p.prompt"]  # no temporary file left behind
    with pytest.raises(WriteError, match="changed on disk"):
        os.chmod(target, 0o644)
        write_atomic(target, "five", "something else")


def test_write_atomic_refuses_another_users_file_when_it_cannot_keep_the_owner(tmp_path: Path) -> None:
    if os.geteuid() != 0 or not hasattr(os, "fork"):
        pytest.skip("needs root to make a file another user owns")
    target = tmp_path / "shared.prompt"
    target.write_text("root's text")
    os.chmod(target, 0o666)  # writable by everyone, owned by root
    os.chmod(tmp_path, 0o777)
    result: dict = {}

    def as_other_user() -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.setgid(4321)
                os.setuid(4321)
                write_atomic(target, "other's text", "root's text")
                code = 3
            except WriteError:
                code = 0
            except BaseException:  # noqa: BLE001
                code = 4
            os._exit(code)
        result["status"] = os.waitpid(pid, 0)[1]

    worker = threading.Thread(target=as_other_user)
    worker.start()
    worker.join(30)
    assert os.waitstatus_to_exitcode(result["status"]) == 0
    assert target.read_text() == "root's text" and target.stat().st_uid == 0


def test_statistics_honour_json_output(tmp_path: Path) -> None:
    (tmp_path / "p.prompt").write_text(PROMPTY)
    proc = _cli(tmp_path, "check", "--no-cache", "--statistics", "--output-format", "json", "p.prompt")
    rows = json.loads(proc.stdout)
    assert rows and {"code", "name", "count"} == set(rows[0]) and all(r["count"] >= 1 for r in rows)


def test_prompts_lists_a_prompt_with_a_contract_once(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(REPO / "fixtures" / "variance", tmp_path / "variance")
    proc = _cli(tmp_path, "prompts", "--no-cache", "--output-format", "json", "variance")
    ids = [p["id"] for p in json.loads(proc.stdout)]
    assert len(ids) == len(set(ids)), ids
    assert "variance/ticket_triage.md" in ids


def test_configured_label_prompt_is_found(tmp_path: Path) -> None:
    (tmp_path / "named.py").write_text('BERICHT_PROMPT = "Auftrag: Fasse den Bericht in drei Sätzen zusammen."\n')
    before = _cli(tmp_path, "prompts", "--no-cache", "--output-format", "json", "named.py")
    assert json.loads(before.stdout) == []  # nothing in the default vocabulary says this is an instruction
    (tmp_path / "promptlint.toml").write_text(CONTRACT_OPT_IN + '[labels]\ntask = ["Auftrag"]\n')
    after = _cli(tmp_path, "prompts", "--no-cache", "--output-format", "json", "named.py")
    (found,) = json.loads(after.stdout)
    assert found["id"] == "named.py::BERICHT_PROMPT" and found["parts"]["task"]["present"]


def test_fix_and_rewrite_no_model_give_the_same_restructure(tmp_path: Path) -> None:
    import shutil

    body = ("You answer questions about the timetable {timetable}. Never guess a time and reply in one "
            "sentence; if the question is about another city, ask which station they mean.\n")
    (tmp_path / "promptlint.toml").write_text(CONTRACT_OPT_IN + 'layout = "markdown"\n')
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.txt").write_text(body)
    shutil.copy(tmp_path / "prompts" / "a.txt", tmp_path / "prompts" / "b.txt")
    fixed = _cli(tmp_path, "check", "--no-cache", "--fix", "--unsafe-fixes", "prompts/a.txt")
    assert fixed.returncode in (0, 1), fixed.stderr
    rewritten = _cli(tmp_path, "rewrite", "--no-model", "--write", "prompts/b.txt")
    assert rewritten.returncode == 0, rewritten.stderr
    a, b = (tmp_path / "prompts" / "a.txt").read_text(), (tmp_path / "prompts" / "b.txt").read_text()
    assert a != body and a == b
    assert a.startswith("# ")  # the configured layout (Markdown headings), not Label: blocks


def test_contract_file_reports_its_prompt_at_the_prompt_files_lines(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(REPO / "fixtures" / "variance", tmp_path / "variance")
    own = json.loads(_cli(tmp_path, "prompts", "--no-cache", "--output-format", "json",
                          "variance/ticket_triage.md").stdout)
    via = json.loads(_cli(tmp_path, "prompts", "--no-cache", "--output-format", "json",
                          "variance/ticket_triage.contract.yaml").stdout)
    assert [(p["line"], p["end_line"], p["parts"]) for p in via] == [(p["line"], p["end_line"], p["parts"]) for p in own]


def test_non_utf8_file_is_reported_at_the_bad_byte(tmp_path: Path) -> None:
    (tmp_path / "p.prompt").write_bytes("Summarize the notes.\nCaf\xe9 au lait\n".encode("latin-1"))
    proc = _cli(tmp_path, "check", "--no-cache", "--output-format", "concise", "p.prompt")
    assert "p.prompt:2:4: PL900" in proc.stdout and "not UTF-8" in proc.stdout, proc.stdout


def test_rewrite_of_a_whole_file_with_a_call_site_prompt_below_another(tmp_path: Path) -> None:
    # Rewriting the first prompt moved the lines below it, and the next prompt's id (``call@9``) names its
    # line: the whole-file rewrite failed with "no prompt 'm.py::call@9'" and wrote nothing.
    src = ('from openai import OpenAI\nclient = OpenAI()\n'
           'SYSTEM_PROMPT = "You are a support bot. Answer questions about routers in three sentences."\n\n\n'
           'def classify(text):\n    return client.chat.completions.create(\n        model="m",\n'
           '        messages=[{"role": "system", "content": "Classify the message as spam or ham. Reply with one '
           'word."},\n                  {"role": "user", "content": text}],\n    )\n')
    (tmp_path / "promptlint.toml").write_text(CONTRACT_OPT_IN)
    (tmp_path / "m.py").write_text(src)
    shown = _cli(tmp_path, "rewrite", "--no-model", "m.py")  # the diff, from the file as read to all rewrites
    assert shown.returncode == 0, shown.stderr
    patch = [ln for ln in shown.stdout.splitlines() if ln[:1] in "+- " and not ln.startswith(("+++", "---"))]
    old_side = "\n".join(ln[1:] for ln in patch if ln[:1] in "- ")
    new_side = "\n".join(ln[1:] for ln in patch if ln[:1] in "+ ")
    assert "You are a support bot." in old_side and "Classify the message as spam or ham." in old_side
    assert old_side in src.rstrip("\n")  # (the old side is the file as read: stop 22 diffed a half-rewritten one)
    done = _cli(tmp_path, "rewrite", "--no-model", "--write", "--output-format", "json", "m.py")
    assert done.returncode == 0, done.stderr
    assert [r["prompt_id"] for r in json.loads(done.stdout)] == ["m.py::SYSTEM_PROMPT", "m.py::call@9"]  # file order
    after = (tmp_path / "m.py").read_text()
    compile(after, "m.py", "exec")
    assert after.count("TODO") >= 2 and "Classify the message as spam or ham." in after
    assert new_side in after  # the diff shown is what --write wrote


def test_prompts_table_written_to_a_pipe_keeps_each_id_whole(tmp_path: Path) -> None:
    # A long id split over two table lines cannot be searched for or pasted into `rewrite`.
    name = "a_rather_long_module_name_for_the_assistant_prompts"
    cls = "ArchitectPromptsForTheRefactoringCoderWithLongNames"
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / f"{name}.py").write_text(
        f"class {cls}:\n"
        '    main_system_instructions_for_the_model = "You are an architect. Plan the change, then stop."\n'
        '    SYSTEM_PROMPT = "Summarise {a} {b} {c} {d} {e} {f} {g} {h} {i} {j} {k} {l} {m} {n} {o} {p} {q} {r}."\n')
    done = _cli(tmp_path, "prompts", "--no-cache", ".")  # stdout is a pipe here
    assert done.returncode == 0, done.stderr
    assert f"pkg/{name}.py::{cls}.main_system_instructions_for_the_model" in done.stdout


def test_rewrite_picks_what_check_reports_and_passes_over_what_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "promptlint.toml").write_text(CONTRACT_OPT_IN + 'ignore = ["missing-verification"]\n')
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "review.md").write_text(
        "Context: you review Python pull requests for a small team.\n\n"
        "Task: list the bugs you find in the diff below.\n\n"
        "Output format: a Markdown bullet list, one bug per line.\n\nDiff:\n{{diff}}\n")
    (tmp_path / "agent.yaml").write_text(
        "agent:\n  templates:\n    system_template: |-\n      You are a triage agent for bug reports.\n"
        "      Task: read the report and assign a severity.\n      Output: one word, one of low, medium, high.\n"
        '    instance_template: "Report: {{report}}"\n')
    checked = _cli(tmp_path, "check", "--no-cache", "--output-format", "json", "prompts/review.md", "agent.yaml")
    flagged = sorted({(f["prompt_id"], f["code"]) for f in json.loads(checked.stdout)})
    assert flagged == [("agent.yaml::agent.templates.system_template", "PL002"),
                       ("agent.yaml::agent.templates.system_template", "PL005"),
                       ("prompts/review.md", "PL002"), ("prompts/review.md", "PL005")]
    # The separated review prompt lacks constraints and a stop condition: rewrite takes it (it said "No prompt
    # needs a rewrite" while check reported both), with no TODO for the ignored verification.
    done = _cli(tmp_path, "rewrite", "--no-model", "--output-format", "json", "prompts/review.md")
    assert done.returncode == 0, done.stderr
    (only,) = json.loads(done.stdout)
    assert "TODO" in only["new_text"] and "erification" not in only["new_text"]
    # A YAML value is not written back: a whole file passes it over (the ping beside it is not even tried) …
    done = _cli(tmp_path, "rewrite", "--no-model", "agent.yaml")
    assert done.returncode == 0 and done.stderr.splitlines() == [
        "agent.yaml::agent.templates.system_template: skipped: promptlint cannot write new text there (a YAML or "
        "TOML value, a notebook cell, or text built by code)", "Nothing rewritten (1 skipped)."]
    # … and naming it says why, in one line, exit 2.
    done = _cli(tmp_path, "rewrite", "--no-model", "agent.yaml::agent.templates.system_template")
    assert done.returncode == 2 and "does not write new text into this yaml value" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
