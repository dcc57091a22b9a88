"""Check kind ``output-schema``: a JSON example or JSON Schema in the prompt does not parse.

Candidates are fenced ```json blocks and ``{``…``}`` objects whose first key is
quoted, outside fenced blocks of other languages. Pseudo-JSON that describes a
shape (``"urgency": 1-3``, ``string``, ``x.x``, ``str = "…"``, ``"a" | "b"``,
``<…>``, ``...``, ``{slot}``), empty blocks and objects holding template
placeholders are not checked; neither is a string value wrapped onto a second
line. An object that parses and declares itself a JSON Schema
(``$schema``, or ``type`` with ``properties``) is checked with jsonschema's
meta-schema.
"""

from __future__ import annotations

import json
import re

from . import CheckContext

_FENCE = re.compile(r"```[ \t]*json[ \t]*\n(.*?)```", re.S | re.I)
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
#: Any fenced block (its language, if named, in group 1): objects inside a non-JSON block are code, not examples.
_ANY_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n.*?```", re.S)
#: Shape notation rather than literal JSON: alternatives, ellipses, <slots>, bare words or typed slots as values
#: (``string``, ``x.x``, ``str = "…"``), ranges, comments, single-brace slots (``{context}``), ``%s`` slots,
#: ``true or false`` and a lone quoted word in braces (``{"object"}``: a set-like type name, not an object).
_PSEUDO = re.compile(
    r"\||\.\.\.|…|<[^<>\n]{1,40}>|:\s*(?!true\b|false\b|null\b)[A-Za-z_]|\d\s*-\s*\d|//|/\*"
    r"|\{\s*[A-Za-z_]\w*\s*\}|\bx\.x\b|%(?:\([A-Za-z_]\w*\))?[sdfr]|\b(?:true|false)\s+or\s+(?:true|false)\b"
    r"|\{\s*\"\"\s*\}"
)


def _objects(text: str, braces_escaped: bool):
    """Yield ``(start, end, candidate_text)`` of top-level balanced ``{…}`` objects."""
    i, n = 0, len(text)
    while i < n:
        if text[i] != "{":
            i += 1
            continue
        if braces_escaped:
            if not text.startswith("{{", i):
                i += 1
                continue
        depth, j, in_str = 0, i, False
        step = 2 if braces_escaped else 1
        while j < n:
            c = text[j]
            if in_str:
                if c == "\\":
                    j += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif text.startswith("{" * step, j):
                depth += 1
                j += step - 1
            elif text.startswith("}" * step, j):
                depth -= 1
                j += step - 1
                if depth == 0:
                    break
            j += 1
        if depth != 0:
            return
        raw = text[i:j + 1]
        if braces_escaped:
            raw = raw.replace("{{", "{").replace("}}", "}")
        yield i, j + 1, raw
        i = j + 1


def json_candidates(a) -> list[tuple[int, int, str]]:  # noqa: ANN001 - Analysis
    """``(start, end, raw)`` of the JSON examples and schemas in a prompt (joined
    text offsets): fenced ```json blocks and objects whose first key is quoted;
    pseudo-JSON shape descriptions and objects holding placeholders are left out."""
    text = a.text
    escaped = a.prompt.main.syntax in ("format", "fstring")
    ph = [(p.start, p.end) for p in a.placeholders]
    # In a str.format template the model sees {{ as {: un-escape fenced examples as the objects below are.
    candidates = [(m.start(1), m.end(1), m.group(1).replace("{{", "{").replace("}}", "}") if escaped else m.group(1))
                  for m in _FENCE.finditer(text)]
    fenced = [(s, e) for s, e, _ in candidates]
    fenced += [(m.start(), m.end()) for m in _ANY_FENCE.finditer(text) if m.group(1).lower() != "json"]
    for s, e, raw in _objects(text, escaped):
        if any(fs <= s < fe for fs, fe in fenced):
            continue
        if re.match(r"\{\s*\"", raw):
            candidates.append((s, e, raw))
    return [(s, e, raw) for s, e, raw in candidates
            if raw.strip() and not (any(s <= ps < e for ps, _ in ph) or _PSEUDO.search(_STRING.sub('""', raw)))]


def run(ctx: CheckContext) -> None:
    """Report each candidate that fails to parse at the character where parsing
    failed (at the candidate's first line when the text was un-escaped from
    ``{{``/``}}`` first)."""
    for s, e, raw in json_candidates(ctx.analysis):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            if exc.msg.startswith("Invalid control character") and raw[exc.pos:exc.pos + 1] == "\n":
                continue  # a long string value wrapped onto the next line: a layout choice, not a broken example
            if ctx.analysis.text[s:e] == raw:  # not un-escaped: the parser's offset is a text offset
                at = s + exc.pos
                ctx.emit(at, min(e, at + 1), error=exc.msg)
            else:
                ctx.emit(s, min(e, s + max(1, raw.find("\n") if "\n" in raw else len(raw))), error=exc.msg)
            continue
        if isinstance(value, dict) and ("$schema" in value or ("type" in value and "properties" in value)):
            from jsonschema import exceptions, validators

            try:
                validators.validator_for(value).check_schema(value)
            except exceptions.SchemaError as exc:
                ctx.emit(s, s + 1, error=f"not a valid JSON Schema: {exc.message}")
