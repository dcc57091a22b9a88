"""Bounded waits: a server that accepts connections but never answers (or
answers too slowly) gives one line and exit 2 within the configured time."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("openai")

REPO = Path(__file__).resolve().parents[1]


class SilentServer:
    """A TCP server on loopback that accepts every connection and never writes a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        """What to do with a new connection: nothing (it never gets a byte)."""

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


class SlowServer(SilentServer):
    """Answers ``/models`` at once, then streams a chat completion one chunk every 0.4 s, forever."""

    def handle(self, conn: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = conn.recv(65536).decode("latin-1")
            if "/models" in request.split("\r\n", 1)[0]:
                body = json.dumps({"object": "list", "data": [{"id": "slow", "object": "model"}]}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
                conn.close()
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
            while True:
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "slow",
                         "choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": None}]}
                conn.sendall(f"data: {json.dumps(chunk)}\n\n".encode())
                time.sleep(0.4)
        except OSError:
            return


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:  # noqa: ANN001
    shutil.copytree(REPO / "fixtures" / "variance", tmp_path / "variance")
    monkeypatch.setenv("PROMPTLINT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _variance(work: Path, url: str, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "promptlint", "variance", "variance/ticket_triage.md", "--backend",
                           "openai", "--base-url", url, "--samples", "1", "--no-cache", *extra], cwd=work,
                          capture_output=True, text=True, timeout=120)
    return proc, time.monotonic() - started


def test_server_that_never_answers_times_out(workspace) -> None:  # noqa: ANN001
    server = SilentServer()
    try:
        proc, took = _variance(workspace, f"http://127.0.0.1:{server.port}/v1", "--timeout", "1")
    finally:
        server.close()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [f"promptlint: error: the server at http://127.0.0.1:{server.port}/v1 did not answer within "
                     "1 s (model.timeout / --timeout)"], proc.stderr
    assert took < 30  # interpreter start-up plus the 1 s timeout, far below the openai client's 600 s


def test_slow_stream_stops_at_the_deadline(workspace) -> None:  # noqa: ANN001
    server = SlowServer()
    try:
        proc, took = _variance(workspace, f"http://127.0.0.1:{server.port}/v1", "--timeout", "5", "--deadline", "2")
    finally:
        server.close()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "passed its deadline of 2 s" in proc.stderr and "Traceback" not in proc.stderr
    assert took < 30


def test_timeout_and_deadline_from_config(workspace) -> None:  # noqa: ANN001
    server = SilentServer()
    (workspace / "promptlint.toml").write_text(
        f'[model]\nbackend = "openai"\nbase_url = "http://127.0.0.1:{server.port}/v1"\ntimeout = 1\n')
    try:
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "promptlint", "variance", "variance/ticket_triage.md",
                               "--samples", "1", "--no-cache"], cwd=workspace, capture_output=True, text=True,
                              timeout=120)
        took = time.monotonic() - started
    finally:
        server.close()
    assert proc.returncode == 2 and "did not answer within 1 s" in proc.stderr, proc.stderr
    assert took < 30
