"""``--output-format sarif``: a SARIF 2.1.0 log for GitHub code scanning.

Rules carry short/full descriptions, help text and ``helpUri``; results carry
``partialFingerprints`` (:mod:`.fingerprint`) so findings stay matched across
commits; suppressed findings carry an ``inSource`` suppression with its
justification (SARIF 2.1.0 §3.35).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from .. import __version__
from ..model import Finding
from ..rulepacks import Rule
from ..fingerprint import fingerprint, normal_path

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render(findings: list[Finding], rules: tuple[Rule, ...], show_suppressed: bool = False) -> str:
    """The SARIF log as indented JSON text; ``rules`` are listed in the tool's driver."""
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for f in findings:
        res = {
            "ruleId": f.code,
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(normal_path(f.path))},
                    "region": {"startLine": f.span.start.line, "startColumn": f.span.start.column,
                               "endLine": f.span.end.line, "endColumn": f.span.end.column},
                },
            }],
            "partialFingerprints": {"promptlint/v1": fingerprint(f)},
            "properties": {"name": f.name, "promptId": f.prompt_id},
        }
        if f.code in index:
            res["ruleIndex"] = index[f.code]
        if f.suppressed:
            res["suppressions"] = [{"kind": "inSource", "justification": f.suppression_reason or ""}]
        results.append(res)
    driver_rules = [{
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.message.split(":")[0].replace("{", "").replace("}", "")},
        "fullDescription": {"text": " ".join(r.docs["why"].split())},
        "help": {"text": " ".join(r.docs["why"].split()),
                 "markdown": f"{' '.join(r.docs['why'].split())}\n\nBad:\n```\n{r.docs['bad']}```\n\nGood:\n```\n{r.docs['good']}```"},
        "helpUri": r.url,
        "defaultConfiguration": {"level": _LEVEL[r.severity]},
    } for r in rules]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "promptlint", "version": __version__,
                                "informationUri": "https://promptlint.dev", "rules": driver_rules}},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)
