"""Prompt contracts: what a prompt promises about its output, its sampling, its
fixtures, thresholds, latency targets and cache key.

A contract is YAML, found

* beside a prompt file: ``NAME.contract.yaml`` for ``NAME.md`` / ``NAME.j2`` …;
* in a contracts file (``*.contracts.yaml``) keyed by prompt id, for prompts in
  Python code: ``contracts: {"app.py::SYSTEM_PROMPT": {...}}``;
* in a ``.prompty`` file's front matter (``outputs`` → a JSON object schema,
  ``sample`` → one fixture).

Files are validated with a JSON Schema generated from the pydantic models below
(:data:`CONTRACT_SCHEMA`); an error names the file, line and column of the
offending YAML node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import UsageError, load_yaml, schema_error_message, yaml_data, yaml_node_at


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OutputSpec(_Strict):
    """The output contract: ``format`` and, for ``json``, a JSON Schema (inline
    ``schema`` or ``schema_file``); ``pattern`` for ``regex``; ``max_tokens``
    caps each sample (tokens)."""

    format: Literal["json", "text", "markdown-list", "one-sentence", "regex"] = "text"
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    schema_file: str | None = None
    pattern: str | None = None
    max_tokens: int = Field(default=256, ge=1, le=32768)


class Sampling(_Strict):
    """Decoding settings for variance runs; ``samples`` is N per fixture."""

    temperature: float = Field(default=0.8, ge=0)
    top_p: float = Field(default=0.95, gt=0, le=1)
    seed: int | None = None
    samples: int = Field(default=5, ge=1, le=1000)


class FixtureSpec(_Strict):
    """One eval input: inline ``vars`` or a ``file`` (YAML/JSON mapping of vars,
    relative to the contract) under ``fixtures/``."""

    name: str | None = None
    vars: dict[str, Any] | None = None
    file: str | None = None


class Thresholds(_Strict):
    """Pass/fail limits (each a share from 0 to 1; unset ones are not checked)."""

    pass_rate: float | None = Field(default=None, ge=0, le=1)
    modal_share: float | None = Field(default=None, ge=0, le=1)
    field_agreement: float | None = Field(default=None, ge=0, le=1)


class Latency(_Strict):
    """Latency targets in ms at p95, and what to serve when they are missed."""

    ttft_ms_p95: float | None = Field(default=None, gt=0)
    ttlt_ms_p95: float | None = Field(default=None, gt=0)
    fallback: str | None = None


class Cache(_Strict):
    """How answers are cached: ``scope`` shared or per-user, and the inputs the
    key varies on (besides the rendered prompt)."""

    scope: Literal["shared", "per-user"] = "shared"
    vary_on: list[str] = Field(default_factory=list)


class Contract(_Strict):
    """A whole contract (see the module docstring)."""

    prompt: str | None = None
    output: OutputSpec = Field(default_factory=OutputSpec)
    sampling: Sampling = Field(default_factory=Sampling)
    fixtures: list[FixtureSpec] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    latency: Latency | None = None
    cache: Cache | None = None
    #: The most tokens the prompt's static text may take (``token-budget``; counted as :mod:`promptlint.tokens` says).
    token_budget: int | None = Field(default=None, ge=1)


def contract_schema() -> dict:
    """The JSON Schema of one contract (generated from :class:`Contract`)."""
    return Contract.model_json_schema(by_alias=True)


CONTRACT_SCHEMA = contract_schema()


@dataclass
class LoadedContract:
    """A contract with where it came from: ``path`` (the contract's file),
    ``prompt_path`` and ``prompt_id`` (what it is for), ``node`` (its YAML node,
    for positions) and ``schema`` (the output JSON Schema, resolved)."""

    contract: Contract
    path: str
    prompt_path: str
    prompt_id: str
    node: Any = None
    schema: dict | None = None
    text: str = ""
    base_offset: int = 0
    extra: dict = field(default_factory=dict)
    #: Where a contract key is spelled in a file of another format (``.prompty``: ``sampling`` is
    #: ``model.parameters``, ``output`` is ``outputs``), so positions point at the user's own key.
    aliases: dict = field(default_factory=dict)

    def position(self, *keys: str | int) -> tuple[int, int]:
        """1-based ``(line, column)`` of the YAML node at ``keys`` (or the
        nearest ancestor that exists) in the contract's file."""
        path = list(keys)
        if path and path[0] in self.aliases:
            path = list(self.aliases[path[0]]) + path[1:]
        node = yaml_node_at(self.node, path) if self.node is not None else None
        if node is None:
            return 1, 1
        mark = node.start_mark
        off = self.base_offset + mark.index
        line = self.text.count("\n", 0, off) + 1
        col = off - (self.text.rfind("\n", 0, off) + 1) + 1
        return line, col


@lru_cache(maxsize=1)
def _validator():  # noqa: ANN202
    from jsonschema import Draft202012Validator

    return Draft202012Validator(CONTRACT_SCHEMA)


def _validate(data: Any, node: Any, path: str, text: str, base_offset: int = 0, keys: tuple = ()) -> Contract:
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        at = yaml_node_at(node, list(err.absolute_path)) if node is not None else None
        line = col = None
        if at is not None:
            off = base_offset + at.start_mark.index
            line = text.count("\n", 0, off) + 1
            col = off - (text.rfind("\n", 0, off) + 1) + 1
        raise UsageError(schema_error_message(err), path, line, col)
    return Contract.model_validate(data)


def _output_schema(c: Contract, base: Path, path: str, lc: LoadedContract) -> dict | None:
    """Check the output contract's ``pattern`` and schema when the contract is
    loaded (before any model loads) and return the schema (``None`` without one).
    Raises :class:`UsageError` at the offending key's line and column."""
    if c.output.format == "regex" and c.output.pattern is None:
        line, col = lc.position("output", "format")
        raise UsageError("output format `regex` needs a `pattern`", path, line, col)
    if c.output.pattern is not None:
        import re

        try:
            re.compile(c.output.pattern)
        except re.error as exc:
            line, col = lc.position("output", "pattern")
            raise UsageError(f"output pattern is not a valid regular expression: {exc}", path, line, col) from None
    if c.output.json_schema is not None:
        schema = c.output.json_schema
    elif c.output.schema_file:
        import json

        import yaml

        f = base / c.output.schema_file
        try:
            raw = f.read_text("utf-8")
            schema = json.loads(raw) if f.suffix == ".json" else yaml_data(raw)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            line, col = lc.position("output", "schema_file")
            raise UsageError(f"cannot read schema_file {c.output.schema_file!r}: {exc}", path, line, col) from None
    else:
        return None
    from jsonschema import exceptions, validators

    try:
        validators.validator_for(schema).check_schema(schema)
    except exceptions.SchemaError as exc:
        line, col = lc.position("output", "schema")
        raise UsageError(f"output schema is not a valid JSON Schema: {exc.message}", path, line, col) from None
    return schema


def sibling_prompt(contract_path: Path) -> Path | None:
    """The prompt file a ``NAME.contract.yaml`` belongs to (``NAME.<ext>`` beside it)."""
    stem = contract_path.name[: -len(".contract.yaml")] if contract_path.name.endswith(".contract.yaml") else \
        contract_path.name[: -len(".contract.yml")]
    for candidate in sorted(contract_path.parent.glob(stem + ".*")):
        if candidate.name.endswith((".contract.yaml", ".contract.yml")) or candidate == contract_path:
            continue
        return candidate
    return None


def load_contracts(path: str, text: str | None = None) -> list[LoadedContract]:
    """Every contract in the file at ``path`` (a ``*.contract.yaml``, a
    ``*.contracts.yaml`` or a ``.prompty``).

    Raises :class:`UsageError` naming file, line and column for invalid YAML,
    a schema violation, or a contract whose prompt file does not exist.
    """
    p = Path(path)
    if text is None:
        try:
            text = p.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read contract: {exc}", path) from None
    base = p.parent
    if p.suffix == ".prompty":
        return _prompty_contract(path, text)
    node, data = load_yaml(text, path)
    if p.name.endswith((".contracts.yaml", ".contracts.yml")):
        if not isinstance(data, dict) or "contracts" not in data:
            raise UsageError("a contracts file needs a top-level `contracts:` mapping keyed by prompt id", path, 1, 1)
        out = []
        contracts_node = yaml_node_at(node, ["contracts"])
        for key, value in (data.get("contracts") or {}).items():
            cnode = yaml_node_at(contracts_node, [key])
            c = _validate(value, cnode, path, text)
            file_part = str(key).split("::", 1)[0]
            prompt_path = str((base / file_part)) if not Path(file_part).is_absolute() else file_part
            lc = LoadedContract(c, path, prompt_path, str(key), cnode, None, text)
            lc.schema = _output_schema(c, base, path, lc)
            out.append(lc)
        return out
    c = _validate(data, node, path, text)
    if c.prompt:
        prompt_path = str(base / c.prompt.split("::", 1)[0])
        prompt_id = c.prompt
    else:
        sib = sibling_prompt(p)
        if sib is None:
            raise UsageError("no prompt file beside this contract (expected NAME.<ext> next to NAME.contract.yaml); "
                             "or set `prompt:`", path, 1, 1)
        prompt_path, prompt_id = str(sib), sib.name
    if not Path(prompt_path).is_file():
        line, col = LoadedContract(c, path, prompt_path, prompt_id, node, None, text).position("prompt")
        raise UsageError(f"prompt file {prompt_path!r} does not exist", path, line, col)
    lc = LoadedContract(c, path, prompt_path, prompt_id, node, None, text)
    lc.schema = _output_schema(c, base, path, lc)
    return [lc]


#: Prompty input/output types (the spec's and the Python-style spellings seen in the wild) as JSON
#: Schema types; a type not listed here constrains nothing (never "string" by default).
_PROMPTY_TYPES = {"string": "string", "str": "string", "number": "number", "float": "number", "integer": "integer",
                  "int": "integer", "boolean": "boolean", "bool": "boolean", "array": "array", "list": "array",
                  "object": "object", "dict": "object"}


def prompty_fields(value: Any) -> dict[str, dict]:
    """``inputs``/``outputs`` of a ``.prompty`` front matter in either form of
    the spec -- a mapping ``name: {type: ...}`` (Prompty 1) or a list of
    ``{name: ..., kind: ...}`` (Prompty 2, which spells the type ``kind``) --
    as ``{name: properties}``; see :func:`prompty_type`."""
    if isinstance(value, dict):
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in value.items()}
    if isinstance(value, list):
        return {str(item["name"]): item for item in value if isinstance(item, dict) and "name" in item}
    return {}


