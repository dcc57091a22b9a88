"""The pre-commit hooks (``.pre-commit-hooks.yaml``) end to end, through the real
``pre-commit`` and real ``git`` (no mocks).

The hook repository is a snapshot of this checkout: a clone of it with the
working tree (tracked changes and untracked, not ignored files, such as a
``.pre-commit-hooks.yaml`` that is not committed yet) committed on top. That is
needed because ``pre-commit try-repo`` only carries tracked changes and staged
files into its shadow commit, and a ``.pre-commit-config.yaml`` can only name a
committed ``rev``. pre-commit installs the hook repository with pip into its own
virtualenv (the dependencies come from the package index); the store
(``PRE_COMMIT_HOME``) is shared by the tests of this module so that the commit
tests install it once. ``try-repo`` always installs into a fresh temporary
store of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import CONTRACT_OPT_IN

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install pre-commit)")
if shutil.which("git") is None:  # pragma: no cover - git is part of the dev setup
    pytest.skip("git is not installed", allow_module_level=True)

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 900  # seconds: pre-commit's first run pip-installs the hook environment

# A prompt file with no task (PL003 missing-task).
NO_TASK_PROMPT = """\
You are a support assistant for ACME, a company that sells accounting software.

{{ticket_text}}
"""

# A str.format template with a literal JSON example (PL201 unescaped-brace) and
# no other finding, so that once the hook has doubled the braces it is clean.
BRACE_TEMPLATE = '''\
RECORD_TMPL = """# Context
You read one invoice from a small shop:
{invoice}

# Constraints
- Use only numbers printed on the invoice; never guess a total.

# Task
Extract the vendor and the total of the invoice.

# Output format
Return one JSON object and nothing else, like {"vendor": "ACME", "total": 12.5}.

# When to stop
If the text is not an invoice, return {"vendor": "", "total": 0} and stop.

# Verification
Before answering, check that the object parses as JSON and that total is a number.
"""
'''
BRACE_TEMPLATE_FIXED = BRACE_TEMPLATE.replace('{"vendor": "ACME", "total": 12.5}',
                                              '{{"vendor": "ACME", "total": 12.5}}').replace(
    '{"vendor": "", "total": 0}', '{{"vendor": "", "total": 0}}')

# A prompt that states all six contract parts in labelled blocks.
CLEAN_PROMPT = """\
# Context
You help the support desk of a company that sells accounting software to small
shops. Each request contains one customer ticket:

{{ticket_text}}

# Constraints
- Use only facts stated in the ticket; never guess an account number.
- Keep the summary short: at most 40 words.

# Task
Summarise the ticket for the agent who picks it up.

# Output format
Return one JSON object and nothing else:
{"summary": string, "product_area": string}

# When to stop
If the ticket is empty or not about the product, return
{"summary": "", "product_area": "other"} and stop.

# Verification
Before answering, check that the object parses as JSON and that "summary" has at most 40 words.
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    proc = _run(["git", *args], cwd, env)
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def _pre_commit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "pre_commit", *args], cwd, env)


