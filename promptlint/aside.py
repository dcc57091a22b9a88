"""Run a function in a forked child process while this one does other work.

A cold ``promptlint check`` of a folder has two jobs that do not depend on each
other before the workers start: walking and reading the files, and importing the
extractors and compiling their patterns. :func:`run_aside` forks a child for the
first while the parent does the second; the child's result comes back pickled
through a pipe. The engine decides when it is worth it (see
:func:`promptlint.engine.lint_paths`).
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import Any, Callable


def die_with_parent(parent: int | None = None) -> None:
    """Ask the kernel to kill this process (SIGKILL) when the process that
    forked it dies, so a parent killed by a signal leaves no child running or
    blocked on a pipe it can never read. ``parent``, the pid the caller forked
    from, closes the gap of a parent that died before the request: the process
    then leaves at once. Linux only (``prctl(PR_SET_PDEATHSIG)``, prctl(2));
    elsewhere, or where libc cannot be loaded, it does nothing. Raises nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # (1 is PR_SET_PDEATHSIG, <linux/prctl.h>)
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def run_aside(fn: Callable[..., Any], *args: Any) -> Callable[[], Any] | None:
    """Start ``fn(*args)`` in a forked child; return the function that waits for
    its result, or ``None`` at once where ``os.fork`` does not exist.

    The caller must call the returned function exactly once (it reaps the
    child). It returns ``fn``'s result, or ``None`` when the child did not send
    a whole one (``fn`` raised, the child was killed, the result does not
    pickle): the caller then runs ``fn`` itself, which raises or answers as it
    would have. ``fn`` must therefore not return ``None`` itself. The child
    dies with this process (:func:`die_with_parent`) and leaves with ``os._exit``: no exit handlers of the parent run there and no
    buffered output of the parent is written twice.
    """
    if not hasattr(os, "fork"):
        return None
    r, w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(r)
            die_with_parent(parent)
            data = pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(w)

    def result() -> Any:
        with os.fdopen(r, "rb") as fh:
            data = fh.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return None
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - a cut-off result: the caller runs fn itself
            return None

    return result
