"""Check kind ``output-shape``: the output contract names a format without its shape.

``options.formats`` is a regular expression for format names ("JSON", "YAML"…);
``options.shape`` a list of regular expressions, any of which shows a shape
(fields, a schema, an example object, named keys or columns).
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import CheckContext


@lru_cache(maxsize=32)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


def run(ctx: CheckContext) -> None:
    """Report the first format mention when no shape cue appears anywhere in the prompt."""
    text = ctx.analysis.clean
    m = _compile(ctx.options["formats"]).search(text)
    if not m:
        return
    if any(_compile(p).search(text) for p in ctx.options.get("shape", [])):
        return
    ctx.emit(m.start(), m.end(), format=m.group(0))
