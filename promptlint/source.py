"""Source files in and out: the bottom layer every reader and writer uses.

:func:`read_source` reads a file as text (and refuses what is not a regular
file, so a FIFO named ``x.prompt`` cannot hang a run); :func:`write_atomic`
replaces a file through a temporary file and a rename, keeping its mode and
owner and refusing a file the user may not write; :func:`reparses` says
whether a text still parses as a file of its kind ("does it parse back").
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path


#: The YAML front matter block that may open a prompt file (``---`` lines around it; a BOM before
#: it is allowed); group 1 is the YAML text. Used by the prompt-file extractors and the contracts
#: read from ``.prompty`` front matter.
FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*(?:\r?\n|\Z)", re.S | re.M)


class WriteError(RuntimeError):
    """A file could not (or must not) be written; the message is one line naming it."""


def read_source(path: str) -> tuple[str | None, str | None]:
    """Read and decode ``path`` as UTF-8 (a BOM is dropped).

    Returns ``(text, None)``, or ``(None, problem)`` for a path that is not a
    regular file (a FIFO, a socket, a device, a folder), an unreadable file or
    one that is not UTF-8. Never blocks on a FIFO: the type is checked before
    the file is opened, and it is opened non-blocking.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror or exc}"
    if not stat.S_ISREG(st.st_mode):
        return None, "not a regular file (a FIFO, socket, device or folder); not read"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # replaced between stat and open
                return None, "not a regular file (a FIFO, socket, device or folder); not read"
            raw = fh.read()
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror or exc}"
    if raw is None:  # a non-blocking read with nothing to give (a kernel file such as /proc/kmsg)
        return None, "cannot read file: no data without blocking"
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return raw[bom:].decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"file is not UTF-8 text (at byte offset {exc.start + bom})"  # 0-based, BOM included


def undecodable_position(path: str) -> tuple[int, int]:
    """1-based ``(line, column)`` of the first byte of ``path`` that is not
    UTF-8 (the column counts the characters before it on its line); ``(1, 1)``
    when the file cannot be read or decodes."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
        raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        head = raw[bom: bom + exc.start]  # a BOM is no column of line 1
        line_start = head.rfind(b"\n") + 1
        column = len(head[line_start:].decode("utf-8", "replace")) + 1
        return head.count(b"\n") + 1, column
    except OSError:
        pass
    return 1, 1


def write_atomic(path: str | Path, data: str | bytes, expected_before: str | None = None) -> None:
    """Replace the file at ``path`` with ``data`` (text is written as UTF-8,
    newlines as given) through a temporary file in the same folder and a
    rename, so a reader never sees half a file.

    With ``expected_before``, the file must still hold that text (else nothing
    is written). An existing file keeps its permission bits and its owner and
    group; a file this user may not write (no write permission, or owned by
    someone else when this process cannot give the new file that owner) is
    refused. Raises :class:`WriteError` (one line) in every such case and for
    OS errors; the temporary file never stays behind.
    """
    target = Path(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteError(f"{path}: cannot write: {exc.strerror}") from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise WriteError(f"{path}: not a regular file; not written")
        if not os.access(target, os.W_OK) or not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise WriteError(f"{path}: file is not writable for this user; not written")
    if expected_before is not None:
        current, _ = read_source(str(target))
        if current != expected_before:
            raise WriteError(f"{path}: file changed on disk since it was read; not written")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise WriteError(f"{path}: cannot write in {target.parent}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        if st is None:  # a new file gets the mode open() would give it: 0o666 less the umask
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        else:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.chown(tmp, st.st_uid, st.st_gid)
                except PermissionError:
                    raise WriteError(f"{path}: owned by another user; writing would change its owner; "
                                     "not written") from None
        os.replace(tmp, target)
    except WriteError:
        os.unlink(tmp)
        raise
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise WriteError(f"{path}: cannot write: {exc.strerror}") from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def reparses(text: str, kind: str) -> bool:
    """Does ``text`` still parse as a file of ``kind``? (``python`` via libcst,
    ``json`` via json, ``yaml`` and ``contract`` via PyYAML; prompt-file kinds
    always do.)"""
    try:
        if kind == "python":
            import libcst

            libcst.parse_module(text)
        elif kind == "contract":
            import yaml

            yaml.safe_load(text)
        elif kind == "json":
            import json

            json.loads(text)
        elif kind == "yaml":
            import yaml

            list(yaml.safe_load_all(text))
    except Exception:  # noqa: BLE001 - any parser failure means "does not parse back"
        return False
    return True
