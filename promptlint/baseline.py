"""Baselines: record today's findings so that only new ones are reported.

``promptlint check --write-baseline FILE`` stores the unsuppressed findings of a
run in ``FILE`` (:func:`write_baseline`); ``promptlint check --baseline FILE``
loads it (:func:`load_baseline`) and drops the findings it already holds
(:meth:`Baseline.filter`).

A finding is identified by its rule code, its prompt id without the line
number that unnamed call-site ids carry, and the stable fingerprint of
:mod:`promptlint.fingerprint` (which also covers the normalised path and
the flagged text). Line numbers play no part, so a baselined finding survives
edits that only move it. Matching counts: a baseline entry absorbs one finding,
so a second identical finding in the same prompt is new.

The file is JSON::

    {"version": 1, "tool": "promptlint",
     "findings": [{"code": "PL003", "name": "missing-task", "path": "app.py",
                   "prompt_id": "app.py::SYSTEM_PROMPT", "fingerprint": "0123456789abcdef",
                   "message": "..."}, ...]}

sorted by path, prompt id, code and fingerprint so that rewriting it gives
small diffs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .model import Finding
from .source import WriteError, write_atomic
from .fingerprint import _LINE_IN_ID, fingerprint, normal_path

BASELINE_VERSION = 1

Key = tuple[str, str | None, str]


def baseline_prompt_id(f: Finding) -> str | None:
    """``f.prompt_id`` with its path part normalised (as :func:`normal_path`) and
    the ``@LINE`` / ``call@LINE`` suffix removed; ``None`` for file-level findings."""
    if f.prompt_id is None:
        return None
    pid = f.prompt_id
    if pid.startswith(f.path):
        pid = normal_path(f.path) + pid[len(f.path):]
    return _LINE_IN_ID.sub("", pid)


def finding_key(f: Finding) -> Key:
    """The identity a baseline matches on: ``(code, baseline prompt id, fingerprint)``."""
    return (f.code, baseline_prompt_id(f), fingerprint(f))


def baseline_entry(f: Finding) -> dict:
    """The JSON record of one finding in a baseline file."""
    return {"code": f.code, "name": f.name, "path": normal_path(f.path), "prompt_id": baseline_prompt_id(f),
            "fingerprint": fingerprint(f), "message": f.message}


def write_baseline(findings: Iterable[Finding], path: str) -> int:
    """Write the unsuppressed ``findings`` to the baseline file ``path``,
    atomically (:func:`promptlint.source.write_atomic`).

    Returns the number of entries written. Raises
    :class:`~promptlint.errors.UsageError` naming ``path`` when it cannot be
    written.
    """
    entries = [baseline_entry(f) for f in findings if not f.suppressed]
    entries.sort(key=lambda e: (e["path"], e["prompt_id"] or "", e["code"], e["fingerprint"], e["message"]))
    text = json.dumps({"version": BASELINE_VERSION, "tool": "promptlint", "findings": entries},
                      indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomic(path, text)
    except WriteError as exc:
        raise UsageError(f"cannot write baseline: {exc}", path) from None
    return len(entries)



@dataclass
class Baseline:
    """The findings recorded in a baseline file, as a multiset of
    :func:`finding_key` keys."""

    path: str
    counts: Counter = field(default_factory=Counter)

    def __len__(self) -> int:
        return sum(self.counts.values())

    def filter(self, findings: Iterable[Finding]) -> tuple[list[Finding], int]:
        """Split ``findings`` against the baseline.

        Returns ``(kept, matched)``: ``kept`` is ``findings`` in their order
        without the unsuppressed ones the baseline holds (suppressed findings
        are always kept: they were never recorded), and ``matched`` is how many
        were dropped. Each baseline entry absorbs at most one finding.
        """
        left = Counter(self.counts)
        kept: list[Finding] = []
        matched = 0
        for f in findings:
            if not f.suppressed:
                key = finding_key(f)
                if left[key] > 0:
                    left[key] -= 1
                    matched += 1
                    continue
            kept.append(f)
        return kept, matched


def load_baseline(path: str) -> Baseline:
    """Read and validate the baseline file ``path``.

    Raises :class:`~promptlint.errors.UsageError` naming the file (and the
    line and column for invalid JSON) when it is missing, unreadable, not
    JSON, or not a promptlint baseline.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read baseline: {exc.strerror or exc}", path) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"baseline is not UTF-8 text (at byte offset {exc.start})", path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"invalid baseline JSON: {exc.msg}", path, exc.lineno, exc.colno) from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise UsageError("not a promptlint baseline: expected an object with a `findings` list", path)
    if data.get("version") != BASELINE_VERSION:
        raise UsageError(f"unsupported baseline version {data.get('version')!r} (expected {BASELINE_VERSION})",
                         path)
    baseline = Baseline(path)
    for i, entry in enumerate(data["findings"]):
        if not (isinstance(entry, dict) and isinstance(entry.get("code"), str)
                and isinstance(entry.get("fingerprint"), str)
                and (entry.get("prompt_id") is None or isinstance(entry.get("prompt_id"), str))):
            raise UsageError(f"`findings.{i}`: expected an object with string `code`, `fingerprint` and "
                             "`prompt_id` (string or null)", path)
        baseline.counts[(entry["code"], entry.get("prompt_id"), entry["fingerprint"])] += 1
    return baseline
