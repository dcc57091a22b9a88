"""JSON message arrays and YAML/JSON prompt configs.

Recognised shapes (keys compared case-insensitively):

* a list of ``{role, content}`` messages, or a mapping with ``messages:`` —
  one conversation, id ``path``;
* a mapping with ``prompts:`` (a list of entries with ``name``/``id``, or a
  mapping of name → entry) — one prompt per entry, id ``path::NAME``;
* top-level string values under prompt keys (``system_prompt``, ``prompt``,
  ``template``, ``instructions``, ``system``) — id ``path::KEY``;
* nested agent and app configs: a string at any depth under a key that the
  configured name patterns match (``system_template``, ``instance_template``,
  ``custom_instructions``, ``*_prompt`` …; the patterns Python names use) and
  that reads as instructions (a ``*_template`` / ``*_prompt`` key with a
  placeholder counts too), and message lists under ``messages`` at any depth —
  id ``path::a.b.KEY`` (the key path);
* prompt catalogues: a file whose long string leaves mostly read as
  instructions (a translations file of an agent framework) — each such leaf is a
  prompt, id ``path::a.b.KEY``.

TOML files take the same shapes: :mod:`promptlint.extract.toml_nodes` gives
their node tree (``tomllib`` decodes each string; no rewrites are offered).

Recorded HTTP traffic (VCR cassettes: ``interactions:`` of ``request:`` /
``response:``) is recognised from the first bytes and not parsed.

An entry holds ``messages``, or text under ``template``/``prompt``/``content``/
``text``/``system``/``instructions``; ``input_variables``/``inputs``/``variables``
declare its placeholders. Positions come from PyYAML's node marks (JSON is
parsed by PyYAML too, after ``json`` has checked it).
"""

from __future__ import annotations

import fnmatch
import json
import re

import yaml

from ..errors import yaml_problem
from ..model import Declaration, LineIndex, Message, Prompt, Span, normal_role, primary_index
from ..template import detect_syntax
from .base import Extraction, ParseProblem, is_recorded_traffic
from .align import align

TEXT_KEYS = ("template", "prompt", "content", "text", "system", "system_prompt", "instructions", "instruction")
TOP_KEYS = ("system_prompt", "prompt", "template", "instructions", "system", "prompt_template", "user_prompt")
DECL_KEYS = ("input_variables", "inputs", "variables", "input")


