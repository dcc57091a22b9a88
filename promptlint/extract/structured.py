"""JSON message arrays and YAML/JSON prompt configs.

Recognised shapes (keys compared case-insensitively):

* a list of ``{role, content}`` messages, or a mapping with ``messages:`` —
  one conversation, id ``path``;
* a mapping with ``prompts:`` (a list of entries with ``name``/``id``, or a
  mapping of name → entry) — one prompt per entry, id ``path::NAME``;
* top-level string values under prompt keys (``system_prompt``, ``prompt``,
  ``template``, ``instructions``, ``system``) — id ``path::KEY``.

An entry holds ``messages``, or text under ``template``/``prompt``/``content``/
``text``/``system``/``instructions``; ``input_variables``/``inputs``/``variables``
declare its placeholders. Positions come from PyYAML's node marks (JSON is
parsed by PyYAML too, after ``json`` has checked it).
"""

from __future__ import annotations

import json

import yaml

from ..model import Declaration, LineIndex, Message, Prompt, Span, normal_role, primary_index
from ..template import detect_syntax
from .base import Extraction, ParseProblem
from .align import align

TEXT_KEYS = ("template", "prompt", "content", "text", "system", "system_prompt", "instructions", "instruction")
TOP_KEYS = ("system_prompt", "prompt", "template", "instructions", "system", "prompt_template", "user_prompt")
DECL_KEYS = ("input_variables", "inputs", "variables", "input")


def extract_structured(path: str, text: str, index: LineIndex, settings, kind: str) -> Extraction:  # noqa: ANN001
    """Prompts from a JSON or YAML file (see module docstring)."""
    result = Extraction(comment_style="hash" if kind == "yaml" else "none")
    if kind == "json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            result.problems.append(ParseProblem(exc.pos, f"invalid JSON: {exc.msg}"))
            return result
    try:
        docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if kind == "json":
            return result  # valid JSON that PyYAML cannot read (e.g. tabs): no positions, no prompts
        result.problems.append(ParseProblem(mark.index if mark else 0, f"invalid YAML: {exc.problem}"))
        return result
    except yaml.YAMLError as exc:
        if kind == "json":
            return result  # valid JSON holding characters YAML forbids (C1 controls): no positions, no prompts
        result.problems.append(ParseProblem(0, f"invalid {kind.upper()}: {exc}"))
        return result
    builder = _Builder(path, text, index, "json" if kind == "json" else "yaml")
    for doc in docs:
        if doc is not None:
            builder.root(doc)
    result.prompts = builder.prompts
    return result


def _get(node, *keys: str):  # noqa: ANN001
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and str(k.value).lower() in keys:
            return v
    return None


def _is_message_list(node) -> bool:  # noqa: ANN001
    return (isinstance(node, yaml.SequenceNode) and bool(node.value)
            and all(isinstance(n, yaml.MappingNode) and _get(n, "role") is not None for n in node.value))


class _Builder:
    def __init__(self, path: str, text: str, index: LineIndex, kind: str) -> None:
        self.path, self.text, self.index, self.kind = path, text, index, kind
        self.prompts: list[Prompt] = []

    def scalar(self, node, role: str | None = None) -> Message | None:  # noqa: ANN001
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith((":int", ":float", ":bool", ":null")):
            if not (isinstance(node, yaml.ScalarNode) and node.style in ('"', "'", "|", ">")):
                return None
        value = str(node.value)
        start, end = node.start_mark.index, node.end_mark.index
        style = node.style
        if style in ('"', "'"):
            start += 1
        elif style in ("|", ">"):
            nl = self.text.find("\n", start)
            start = nl + 1 if nl != -1 else start
        smap = align(value, self.text, 0, start, end)
        encoding = "json" if (self.kind == "json" or style == '"') else None
        span = (node.start_mark.index, node.end_mark.index) if self.kind == "json" else None
        return Message(value, smap, role=role, syntax=detect_syntax(value), encoding=encoding,
                       anchor=node.start_mark.index, literal_span=span)

    def messages(self, seq) -> list[Message]:  # noqa: ANN001
        out = []
        for n in seq.value:
            role_node = _get(n, "role")
            role = str(role_node.value).lower() if isinstance(role_node, yaml.ScalarNode) else "user"
            role = normal_role(role)
            content = _get(n, "content", "text", "template", "prompt")
            if isinstance(content, yaml.SequenceNode):
                for part in content.value:
                    m = self.scalar(_get(part, "text"), role)
                    if m is not None:
                        out.append(m)
                continue
            m = self.scalar(content, role)
            if m is not None:
                out.append(m)
        return out

    def add(self, pid: str, name: str | None, messages: list[Message], decl_node=None) -> None:  # noqa: ANN001
        if not messages:
            return
        primary = primary_index(messages)
        self.prompts.append(Prompt(pid, self.path, name, messages, primary=primary,
                                   declarations=self.declarations(decl_node), origin="file"))

    def declarations(self, node) -> list[Declaration] | None:  # noqa: ANN001
        if node is None:
            return None
        items: list = []
        if isinstance(node, yaml.SequenceNode):
            items = [n for n in node.value if isinstance(n, yaml.ScalarNode)]
        elif isinstance(node, yaml.MappingNode):
            items = [k for k, _ in node.value]
        else:
            return None
        return [Declaration(str(n.value), Span(self.index.position(n.start_mark.index),
                                               self.index.position(n.end_mark.index))) for n in items]

    def entry(self, node, pid: str, name: str | None) -> None:  # noqa: ANN001
        msgs_node = _get(node, "messages")
        decl = _get(node, *DECL_KEYS)
        if _is_message_list(msgs_node):
            self.add(pid, name, self.messages(msgs_node), decl)
            return
        for key in TEXT_KEYS:
            m = self.scalar(_get(node, key), "system")
            if m is not None:
                self.add(pid, name, [m], decl)
                return

    def root(self, node) -> None:  # noqa: ANN001
        if _is_message_list(node):
            self.add(self.path, None, self.messages(node))
            return
        if not isinstance(node, yaml.MappingNode):
            return
        msgs_node = _get(node, "messages")
        if _is_message_list(msgs_node):
            self.add(self.path, None, self.messages(msgs_node), _get(node, *DECL_KEYS))
        prompts = _get(node, "prompts")
        if isinstance(prompts, yaml.SequenceNode):
            for i, item in enumerate(prompts.value):
                label = _get(item, "name", "id")
                name = str(label.value) if isinstance(label, yaml.ScalarNode) else str(i)
                if isinstance(item, yaml.ScalarNode):
                    m = self.scalar(item, "system")
                    if m is not None:
                        self.add(f"{self.path}::{name}", name, [m])
                else:
                    self.entry(item, f"{self.path}::{name}", name)
        elif isinstance(prompts, yaml.MappingNode):
            for k, item in prompts.value:
                name = str(k.value)
                m = self.scalar(item, "system")
                if m is not None:
                    self.add(f"{self.path}::{name}", name, [m])
                else:
                    self.entry(item, f"{self.path}::{name}", name)
        for k, v in node.value:
            key = str(getattr(k, "value", "")).lower()
            if key in TOP_KEYS:
                m = self.scalar(v, "system")
                if m is not None and len(m.text.split()) >= 3:
                    self.add(f"{self.path}::{k.value}", str(k.value), [m], _get(node, *DECL_KEYS))