def prompty_type(field_: dict) -> str:
    """A Prompty field's type name: ``type`` (Prompty 1) or ``kind`` (Prompty 2)."""
    return str(field_.get("type", field_.get("kind", "")))


def _prompty_contract(path: str, text: str) -> list[LoadedContract]:
    """A contract from a ``.prompty`` file's ``outputs``/``sample`` front matter."""
    from .source import FRONT_MATTER

    m = FRONT_MATTER.match(text)
    if not m:
        return []
    node, front = load_yaml(m.group(1), path, text.count("\n", 0, m.start(1)))
    if not isinstance(front, dict) or not ("outputs" in front or "sample" in front or "contract" in front):
        return []
    data: dict = dict(front.get("contract") or {})
    outputs = prompty_fields(front.get("outputs"))
    if outputs and "output" not in data:
        props = {k: ({"type": _PROMPTY_TYPES[prompty_type(v)]} if prompty_type(v) in _PROMPTY_TYPES else {})
                 for k, v in outputs.items()}
        data["output"] = {"format": "json", "schema": {"type": "object", "properties": props,
                                                       "required": sorted(props)}}
    params = ((front.get("model") or {}).get("parameters") or {}) if isinstance(front.get("model"), dict) else {}
    if isinstance(params, dict) and "sampling" not in data:
        picked = {k: params[k] for k in ("temperature", "top_p", "seed") if isinstance(params.get(k), (int, float))}
        if picked:
            data["sampling"] = picked
        if isinstance(params.get("max_tokens"), int) and "output" in data:
            data["output"].setdefault("max_tokens", params["max_tokens"])
    sample = front.get("sample")
    if isinstance(sample, dict) and "fixtures" not in data:
        data["fixtures"] = [{"name": "sample", "vars": sample}]
    cnode = yaml_node_at(node, ["contract"]) if "contract" in front else node
    c = _validate(data, cnode, path, text, m.start(1))
    lc = LoadedContract(c, path, path, path, cnode, None, text, m.start(1))
    if "contract" not in front:
        lc.aliases = {"sampling": ("model", "parameters"), "output": ("outputs",), "fixtures": ("sample",)}
        lc.extra["temperature_unset"] = "temperature" not in (data.get("sampling") or {})
    lc.schema = _output_schema(c, Path(path).parent, path, lc)
    return [lc]


def fixture_vars(lc: LoadedContract) -> list[tuple[str, dict]]:
    """``(name, vars)`` for each fixture (files read relative to the contract).

    Raises :class:`UsageError` for a missing or unreadable fixture file.
    """
    import json

    import yaml

    out = []
    base = Path(lc.path).parent
    for i, f in enumerate(lc.contract.fixtures):
        if f.file:
            fp = base / f.file
            try:
                raw = fp.read_text("utf-8")
                data = json.loads(raw) if fp.suffix == ".json" else yaml_data(raw)
            except (OSError, ValueError, yaml.YAMLError) as exc:
                line, col = lc.position("fixtures", i, "file")
                raise UsageError(f"cannot read fixture file {f.file!r}: {exc}", lc.path, line, col) from None
            if not isinstance(data, dict):
                line, col = lc.position("fixtures", i, "file")
                raise UsageError(f"fixture file {f.file!r} must hold a mapping of variables", lc.path, line, col)
            out.append((f.name or fp.stem, {**data, **(f.vars or {})}))
        else:
            out.append((f.name or f"fixture-{i + 1}", dict(f.vars or {})))
    if not out:
        out.append(("no-inputs", {}))
    return out