def _compose_all(text: str) -> list:
    """YAML node trees of ``text``, composed by LibYAML when PyYAML has it (ten
    times faster; its node marks are the same), else by the pure-Python loader.
    A document LibYAML refuses is composed again by the pure-Python loader, so an
    error and its position are always PyYAML's."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return list(yaml.compose_all(text, Loader=fast))
        except yaml.YAMLError:
            pass
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def extract_structured(path: str, text: str, index: LineIndex, settings, kind: str) -> Extraction:  # noqa: ANN001
    """Prompts from a JSON or YAML file (see module docstring)."""
    result = Extraction(comment_style="hash" if kind in ("yaml", "toml") else "none")
    if kind == "yaml" and is_recorded_traffic(text):
        return result
    if kind == "toml":
        from .toml_nodes import TomlError, toml_nodes

        try:
            docs = [toml_nodes(text)]
        except TomlError as exc:
            result.problems.append(ParseProblem(exc.offset, f"invalid TOML: {exc}"))
            return result
        return _build(result, path, text, index, settings, "toml", docs)
    if kind == "json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            result.problems.append(ParseProblem(exc.pos, f"invalid JSON: {exc.msg}"))
            return result
    try:
        docs = _compose_all(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if kind == "json":
            return result  # valid JSON that PyYAML cannot read (e.g. tabs): no positions, no prompts
        result.problems.append(ParseProblem(mark.index if mark else 0, yaml_problem(exc)))
        return result
    except yaml.YAMLError as exc:
        if kind == "json":
            return result  # valid JSON holding characters YAML forbids (C1 controls): no positions, no prompts
        result.problems.append(ParseProblem(0, f"invalid {kind.upper()}: {exc}"))
        return result
    return _build(result, path, text, index, settings, "json" if kind == "json" else "yaml", docs)


def _build(result: Extraction, path: str, text: str, index: LineIndex, settings, kind: str,  # noqa: ANN001
           docs: list) -> Extraction:
    builder = _Builder(path, text, index, kind, settings)
    for doc in docs:
        if doc is not None:
            builder.root(doc)
            builder.nested(doc)
    result.prompts = sorted(builder.prompts, key=lambda p: p.main.anchor)
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
    def __init__(self, path: str, text: str, index: LineIndex, kind: str, settings=None) -> None:  # noqa: ANN001
        self.path, self.text, self.index, self.kind = path, text, index, kind
        self.settings = settings
        self.prompts: list[Prompt] = []
        self.taken: set[int] = set()  # start offsets of the nodes already made prompts

    def scalar(self, node, role: str | None = None) -> Message | None:  # noqa: ANN001
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith((":int", ":float", ":bool", ":null")):
            if not (isinstance(node, yaml.ScalarNode) and node.style in ('"', "'", "|", ">")):
                return None
        value = str(node.value)
        start, end = node.start_mark.index, node.end_mark.index
        style = node.style
        if getattr(node, "toml_triple", False):  # TOML drops a line break right after the opening quotes
            start += 3
            start += 2 if self.text.startswith("\r\n", start) else 1 if self.text.startswith("\n", start) else 0
        elif style in ('"', "'"):
            start += 1
        elif style in ("|", ">"):
            nl = self.text.find("\n", start)
            start = nl + 1 if nl != -1 else start
        smap = align(value, self.text, 0, start, end)
        encoding = "json" if (self.kind == "json" or (style == '"' and self.kind == "yaml")) else None
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

    def add(self, pid: str, name: str | None, messages: list[Message], decl_node=None,  # noqa: ANN001
            found_by: str = "file") -> None:
        if not messages:
            return
        primary = primary_index(messages)
        if any(m.anchor in self.taken for m in messages):
            return
        self.taken.update(m.anchor for m in messages)
        self.prompts.append(Prompt(pid, self.path, name, messages, primary=primary,
                                   declarations=self.declarations(decl_node), origin="file", found_by=found_by))

    # -- nested configs and catalogues ------------------------------------------
    def _key_matches(self, key: str) -> bool:
        patterns = self.settings.name_patterns if self.settings is not None else ()
        low = key.lower()
        return any(fnmatch.fnmatchcase(low, p.lower()) for p in patterns)

    def _instructions(self, value: str) -> bool:
        from .heuristics import reads_as_instructions

        return self.settings is not None and reads_as_instructions(value, self.settings.vocabulary)

    def nested(self, doc) -> None:  # noqa: ANN001
        """Prompts below the top level (see module docstring): keyed strings and
        message lists first, then, when the file reads as a prompt catalogue,
        its other long instruction leaves."""
        leaves: list[tuple[str, object]] = []  # (key path, scalar) of every string leaf
        stack: list[tuple[object, str, int]] = [(doc, "", 0)]
        while stack:
            node, where, depth = stack.pop()
            if depth > 24:
                continue
            if isinstance(node, yaml.SequenceNode):
                for i, item in reversed(list(enumerate(node.value))):
                    stack.append((item, f"{where}[{i}]", depth + 1))
                continue
            if not isinstance(node, yaml.MappingNode):
                continue
            for k, v in reversed(node.value):
                if not isinstance(k, yaml.ScalarNode):
                    continue
                key = str(k.value)
                at = f"{where}.{key}" if where else key
                if isinstance(v, yaml.ScalarNode):
                    leaves.append((at, v))
                    if depth and self._key_matches(key):
                        m = self.scalar(v, "system")
                        if m is not None and self._keyed_prompt(key, m):
                            self.add(f"{self.path}::{at}", at, [m], found_by="name")
                elif key.lower() == "messages" and depth and _is_message_list(v) and "[" not in where:
                    # (under a list index it is a recorded call or a log entry: ``lm[4].messages``, not a config)
                    self.add(f"{self.path}::{at}", at, self.messages(v), _get(node, *DECL_KEYS), found_by="name")
                else:
                    stack.append((v, at, depth + 1))
        # Strings under list indices are records (recorded model calls, replayed trajectories), not a catalogue.
        leaves = [(at, v) for at, v in leaves if "[" not in at]
        long = [(at, v) for at, v in leaves if isinstance(v.value, str) and len(v.value.split()) >= 8]
        if len(long) < 3:
            return
        reading = [(at, v) for at, v in long if self._instructions(v.value)]
        if len(reading) >= 3 and 2 * len(reading) >= len(long):
            # A catalogue: besides its instruction texts, every other sentence-long leaf is a prompt piece too
            # (``"summary": "This is a summary of our conversation so far:\n{merged_summary}"``).
            picked = {id(v) for _, v in reading}
            reading += [(at, v) for at, v in leaves if id(v) not in picked and isinstance(v.value, str)
                        and len(v.value.split()) >= 4 and "[" not in at]
            reading.sort(key=lambda item: item[1].start_mark.index)
            for at, v in reading:
                m = self.scalar(v, "system")
                if m is not None:
                    self.add(f"{self.path}::{at}", at, [m], found_by="content")

    def _keyed_prompt(self, key: str, m: Message) -> bool:
        """Is string ``m`` under prompt-named ``key`` a prompt template? It reads as
        instructions, or a ``*_template`` / ``*_prompt`` key holds a placeholder."""
        if self._instructions(m.text):
            return True
        if re.fullmatch(r"\s*\$\{[^}]*\}\s*", m.text):
            return False  # ``${inputs.question}``: a flow's input binding, not text
        low = key.lower()
        # ``next_step_no_output_template: Your command ran successfully …``: a template key names a prompt
        # outright; a sentence or a placeholder is enough.
        return low.endswith(("_template", "_prompt")) and (len(m.text.split()) >= 3 or m.syntax != "plain")

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
                    self.add(f"{self.path}::{k.value}", str(k.value), [m], _get(node, *DECL_KEYS), found_by="name")