def _out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:  # noqa: ANN001
    """An environment isolated from the caller's git and pre-commit settings,
    with one pre-commit store for the whole module."""
    base = tmp_path_factory.mktemp("precommit-env")
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[user]\n\tname = promptlint tests\n\temail = tests@example.invalid\n"
                         "[commit]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n"
                         "[safe]\n\tdirectory = *\n")
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("GIT_", "PRE_COMMIT")) and k not in ("SKIP", "FORCE_COLOR")}
    e.update(PRE_COMMIT_HOME=str(base / "pre-commit-home"), GIT_CONFIG_GLOBAL=str(gitconfig),
             GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1", TERM="dumb")
    e["PATH"] = os.path.dirname(sys.executable) + os.pathsep + e.get("PATH", "")
    return e


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env) -> tuple[Path, str]:  # noqa: ANN001
    """A git repository holding this checkout's working tree, committed:
    ``(path, sha)``. Works whether or not the hook file is committed here."""
    if not (REPO / ".git").exists():
        pytest.skip(f"{REPO} is not a git checkout")
    dest = tmp_path_factory.mktemp("hook-repo") / "promptlint"
    _git(REPO.parent, env, "clone", "--quiet", str(REPO), str(dest))
    # Stage this checkout's working tree into the clone's index and object store
    # (this checkout's own index is not touched), then commit it there.
    snap_env = dict(env, GIT_INDEX_FILE=str(dest / ".git" / "index"),
                    GIT_OBJECT_DIRECTORY=str(dest / ".git" / "objects"))
    _git(REPO, snap_env, "add", "--all")
    _git(dest, env, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", "snapshot of the working tree")
    _git(dest, env, "reset", "--quiet", "--hard")
    assert (dest / ".pre-commit-hooks.yaml").is_file(), "the hook repository has no .pre-commit-hooks.yaml"
    return dest, _git(dest, env, "rev-parse", "HEAD").strip()


@pytest.fixture
def project(tmp_path, env) -> Path:  # noqa: ANN001
    """An empty git repository to commit into, whose promptlint.toml opts in to the contract rules."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "promptlint.toml").write_text(CONTRACT_OPT_IN)
    _git(root, env, "init", "--quiet")
    _git(root, env, "config", "user.name", "promptlint tests")
    _git(root, env, "config", "user.email", "tests@example.invalid")
    _git(root, env, "config", "commit.gpgsign", "false")
    return root


def _use_hook(project: Path, env: dict[str, str], hook_repo: tuple[Path, str], hook_id: str) -> None:
    path, sha = hook_repo
    (project / ".pre-commit-config.yaml").write_text(textwrap.dedent(f"""\
        repos:
          - repo: {path}
            rev: {sha}
            hooks:
              - id: {hook_id}
        """))
    proc = _pre_commit(project, env, "install")
    assert proc.returncode == 0, _out(proc)
    assert (project / ".git" / "hooks" / "pre-commit").is_file()
    _git(project, env, "add", ".pre-commit-config.yaml")


def _write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def _has_commits(project: Path, env: dict[str, str]) -> bool:
    return _run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], project, env).returncode == 0


def test_manifest_declares_both_hooks() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(REPO / ".pre-commit-hooks.yaml"))}
    assert set(hooks) == {"promptlint", "promptlint-fix"}
    assert hooks["promptlint"]["entry"] == "promptlint check --force-exclude"
    assert hooks["promptlint-fix"]["entry"] == "promptlint check --force-exclude --fix"
    for h in hooks.values():
        assert h["language"] == "python" and h["require_serial"] is True and h["pass_filenames"] is True
        # Every staged text file reaches promptlint, which applies the folder-walk rules itself
        # (--force-exclude): the hook's own filter must not be narrower than discovery (tests/test_doors.py).
        assert h["types"] == ["text"] and h["files"] == ""


def test_try_repo_reports_findings(project, env, hook_repo) -> None:  # noqa: ANN001
    _write(project, "prompts/summary.md", NO_TASK_PROMPT)
    _write(project, "extract.py", 'RECORD_TMPL = "Read {invoice}. Return JSON like {\\"a\\": 1}."\n')
    _git(project, env, "add", "--all")
    proc = _pre_commit(project, env, "try-repo", str(hook_repo[0]), "promptlint", "--color", "never",
                       "--files", "prompts/summary.md", "extract.py")
    out = _out(proc)
    assert proc.returncode == 1, out
    assert "- hook id: promptlint" in out and "- exit code: 1" in out
    # the default output groups findings under their file and prompt
    assert "\nprompts/summary.md\n" in out and "  1:1 PL003 [missing-task]" in out
    assert "\nextract.py · RECORD_TMPL\n" in out and "  1:49 PL201 [*] [unescaped-brace]" in out
    # The plain hook reports; it never writes.
    assert (project / "extract.py").read_text() == 'RECORD_TMPL = "Read {invoice}. Return JSON like {\\"a\\": 1}."\n'


def test_try_repo_fix_hook_doubles_braces(project, env, hook_repo) -> None:  # noqa: ANN001
    target = _write(project, "invoice.py", BRACE_TEMPLATE)
    _git(project, env, "add", "--all")
    proc = _pre_commit(project, env, "try-repo", str(hook_repo[0]), "promptlint-fix", "--color", "never",
                       "--files", "invoice.py")
    out = _out(proc)
    assert proc.returncode == 1, out  # pre-commit fails a hook that modified files
    assert "- hook id: promptlint-fix" in out and "- files were modified by this hook" in out
    assert target.read_text() == BRACE_TEMPLATE_FIXED
    # No finding is left, so the hook itself exited 0.
    assert "- exit code:" not in out and "unescaped-brace" not in out


def test_commit_refused_then_clean_commit(project, env, hook_repo) -> None:  # noqa: ANN001
    _use_hook(project, env, hook_repo, "promptlint")
    _write(project, "prompts/summary.md", NO_TASK_PROMPT)
    _write(project, "extract.py", 'RECORD_TMPL = "Read {invoice}. Return JSON like {\\"a\\": 1}."\n')
    _git(project, env, "add", "--all")
    refused = _run(["git", "commit", "-m", "add prompts"], project, env)
    out = _out(refused)
    assert refused.returncode != 0, out
    assert "promptlint" in out and "Failed" in out
    # the default output groups findings under their file and prompt
    assert "\nprompts/summary.md\n" in out and "  1:1 PL003 [missing-task]" in out
    assert "\nextract.py · RECORD_TMPL\n" in out and "  1:49 PL201 [*] [unescaped-brace]" in out
    assert not _has_commits(project, env)

    # Replace the broken prompt with one that states the whole contract; drop the broken template.
    _write(project, "prompts/summary.md", CLEAN_PROMPT)
    _git(project, env, "rm", "--quiet", "--force", "extract.py")
    _write(project, "invoice.py", BRACE_TEMPLATE_FIXED)
    _git(project, env, "add", "--all")
    done = _run(["git", "commit", "-m", "add prompts"], project, env)
    out = _out(done)
    assert done.returncode == 0, out
    assert "promptlint" in out and "Passed" in out and "Failed" not in out
    assert _has_commits(project, env)
    committed = _git(project, env, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(committed) == [".pre-commit-config.yaml", "invoice.py", "promptlint.toml", "prompts/summary.md"]
    # The hook's result cache (.promptlint_cache/) ignores itself: nothing is left untracked.
    assert (project / ".promptlint_cache").is_dir()
    assert _git(project, env, "status", "--porcelain") == ""


def test_fix_hook_in_commit(project, env, hook_repo) -> None:  # noqa: ANN001
    _use_hook(project, env, hook_repo, "promptlint-fix")
    target = _write(project, "invoice.py", BRACE_TEMPLATE)
    _git(project, env, "add", "--all")
    refused = _run(["git", "commit", "-m", "add template"], project, env)
    out = _out(refused)
    assert refused.returncode != 0, out
    assert "- hook id: promptlint-fix" in out and "- files were modified by this hook" in out
    assert not _has_commits(project, env)
    # The fix is in the working tree, not yet staged.
    assert target.read_text() == BRACE_TEMPLATE_FIXED
    assert _git(project, env, "diff", "--name-only").split() == ["invoice.py"]

    _git(project, env, "add", "invoice.py")
    done = _run(["git", "commit", "-m", "add template"], project, env)
    assert done.returncode == 0, _out(done)
    assert _git(project, env, "show", "HEAD:invoice.py") == BRACE_TEMPLATE_FIXED


def test_staged_readme_is_not_a_prompt(project, env, hook_repo) -> None:  # noqa: ANN001
    _use_hook(project, env, hook_repo, "promptlint")
    _write(project, "README.md", "# invoice-tools\n\nSmall helpers for reading invoices. Install with pip.\n")
    _git(project, env, "add", "--all")
    proc = _pre_commit(project, env, "run", "--color", "never", "--files", "README.md")
    assert proc.returncode == 0, _out(proc)
