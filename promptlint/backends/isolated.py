"""Run a backend in a child process, so a crash in native code (llama.cpp)
becomes a :class:`BackendCrashed` error instead of a dead promptlint.

:class:`IsolatedBackend` starts ``python -m promptlint.backends.isolated``,
which builds the backend named by ``factory`` (``"module:Class"``) with
``kwargs`` and serves ``generate``, ``sample`` and ``count_tokens`` requests.
Both sides speak JSON lines: requests on the child's stdin, answers on a copy
of its stdout (the child points its own stdout at stderr, so native code that
prints cannot corrupt the stream). The child's stderr goes to a log file in
promptlint's cache folder (``logs/backend-*.log``) with Python's
``faulthandler`` on, so a crash leaves the native stack's Python frames there;
the log is removed when the child exits cleanly.

When the child dies, the call that was running raises :class:`BackendCrashed`
(a :class:`~promptlint.backends.BackendError`: one line, exit code 2) that
names the signal and the log; the next call starts a fresh child. A
``on_token`` callback that raises (a cancelled rewrite) stops the child too,
so no half-read answer is left in the pipe.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from .base import BackendError, Generation


class BackendCrashed(BackendError):
    """The backend's child process died. ``signal`` is the signal number that
    killed it (``None`` when it exited with a status), ``log`` the log file
    that holds its last output, ``action`` what it was doing."""

    def __init__(self, signum: int | None, status: int | None, log: str | None, action: str) -> None:
        self.signal, self.status, self.log, self.action = signum, status, log, action
        how = f"signal {signum}" if signum is not None else f"exit status {status}"
        where = f"; see {log}" if log else ""
        super().__init__(f"backend crashed ({how}) while {action}{where}")

    def during(self, action: str) -> BackendCrashed:
        """The same crash, described as happening while ``action`` (e.g. ``"sampling app.py::PROMPT"``)."""
        return BackendCrashed(self.signal, self.status, self.log, action)


def _log_dir() -> Path:
    from ..paths import cache_dir

    folder = cache_dir() / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:  # the cache folder is unusable: the log still has to go somewhere
        return Path(tempfile.gettempdir())


class IsolatedBackend:
    """A backend that runs in a child process (see the module docstring).

    ``factory``: ``"module:Class"`` of the backend to build in the child;
    ``kwargs``: its keyword arguments (JSON values). The child starts now and
    reports the backend's ``name``, ``model_id``, ``sampling_mode`` and, when
    it has one, ``path``. Raises :class:`BackendError` when the backend cannot
    be built (the child's own error message) and :class:`BackendCrashed` when
    the child dies.
    """

    def __init__(self, factory: str, kwargs: dict | None = None) -> None:
        self.factory = factory
        self.kwargs = dict(kwargs or {})
        self._lock = threading.RLock()
        self._proc: subprocess.Popen | None = None
        self._log: str | None = None
        self.info: dict = {}
        self._start()
        self.name = self.info.get("name", factory)
        self.model_id = self.info.get("model_id", factory)
        self.sampling_mode = self.info.get("sampling_mode", "sequential")
        self.path = Path(self.info["path"]) if self.info.get("path") else None

    # --- process management -------------------------------------------------

    def _start(self) -> None:
        fd, self._log = tempfile.mkstemp(prefix=f"backend-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".log",
                                         dir=_log_dir())
        env = dict(os.environ)
        env.setdefault("PYTHONFAULTHANDLER", "1")
        with os.fdopen(fd, "wb") as log:
            self._proc = subprocess.Popen([sys.executable, "-m", "promptlint.backends.isolated"],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
                                          start_new_session=True)
        _CHILDREN.add(self)
        self.info = self._call("start", {"factory": self.factory, "kwargs": self.kwargs}, "starting the backend")

    def _died(self, action: str) -> BackendCrashed:
        proc, self._proc = self._proc, None
        rc = proc.wait() if proc is not None else None
        return BackendCrashed(-rc if rc is not None and rc < 0 else None, rc if rc is not None and rc >= 0 else None,
                              self._log, action)

    def close(self) -> None:
        """Stop the child (it exits when its stdin closes; killed after 5 s) and
        remove its log unless it crashed."""
        with self._lock:
            proc, self._proc = self._proc, None
            _CHILDREN.discard(self)
            if proc is None:
                return
            try:
                proc.stdin.close()
                rc = proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                rc = proc.wait()
            if proc.stdout:
                proc.stdout.close()
            if rc == 0 and self._log:
                Path(self._log).unlink(missing_ok=True)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            if self._log:
                Path(self._log).unlink(missing_ok=True)

    # --- requests -------------------------------------------------------------

    def _call(self, op: str, args: dict, action: str, on_token: Callable[[int, str], None] | None = None):  # noqa: ANN202
        with self._lock:
            if self._proc is None:
                self._start()
            proc = self._proc
            try:
                proc.stdin.write((json.dumps({"op": op, "args": args, "stream": on_token is not None}) + "\n")
                                 .encode("utf-8"))
                proc.stdin.flush()
            except OSError:
                raise self._died(action) from None
            while True:
                line = proc.stdout.readline()
                if not line:
                    raise self._died(action)
                msg = json.loads(line)
                if "t" in msg:
                    try:
                        on_token(msg.get("i", 0), msg["t"])
                    except BaseException:
                        self._kill()  # the rest of this answer would still be in the pipe
                        raise
                    continue
                if "error" in msg:
                    raise (ValueError if msg.get("kind") == "ValueError" else BackendError)(msg["error"])
                return msg["ok"]

    def generate(self, prompt: str, *, max_tokens: int = 512, temperature: float = 0.2, seed: int | None = None,
                 schema: dict | None = None, on_token: Callable[[str], None] | None = None) -> Generation:
        """The child backend's ``generate`` (see :class:`~promptlint.backends.Backend`)."""
        args = dict(prompt=prompt, max_tokens=max_tokens, temperature=temperature, seed=seed, schema=schema)
        out = self._call("generate", args, "generating", (lambda i, text: on_token(text)) if on_token else None)
        return Generation(**out)

    def sample(self, prompt: str, seeds: list[int], *, max_tokens: int = 256, temperature: float = 0.8,
               top_p: float = 0.95) -> list[Generation]:
        """The child backend's ``sample``: ``len(seeds)`` generations in seed order."""
        args = dict(prompt=prompt, seeds=list(seeds), max_tokens=max_tokens, temperature=temperature, top_p=top_p)
        return [Generation(**g) for g in self._call("sample", args, "sampling")]

    def count_tokens(self, text: str) -> int:
        """The child backend's token count of ``text``."""
        return int(self._call("count_tokens", {"text": text}, "counting tokens"))


_CHILDREN: set[IsolatedBackend] = set()


@atexit.register
def _close_children() -> None:
    for child in list(_CHILDREN):
        child.close()


# --- the child ------------------------------------------------------------------


def _build(factory: str, kwargs: dict):  # noqa: ANN202
    import importlib

    module, _, attr = factory.partition(":")
    if not module or not attr:
        raise BackendError(f"backend {factory!r} is not MODULE:CLASS")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise BackendError(f"cannot import backend {factory}: {exc}") from None
    return cls(**kwargs)


def _serve() -> None:
    """The child's loop: read requests from stdin, answer on the protocol pipe."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # anything printed (Python or native) goes to the log, not the protocol
    sys.stdout = sys.stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    backend = None

    def send(msg: dict) -> None:
        out.write(json.dumps(msg) + "\n")
        out.flush()

    for line in sys.stdin:
        req = json.loads(line)
        op, args = req["op"], req["args"]
        try:
            if op == "start":
                backend = _build(args["factory"], args["kwargs"])
                path = getattr(backend, "path", None)
                send({"ok": {"name": backend.name, "model_id": backend.model_id, "path": str(path) if path else None,
                             "sampling_mode": getattr(backend, "sampling_mode", "sequential")}})
            elif op == "generate":
                stream = (lambda text: send({"t": text})) if req.get("stream") else None
                send({"ok": asdict(backend.generate(args.pop("prompt"), on_token=stream, **args))})
            elif op == "sample":
                gens = backend.sample(args.pop("prompt"), args.pop("seeds"), **args)
                send({"ok": [asdict(g) for g in gens]})
            elif op == "count_tokens":
                send({"ok": backend.count_tokens(args["text"])})
            else:
                send({"error": f"unknown request {op!r}"})
        except BackendError as exc:
            send({"error": str(exc)})
        except ValueError as exc:
            send({"error": str(exc), "kind": "ValueError"})
        except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
            send({"error": f"internal error in backend {type(exc).__name__}: {exc}"})


if __name__ == "__main__":
    _serve()
