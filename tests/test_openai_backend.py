"""The ``openai`` backend against a real OpenAI-compatible HTTP server on loopback:
llama-cpp-python's own server (``python -m llama_cpp.server``), started here."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CASES

pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is part of the dev install")
pytest.importorskip("openai")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):  # noqa: ANN001, ANN201
    from promptlint.backends.llama import default_model_path

    port = _free_port()
    log = open(tmp_path_factory.mktemp("server") / "server.log", "w+b")  # noqa: SIM115 - closed below
    launcher = str(Path(__file__).resolve().parent / "backends" / "llama_server.py")
    proc = subprocess.Popen([sys.executable, launcher, "--model", str(default_model_path()),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
                             "--model_alias", "gemma-270m", "--verbose", "False"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError("llama_cpp.server exited: " + log.read().decode()[-2000:])
        try:
            with urllib.request.urlopen(url + "/models", timeout=2) as r:
                json.load(r)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("llama_cpp.server did not start in 120 s")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_generate_with_schema_over_http(server) -> None:  # noqa: ANN001
    from promptlint.backends import make_backend

    be = make_backend("openai", base_url=server)
    assert be.model_id == "gemma-270m"
    schema = {"type": "object", "properties": {"word": {"type": "string", "maxLength": 12}}, "required": ["word"],
              "additionalProperties": False}
    streamed: list[str] = []
    gen = be.generate("Give one word as JSON.", max_tokens=40, schema=schema, seed=1, on_token=streamed.append)
    assert "".join(streamed) == gen.text
    # llama_cpp.server reports no usage while streaming: tokens in are unknown, tokens out are counted.
    assert gen.tokens_in is None or gen.tokens_in > 0
    assert gen.tokens_out == len(streamed) > 0
    assert 0 < gen.ttft_ms <= gen.ttlt_ms
    assert gen.finish_reason in ("stop", "length")
    if gen.finish_reason == "stop":
        assert isinstance(json.loads(gen.text)["word"], str)


def test_cli_rewrite_through_server(server, tmp_path) -> None:  # noqa: ANN001
    import shutil

    shutil.copy(CASES / "vague_request.txt", tmp_path / "vague_request.txt")
    proc = subprocess.run([sys.executable, "-m", "promptlint", "rewrite", "vague_request.txt", "--backend", "openai",
                           "--base-url", server, "--max-attempts", "1", "--output-format", "json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)
    assert result["source"] in ("model", "fallback")
    assert len(result["attempts"]) == 1 and result["attempts"][0]["tokens_out"] > 0
    assert "Task:" in result["new_text"]


def test_unreachable_server_is_one_line_exit_2(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "p.txt").write_text("Write a poem.\n")
    port = _free_port()
    proc = subprocess.run([sys.executable, "-m", "promptlint", "rewrite", "p.txt", "--backend", "openai",
                           "--base-url", f"http://127.0.0.1:{port}/v1"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"promptlint: error: cannot reach the OpenAI-compatible server at http://127.0.0.1:{port}/v1"
