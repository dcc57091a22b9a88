"""Stable finding fingerprints: rule, prompt id and the flagged text, not line numbers,
so a finding keeps its identity when unrelated lines move (used by SARIF
``partialFingerprints`` and baselines)."""

from __future__ import annotations

import hashlib
import posixpath
import re

from .model import Finding

_LINE_IN_ID = re.compile(r"(?:call)?@\d+$")


def normal_path(path: str) -> str:
    """``path`` with ``/`` separators and no ``./`` segments (``./a/b.py`` → ``a/b.py``)."""
    return posixpath.normpath(path.replace("\\", "/"))


def fingerprint(f: Finding) -> str:
    """A 16-hex-digit hash of code, normalised path, prompt id (without the line
    number that unnamed call-site ids carry) and normalised flagged text."""
    prompt_id = f.prompt_id or ""
    if prompt_id.startswith(f.path):
        prompt_id = prompt_id[len(f.path):]
    prompt_id = _LINE_IN_ID.sub("", prompt_id)
    basis = "\0".join([f.code, normal_path(f.path), prompt_id, " ".join(f.fingerprint_text.split())])
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]
