"""Where promptlint keeps its own files outside a project (the bottom layer).

:func:`cache_dir` is the user cache folder (``$PROMPTLINT_CACHE_DIR`` or the
platform's, from platformdirs): the variance sample cache, backend crash logs
and assembled model files live there.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$PROMPTLINT_CACHE_DIR`` or the platform's user cache folder for promptlint."""
    env = os.environ.get("PROMPTLINT_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("promptlint"))
