"""Check kind ``engine``: rules the engine reports itself (``parse-error``,
``unused-suppression``); running it on a prompt does nothing."""

from __future__ import annotations

from . import CheckContext


def run(ctx: CheckContext) -> None:
    """No per-prompt work: see :mod:`promptlint.engine` and :mod:`promptlint.suppress`."""
    return None
