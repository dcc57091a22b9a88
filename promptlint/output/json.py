"""``--output-format json``: a JSON array of finding records (see :func:`finding_dict`)."""

from __future__ import annotations

import json

from ..model import Finding
from . import finding_dict


def render(findings: list[Finding], show_suppressed: bool = False) -> str:
    """The JSON text, indented, one record per finding in the order given."""
    return json.dumps([finding_dict(f, show_suppressed) for f in findings], indent=2, ensure_ascii=False)
