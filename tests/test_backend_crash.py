"""A crash in the backend's native code is an error, never a dead promptlint.

The backend here really dies: its child process kills itself with SIGSEGV
(tests/backends/crashing.py), the way llama.cpp dies when a kernel faults.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from promptlint.backends import make_backend
from promptlint.backends.isolated import BackendCrashed, IsolatedBackend

REPO = Path(__file__).resolve().parents[1]
CRASHING = "crashing:SegfaultBackend"


@pytest.fixture
def crash_env(backend_env) -> dict:  # noqa: ANN001
    return backend_env


def test_crash_is_an_error_and_the_next_call_starts_a_fresh_child(crash_env) -> None:  # noqa: ANN001
    backend = make_backend(CRASHING)
    assert isinstance(backend, IsolatedBackend) and backend.name == "crashing"
    first_pid = backend._proc.pid
    with pytest.raises(BackendCrashed) as exc:
        backend.generate("die now", max_tokens=4)
    assert exc.value.signal == signal.SIGSEGV
    assert str(exc.value).startswith("backend crashed (signal 11) while generating; see ")
    log = Path(exc.value.log)
    assert log.is_file() and "Segmentation fault" in log.read_text()
    streamed: list[str] = []
    gen = backend.generate("survive this", on_token=streamed.append)
    assert gen.text == "survive" and streamed == ["survive"]
    assert backend._proc.pid != first_pid
    backend.close()


def _variance_workspace(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "fixtures" / "variance", tmp_path / "variance")
    return tmp_path


def test_cli_variance_crash_is_one_line_exit_2(tmp_path, crash_env) -> None:  # noqa: ANN001
    work = _variance_workspace(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "promptlint", "variance", "variance/ticket_triage.md",
                           "--backend", CRASHING, "--samples", "2", "--no-cache"], cwd=work, capture_output=True,
                          text=True, env=crash_env, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, proc.stderr
    assert "backend crashed (signal 11) while sampling variance/ticket_triage.md; see " in errors[0]
    assert "Traceback" not in proc.stderr


def test_cli_rewrite_crash_is_one_line_exit_2(tmp_path, crash_env) -> None:  # noqa: ANN001
    prompt = tmp_path / "p.txt"
    prompt.write_text("Summarize the notes.\n")
    proc = subprocess.run([sys.executable, "-m", "promptlint", "rewrite", "p.txt", "--backend", CRASHING],
                          cwd=tmp_path, capture_output=True, text=True, env=crash_env, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "backend crashed (signal 11) while rewriting p.txt; see " in proc.stderr
    assert "Traceback" not in proc.stderr
    assert prompt.read_text() == "Summarize the notes.\n"


def test_lsp_rewrite_crash_is_an_error_and_the_server_keeps_serving(tmp_path, crash_env) -> None:  # noqa: ANN001
    pytest.importorskip("pygls")
    import asyncio

    from lsprotocol import types as t
    from pytest_lsp import ClientServerConfig, LanguageClient, make_test_lsp_client

    async def scenario() -> None:
        client: LanguageClient = make_test_lsp_client()
        await client.start_io(sys.executable, "-m", "promptlint", "server", env=crash_env, cwd=str(tmp_path))
        await client.initialize_session(t.InitializeParams(
            capabilities=t.ClientCapabilities(window=t.WindowClientCapabilities(work_done_progress=True)),
            root_uri=tmp_path.as_uri(),
            initialization_options={"debounce_ms": 20, "rewrite": {"max_attempts": 1, "backend": CRASHING}}))
        (tmp_path / "prompts").mkdir()
        first = tmp_path / "prompts" / "first.txt"
        first.write_text("Summarize the notes.\n")
        client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(
            uri=first.as_uri(), language_id="plaintext", version=1, text=first.read_text())))
        await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
            command="promptlint.rewrite", arguments=[first.as_uri(), "prompts/first.txt"]))
        assert result["applied"] is False
        assert result["message"].startswith("backend crashed (signal 11) while rewriting prompts/first.txt; see ")
        assert any("backend crashed (signal 11)" in m.message for m in client.messages)
        # The server is alive: a document opened after the crash still gets diagnostics.
        second = tmp_path / "prompts" / "second.txt"
        second.write_text("Write a poem.\n")
        client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(
            uri=second.as_uri(), language_id="plaintext", version=1, text=second.read_text())))
        await asyncio.wait_for(client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 30)
        assert client.diagnostics.get(second.as_uri()), "no diagnostics after the crash"
        await client.shutdown_session()
        await client.stop()

    asyncio.run(scenario())
    _ = ClientServerConfig  # imported to fail loudly if pytest-lsp's API moves


def test_real_llama_crash_on_amx_is_caught(tmp_path, crash_env) -> None:  # noqa: ANN001
    """On a CPU with AMX and a llama.cpp build with AMX kernels, turning the extra
    buffer types back on reproduces llama.cpp #20824 for real: the child dies in
    native code and the CLI still prints one line and exits 2."""
    pytest.importorskip("llama_cpp")
    from promptlint.backends.loader import FAULTY_CPU_FLAGS, build_has_amx, cpu_flags

    if not (set(FAULTY_CPU_FLAGS) & cpu_flags()) or not build_has_amx():
        pytest.skip("needs an AMX CPU and a llama.cpp build with AMX kernels (the crash this guards against)")
    work = _variance_workspace(tmp_path)
    env = {**crash_env, "PROMPTLINT_LLAMA_EXTRA_BUFFERS": "1"}
    proc = subprocess.run([sys.executable, "-m", "promptlint", "variance", "variance/ticket_triage.md", "--samples",
                           "1", "--no-cache"], cwd=work, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "backend crashed (signal 11) while sampling variance/ticket_triage.md; see " in proc.stderr
    assert "Traceback" not in proc.stderr
