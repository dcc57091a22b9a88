"""Stable finding fingerprints: rule, prompt id and the flagged text, not line numbers,
so a finding keeps its identity when unrelated lines move (used by SARIF
``partialFingerprints`` and baselines)."""

from __future__ import annotations

import hashlib

from ..model import Finding


def fingerprint(f: Finding) -> str:
    """A 16-hex-digit hash of code, path, prompt id and normalised flagged text."""
    basis = "\0".join([f.code, f.path.replace("\\", "/"), f.prompt_id or "", " ".join(f.fingerprint_text.split())])
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]
