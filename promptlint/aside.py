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
from typing import Any, Callable


def run_aside(fn: Callable[..., Any], *args: Any) -> Callable[[], Any] | None:
    """Start ``fn(*args)`` in a forked child; return the function that waits for
    its result, or ``None`` at once where ``os.fork`` does not exist.

    The caller must call the returned function exactly once (it reaps the
    child). It returns ``fn``'s result, or ``None`` when the child did not send
    a whole one (``fn`` raised, the child was killed, the result does not
    pickle): the caller then runs ``fn`` itself, which raises or answers as it
    would have. ``fn`` must therefore not return ``None`` itself. The child
    leaves with ``os._exit``: no exit handlers of the parent run there and no
    buffered output of the parent is written twice.
    """
    if not hasattr(os, "fork"):
        return None
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(r)
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
