"""Engine behaviour: cache keyed by content and settings, parallel runs, fail-closed internal errors."""

from __future__ import annotations

from typer.testing import CliRunner

import promptlint.checks as checks
import promptlint.engine as engine
from promptlint.cli import app
from promptlint.config import load_settings
from promptlint.engine import lint_paths


def _corpus(root, n: int = 70) -> None:  # noqa: ANN001
    (root / "prompts").mkdir()
    for i in range(n):
        (root / "prompts" / f"p{i}.md").write_text(f"Write poem number {i}.\n")


def test_cache_hits_and_invalidation(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _corpus(tmp_path, 5)
    monkeypatch.chdir(tmp_path)
    s = load_settings(["."])
    first = lint_paths(["."], s)
    assert first.cached == 0
    second = lint_paths(["."], s)
    assert second.cached == 5
    assert [f.message for f in second.findings] == [f.message for f in first.findings]
    (tmp_path / "prompts" / "p0.md").write_text("Write a poem. Output: one line.\n")
    third = lint_paths(["."], s)
    assert third.cached == 4
    assert not any(f.name == "missing-output-contract" and f.path == "prompts/p0.md" for f in third.findings)
    other = load_settings(["."], select=["PL003"])
    assert lint_paths(["."], other).cached == 0
    assert (tmp_path / ".promptlint_cache" / ".gitignore").is_file()


def test_parallel_equals_serial(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _corpus(tmp_path, 70)
    monkeypatch.chdir(tmp_path)
    s = load_settings(["."])
    serial = lint_paths(["."], s, use_cache=False, jobs=1)
    parallel = lint_paths(["."], s, use_cache=False, jobs=2)
    key = lambda r: [(f.path, f.code, f.span) for f in r.findings]  # noqa: E731
    assert key(serial) == key(parallel) and len(serial.results) == 70


def test_pool_started_before_discovery_on_a_cold_run_only(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _corpus(tmp_path, 5)
    (tmp_path / "app.py").write_text('SYSTEM_PROMPT = "You are a tutor. Explain each step, then stop."\n')
    monkeypatch.chdir(tmp_path)
    s = load_settings(["."])
    started = []
    real = engine._early_pool
    monkeypatch.setattr(engine, "_early_pool", lambda *a: started.append(real(*a)) or started[-1])
    serial = lint_paths(["."], s, use_cache=False, jobs=1)
    cold = lint_paths(["."], s, jobs=2)  # no cache yet: the pool starts early and lints even these six files
    warm = lint_paths(["."], s, jobs=2)
    named = lint_paths(["app.py"], s, use_cache=False, jobs=2)
    assert [p is not None for p, _ in started] == [False, True, False, False]
    key = lambda r: [(f.path, f.code, f.span) for f in r.findings] + [p["id"] for x in r.results for p in x.prompts]  # noqa: E731
    assert key(cold) == key(serial) == key(warm) and warm.cached == 6 and cold.cached == 0
    assert [p["id"] for x in named.results for p in x.prompts] == ["app.py::SYSTEM_PROMPT"]


def test_walk_aside_reads_what_discover_lists_and_falls_back_on_failure(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import os
    import sys

    import pytest

    from promptlint.aside import run_aside
    from promptlint.discover import discover
    from promptlint.errors import UsageError

    if not hasattr(os, "fork"):
        pytest.skip("os.fork is not available on this platform")
    _corpus(tmp_path, 4)
    (tmp_path / "app.py").write_text('SYSTEM_PROMPT = "You are a tutor. Explain each step, then stop."\n')
    (tmp_path / "notes.png").write_bytes(b"\x89PNG")
    monkeypatch.chdir(tmp_path)
    s = load_settings(["."])
    read, sniffed = run_aside(engine._walk_and_read, ["."], s, False)()
    assert sniffed == {}  # no file here needs reading to tell its kind
    assert [(d, k) for d, k, *_ in read] == discover(["."], s) and len(read) == 5
    assert read[0][3] == (tmp_path / "app.py").read_text() and read[0][5] is not None  # its text and content key
    assert run_aside(engine._walk_and_read, [".", "missing"], s, False)() is None  # the child raised: the caller
    # walks and raises itself
    with pytest.raises(UsageError, match="missing"):
        lint_paths([".", "missing"], s, use_cache=False, jobs=2)
    # On Linux the cold run's workers are forked after this process warmed up: they do not warm up again.
    started = []
    real_pool, real_init = engine._early_pool, engine._init_worker
    log = tmp_path / "workers.log"  # written by the worker processes

    def init(settings, warm=False) -> None:  # noqa: ANN001
        with open(log, "a") as fh:
            fh.write(f"warm={warm}\n")
        real_init(settings, warm)

    monkeypatch.setattr(engine, "_early_pool", lambda *a: started.append(real_pool(*a)) or started[-1])
    monkeypatch.setattr(engine, "_init_worker", init)
    report = lint_paths(["."], s, use_cache=False, jobs=2)
    assert [p["id"] for r in report.results for p in r.prompts] == ["app.py::SYSTEM_PROMPT"] + [
        f"prompts/p{i}.md" for i in range(4)]
    expected = "warm=False" if sys.platform.startswith("linux") else "warm=True"
    assert log.read_text().split() == [expected, expected]
    assert (started[0][1] is not None) == sys.platform.startswith("linux")


_ORPHAN_SCRIPT = """
import os, signal, sys, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
import promptlint.engine as engine
from promptlint.aside import run_aside
from promptlint.config import load_settings

def hold(path):
    with open(path, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(60)
    return 1

out = sys.argv[1]
run_aside(hold, out + ".aside")
pool = ProcessPoolExecutor(max_workers=1, initializer=engine._init_worker, initargs=(load_settings([]),),
                           mp_context=multiprocessing.get_context("fork"))
worker = pool.submit(os.getpid).result()
with open(out + ".worker", "w") as fh:
    fh.write(str(worker))
while not os.path.exists(out + ".aside"):
    time.sleep(0.01)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_children_do_not_outlive_a_killed_parent(tmp_path) -> None:  # noqa: ANN001
    import os
    import subprocess
    import sys
    import time

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("the parent-death signal is Linux's prctl(PR_SET_PDEATHSIG)")
    script = tmp_path / "orphans.py"
    script.write_text(_ORPHAN_SCRIPT)
    out = tmp_path / "pids"
    done = subprocess.run([sys.executable, str(script), str(out)], timeout=120)
    assert done.returncode == -9  # the parent was killed, as by an impatient user or a CI timeout
    pids = [int((tmp_path / f"pids.{who}").read_text()) for who in ("aside", "worker")]

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # (a zombie is dead, waiting to be reaped)
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 30  # (a wait for the kernel's signal, not a speed check: far above what it takes)
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in pids if alive(p)]
    for p in left:
        os.kill(p, 9)
    assert left == []  # the walk's child (sleeping 60 s) and the idle pool worker both died with the parent


def test_internal_error_fails_closed(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    (tmp_path / "p.prompt").write_text("Write a poem.\n")
    monkeypatch.chdir(tmp_path)

    def boom(ctx):  # noqa: ANN001, ANN202
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(checks, "get_check", lambda kind: boom)  # the engine looks it up there for every file
    result = CliRunner().invoke(app, ["check", "--no-cache", "p.prompt"])
    assert result.exit_code == 2
    assert "internal error: p.prompt: ZeroDivisionError: boom" in result.output


def test_statistics(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    _corpus(tmp_path, 3)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", "--no-cache", "--statistics", "."])
    assert result.exit_code == 1
    assert "    3\tPL004\tmissing-output-contract" in result.output


def test_lone_carriage_returns_end_lines(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    # Old Mac OS line endings: CPython and editors read each lone \r as a line break; the prefilter and the
    # line index read only \n, so such a file was one line and its prompts were dropped unseen.
    src = ('import openai\n\nQUESTION_TEMPLATE = ("Answer the question below."\n'
           '                     "Return JSON {\\"answer\\": \\"...\\"} for {question}")\n')
    (tmp_path / "mac.py").write_bytes(src.replace("\n", "\r").encode())
    (tmp_path / "unix.py").write_bytes(src.encode())
    (tmp_path / "hello.jinja2").write_bytes(b"{# Replace this template with your own prompt. #}\rWrite a simple "
                                            b"{{text}} program that displays the greeting message.\r")
    monkeypatch.chdir(tmp_path)
    s = load_settings(["."])
    report = lint_paths(["."], s, use_cache=False, jobs=1)
    by_file = {r.path: r for r in report.results}
    assert [p["line"] for p in by_file["hello.jinja2"].prompts] == [1]  # the walk reads its head by lines too
    mac, unix = by_file["mac.py"], by_file["unix.py"]
    assert [(p["id"].split("::")[1], p["line"], p["column"], p["end_line"]) for p in mac.prompts] == [
        ("QUESTION_TEMPLATE", 3, 22, 4)]
    assert sorted((f.code, f.span.start.line, f.span.start.column) for f in mac.findings) == sorted(
        (f.code, f.span.start.line, f.span.start.column) for f in unix.findings) != []
    result = CliRunner().invoke(app, ["check", "--no-cache", "--fix", "mac.py"])
    fixed = (tmp_path / "mac.py").read_bytes().decode()
    assert result.exit_code in (0, 1) and fixed != src.replace("\n", "\r")  # a fix was written …
    assert "\n" not in fixed and fixed.count("\r") == src.count("\n")  # … keeping the file's own line endings


def test_an_unsafe_fix_writes_the_files_own_line_endings(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    # The restructure writes \n: in an old Mac OS file that mixed the endings, and a \n after a \r made one
    # CRLF break of two, losing a blank line.
    body = ("You are a travel assistant and you must never invent prices, list the hotels near the station.\n\n"
            "Reply in English.\n")
    for name, nl in (("lf.txt", "\n"), ("cr.txt", "\r"), ("crlf.txt", "\r\n")):
        (tmp_path / "prompts" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "prompts" / name).write_bytes(body.replace("\n", nl).encode())
    (tmp_path / "promptlint.toml").write_text('extend-select = ["PL00"]\nstructure-rules = "all"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", "--no-cache", "--fix", "--unsafe-fixes", "prompts"])
    assert result.exit_code in (0, 1), result.output
    fixed = {n: (tmp_path / "prompts" / n).read_bytes().decode() for n in ("lf.txt", "cr.txt", "crlf.txt")}
    assert fixed["lf.txt"] != body and "TODO" in fixed["lf.txt"]
    assert fixed["cr.txt"] == fixed["lf.txt"].replace("\n", "\r")
    assert fixed["crlf.txt"].replace("\r\n", "\n") == fixed["lf.txt"] and "\r\r" not in fixed["crlf.txt"]
    assert fixed["crlf.txt"].count("\r\n") == fixed["crlf.txt"].count("\n")  # no bare \n among its \r\n


_REAL_WORK = engine._work


def _work_dying_on_boom(batch):  # noqa: ANN001, ANN202 - a pool task (module level: pickled by name)
    import os

    if any(path.endswith("boom.md") for path, *_ in batch):
        os._exit(3)  # as a worker the OOM killer or a native crash takes down
    return _REAL_WORK(batch)


def test_a_worker_that_dies_is_an_internal_error_not_a_traceback(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import sys

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("the workers inherit the patched task by fork")
    _corpus(tmp_path, 40)
    (tmp_path / "prompts" / "boom.md").write_text("Write a poem about a worker that dies.\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(engine, "_work", _work_dying_on_boom)
    result = CliRunner().invoke(app, ["check", "--no-cache", "--jobs", "2", "."])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if "internal error" in ln]
    assert lines and all("a worker process died while linting" in ln for ln in lines)
    assert len(lines) <= 4  # three files and a count of the rest, not one line per lost file
    assert "Traceback" not in result.output


def test_the_bundled_examples_lint_and_fix_alike_with_any_line_ending(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    # Windows (CRLF) and old Mac OS (CR) copies of fixtures/examples: the same findings at the same positions
    # and, after --fix --unsafe-fixes, the same files in their own endings. CRLF blank lines ("\r\n\r\n") read
    # as text made every labelled prompt "not separated", the .prompty role lines were not found, and the
    # head spans took the \r in.
    import shutil
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
    for nl, sep in (("lf", b"\n"), ("cr", b"\r"), ("crlf", b"\r\n")):
        shutil.copytree(src, tmp_path / nl)
        for p in (tmp_path / nl).rglob("*"):
            if p.is_file():
                p.write_bytes(p.read_bytes().replace(b"\n", sep))

    def findings(nl: str) -> list:
        monkeypatch.chdir(tmp_path / nl)
        report = lint_paths(["."], load_settings(["."], select=["ALL"]), use_cache=False, jobs=1)
        return sorted((r.path, f.code, f.span.start.line, f.span.start.column, f.span.end.line, f.span.end.column,
                       f.fix.applicability if f.fix else None) for r in report.results for f in r.findings)

    lf = findings("lf")
    assert len(lf) > 15 and findings("cr") == lf and findings("crlf") == lf
    for nl in ("lf", "cr", "crlf"):
        monkeypatch.chdir(tmp_path / nl)
        done = CliRunner().invoke(app, ["check", "--no-cache", "--select", "ALL", "--fix", "--unsafe-fixes", "."])
        assert done.exit_code in (0, 1), done.output
    for p in (tmp_path / "lf").rglob("*"):
        if p.is_file():
            rel = p.relative_to(tmp_path / "lf")
            for nl, sep in (("cr", b"\r"), ("crlf", b"\r\n")):
                assert (tmp_path / nl / rel).read_bytes() == p.read_bytes().replace(b"\n", sep), (nl, rel)
