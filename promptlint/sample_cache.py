"""SQLite cache of variance samples, in the user cache folder.

The key holds everything that changes an answer: backend, model identity (the
GGUF file's sha256, or the served model name), temperature, top_p, token limit,
seed, the rendered prompt's sha256 and the sample's index. So repeats are
never collapsed into one sample, and an edited prompt never reads a stale one.
``PROMPTLINT_CACHE_DIR`` moves the folder (tests use it).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from .backends.base import Generation
from .paths import cache_dir
from .errors import UsageError


_FILE_SHA: dict[tuple[str, int, float], str] = {}


def file_sha256(path: str) -> str:
    """sha256 of a file (cached per path, size and mtime)."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime)
    if key not in _FILE_SHA:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _FILE_SHA[key] = h.hexdigest()
    return _FILE_SHA[key]


def sample_key(backend: str, model_id: str, temperature: float, top_p: float, max_tokens: int, seed: int,
               rendered: str, index: int) -> str:
    """The cache key of one sample (hex sha256 of all its inputs)."""
    basis = json.dumps([backend, model_id, temperature, top_p, max_tokens, seed,
                        hashlib.sha256(rendered.encode("utf-8", "surrogatepass")).hexdigest(), index])
    return hashlib.sha256(basis.encode()).hexdigest()


class SampleCache:
    """A small key → generation store (SQLite, one table).

    Raises :class:`~promptlint.errors.UsageError` (one line that says how to
    recover) when the cache folder is not a folder or the database file is
    corrupt, at open or at any later read or write.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "samples.sqlite"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise UsageError(f"the sample cache folder {self.path.parent} is not a folder: remove that file, set "
                             "PROMPTLINT_CACHE_DIR to a folder, or pass --no-cache") from None
        except OSError as exc:
            raise UsageError(f"cannot create the sample cache folder {self.path.parent}: {exc.strerror}; "
                             "set PROMPTLINT_CACHE_DIR or pass --no-cache") from None
        with self._guard():
            self.db = sqlite3.connect(str(self.path))
            self.db.execute("CREATE TABLE IF NOT EXISTS samples (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    @contextmanager
    def _guard(self):  # noqa: ANN202
        try:
            yield
        except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
            raise UsageError(f"the sample cache {self.path} is corrupt ({exc}): delete that file to start an empty "
                             "cache, or pass --no-cache") from None

    def get(self, key: str) -> Generation | None:
        """The cached generation for ``key``, or ``None``."""
        with self._guard():
            row = self.db.execute("SELECT value FROM samples WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            return Generation(**json.loads(row[0]))

    def put(self, key: str, gen: Generation) -> None:
        """Store ``gen`` under ``key`` (replacing any older value)."""
        with self._guard():
            self.db.execute("INSERT OR REPLACE INTO samples VALUES (?, ?)", (key, json.dumps(gen.__dict__)))
            self.db.commit()

    def close(self) -> None:
        """Close the database."""
        self.db.close()
