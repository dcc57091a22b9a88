"""``.prompty`` files: YAML front matter plus a body of role-marked messages.

The front matter's ``inputs`` declare the template's variables; the body is
split at ``system:`` / ``user:`` / ``assistant:`` lines into one conversation
(Prompty format, https://prompty.ai: Jinja2 templating unless
``template: mustache``).
"""

from __future__ import annotations

import re

import yaml

from ..model import Declaration, LineIndex, Message, Prompt, SourceMap, Span, normal_role, primary_index
from .base import Extraction, ParseProblem
from .text import split_front_matter

_ROLE_LINE = re.compile(r"^[ \t]*(system|user|assistant|developer)[ \t]*:[ \t]*\r?$", re.M | re.I)


def extract_prompty(path: str, text: str, index: LineIndex, settings) -> Extraction:  # noqa: ANN001
    """One conversation prompt; declarations from ``inputs`` (``sample`` is
    fixture data and declares nothing)."""
    front, body_off, problem, raw = split_front_matter(text)
    result = Extraction(front_matter=front, comment_style="jinja")
    if problem:
        result.problems.append(problem)
    body = text[body_off:]
    template = ""
    if front:
        t = front.get("template")
        template = (t.get("format") if isinstance(t, dict) else t) or ""
    syntax = "mustache" if str(template).lower() == "mustache" else "jinja"
    messages: list[Message] = []
    marks = list(_ROLE_LINE.finditer(body))
    if not marks:
        messages.append(Message(body, SourceMap.identity(body_off, len(body)), role="system", syntax=syntax,
                                anchor=body_off))
    else:
        if body[: marks[0].start()].strip():
            head = body[: marks[0].start()]
            messages.append(Message(head, SourceMap.identity(body_off, len(head)), role="system", syntax=syntax,
                                    anchor=body_off))
        for i, m in enumerate(marks):
            start = m.end() + 1 if m.end() < len(body) else m.end()
            end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
            chunk = body[start:end]
            role = m.group(1).lower()
            messages.append(Message(chunk, SourceMap.identity(body_off + start, len(chunk)),
                                    role=normal_role(role), syntax=syntax,
                                    anchor=body_off + m.start(),
                                    literal_span=(body_off + start, body_off + end)))
    primary = primary_index(messages)
    declarations = _declarations(text, raw, front) if front is not None else None
    prompt = Prompt(path, path, None, messages, primary=primary, declarations=declarations, origin="file")
    if front:
        from ..contracts import _prompty_contract
        from ..errors import UsageError

        try:
            found = _prompty_contract(path, text)
            prompt.contract = found[0] if found else None
        except UsageError as exc:
            off = index.line_starts[min(exc.line or 1, len(index.line_starts)) - 1] + max(0, (exc.column or 1) - 1)
            result.problems.append(ParseProblem(off, f"contract: {exc.message}"))
    result.prompts.append(prompt)
    return result


def _bound_inputs(front: dict) -> set[str]:
    """Inputs that a tool's ``bindings:`` feeds (``tools: [{bindings: {unit: {input: preferred_unit}}}]``)."""
    out: set[str] = set()
    tools = front.get("tools")
    for tool in tools if isinstance(tools, list) else []:
        bindings = tool.get("bindings") if isinstance(tool, dict) else None
        for value in (bindings or {}).values() if isinstance(bindings, dict) else []:
            name = value.get("input") if isinstance(value, dict) else value
            if isinstance(name, str):
                out.add(name)
    return out


def _declarations(text: str, raw: str, front: dict) -> list[Declaration] | None:
    # ``sample`` is fixture data, not a declaration: it may carry more (or other) values than the template reads.
    key = "inputs" if "inputs" in front else None
    if key is None:
        return None
    bound = _bound_inputs(front)
    index = text.find(raw)
    from ..model import LineIndex as _LI

    li = _LI(text)
    try:
        root = yaml.compose(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    out: list[Declaration] = []
    for k, v in getattr(root, "value", []):
        if getattr(k, "value", None) != key:
            continue
        if isinstance(v, yaml.MappingNode):
            names = [(kk.value, kk.start_mark.index, kk.end_mark.index) for kk, _ in v.value]
        elif isinstance(v, yaml.SequenceNode):  # Prompty 2: a list of names, or of {name: ..., type: ...}
            names = []
            for n in v.value:
                if isinstance(n, yaml.ScalarNode):
                    names.append((n.value, n.start_mark.index, n.end_mark.index))
                elif isinstance(n, yaml.MappingNode):
                    names += [(vv.value, vv.start_mark.index, vv.end_mark.index) for kk, vv in n.value
                              if getattr(kk, "value", None) == "name" and isinstance(vv, yaml.ScalarNode)]
        else:
            return None
        for name, s, e in names:
            out.append(Declaration(str(name), Span(li.position(index + s), li.position(index + e)),
                                   used_outside=str(name) in bound))
    return out
