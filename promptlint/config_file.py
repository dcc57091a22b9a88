"""The config file's schema: ``[tool.promptlint]`` (in ``pyproject.toml``) or a
``promptlint.toml``, validated with pydantic.

Imported only when a config file is read or the model options are used: a run
whose settings come from the settings cache (see :mod:`promptlint.config`) does
not import pydantic at all.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def toml_error(exc: Exception, path: str) -> UsageError:
    """A :class:`UsageError` at the line and column a ``tomllib`` error names."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    msg = re.sub(r"\s*\(at line.*\)$", "", str(exc))
    return UsageError(f"invalid TOML: {msg}", path, int(m.group(1)) if m else None, int(m.group(2)) if m else None)


def key_position(text: str, key: str, table_line: int) -> tuple[int, int]:
    """1-based line/column of ``key`` in the TOML ``text`` at or after ``table_line``."""
    rx = re.compile(r"^[ \t]*[\"']?" + re.escape(str(key)) + r"[\"']?[ \t]*=", re.M)
    lines = text.splitlines(keepends=True)
    start = sum(len(x) for x in lines[: max(0, table_line - 1)])
    m = rx.search(text, start) or rx.search(text)
    if not m:
        tm = re.search(r"^\[[^\]]*" + re.escape(str(key)) + r"[^\]]*\]", text, re.M)
        if tm:
            return text.count("\n", 0, tm.start()) + 1, 1
        return table_line, 1
    line = text.count("\n", 0, m.start()) + 1
    col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + len(m.group(0)) - len(m.group(0).lstrip())
    return line, col + 1


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=_kebab, populate_by_name=True)


class CallSiteConfig(_Base):
    """One configured LLM call site: ``callee`` (dotted suffix, ``*`` allowed) and
    either ``argument`` (keyword name or 0-based position) or ``messages``."""

    callee: str
    argument: str | int | None = None
    messages: str | None = None


class ExtractConfig(_Base):
    """``[tool.promptlint.extract]``: prompt-name patterns and call sites."""

    name_patterns: list[str] | None = None
    extend_name_patterns: list[str] = Field(default_factory=list)
    call_sites: list[CallSiteConfig] = Field(default_factory=list)
    #: More constructors that wrap a prompt string (dotted names; the last part is compared), as
    #: ``TextPrompt("…")`` is: ``NAME = Wrapper("…")`` is the string's prompt.
    wrappers: list[str] = Field(default_factory=list)
    #: More caching decorators (dotted names; the last part is compared) for the cache-key rules in code.
    cache_decorators: list[str] = Field(default_factory=list)


class ModelConfig(_Base):
    """``[tool.promptlint.model]``: settings for the model-driven commands.

    ``extra_buffer_types``: let llama.cpp repack weights into its extra CPU
    buffer types (default: off on CPUs with AMX, where they crash; see
    :mod:`promptlint.backends.loader`). ``chat``: wrap prompts in the GGUF's
    chat template (default: when the model has one and is not a base model).
    ``timeout``: seconds one request to an OpenAI-compatible server may wait
    for an answer (default 60); ``deadline``: seconds a whole run may spend
    on such requests (default 600).
    """

    backend: str | None = None
    path: str | None = None
    base_url: str | None = None
    name: str | None = None
    n_ctx: int | None = None
    n_gpu_layers: int | None = None
    n_threads: int | None = None
    seed: int | None = None
    extra_buffer_types: bool | None = None
    chat: bool | None = None
    timeout: float | None = Field(default=None, gt=0)
    deadline: float | None = Field(default=None, gt=0)


class TokensConfig(_Base):
    """``[tool.promptlint.tokens]``: how prompts are counted (see :mod:`promptlint.tokens`).

    ``tokenizer``: a packaged model name or a GGUF path (default: the
    ``[tool.promptlint.model]`` path, else the default model); ``budget``: the
    most tokens a prompt's static text may take (``token-budget``; unset: only
    contracts set budgets).
    """

    tokenizer: str | None = None
    budget: int | None = Field(default=None, ge=1, strict=True)  # strict: ``true`` or ``"10"`` are mistakes


class PricesConfig(_Base):
    """``[tool.promptlint.prices]``: what the served model costs, for ``promptlint
    variance``'s cost per 1,000 requests. ``input`` and ``output`` are prices per
    million tokens in ``currency`` (a label, default ``USD``); promptlint ships no
    price table (prices change), so without this table no cost is reported."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    currency: str = "USD"


class FileConfig(_Base):
    """The ``[tool.promptlint]`` table."""

    select: list[str] | None = None
    extend_select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict)
    include: list[str] | None = None
    extend_include: list[str] = Field(default_factory=list)
    exclude: list[str] | None = None
    extend_exclude: list[str] = Field(default_factory=list)
    respect_gitignore: bool = True
    rule_paths: list[str] = Field(default_factory=list)
    layout: str | None = None
    fail_on: Literal["error", "warning", "info"] = "warning"
    contract_rules_in_tests: bool = False
    structure_rules: Literal["labelled", "all"] = "labelled"
    labels: dict[str, list[str]] = Field(default_factory=dict)
    cues: dict[str, list[str]] = Field(default_factory=dict)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    tokens: TokensConfig = Field(default_factory=TokensConfig)
    prices: PricesConfig | None = None
    cache_dir: str | None = None


def read_file_config(path: Path, text: str | None = None) -> tuple[FileConfig, str]:
    """Parse and validate the config table of ``path`` (its ``text`` when the
    caller has read it already).

    Returns the model and the raw text. Raises :class:`UsageError` with line
    and column for TOML syntax errors, unknown keys and wrong types.
    """
    if text is None:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read config: {exc}", str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, str(path)) from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("promptlint", {})
        header = re.search(r"^\[tool\.promptlint\]", text, re.M)
    else:
        table = data.get("tool", {}).get("promptlint", data)
        header = None
    table_line = text.count("\n", 0, header.start()) + 1 if header else 1
    try:
        return FileConfig.model_validate(table), text
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [x for x in err["loc"] if isinstance(x, str)]
        key = loc[-1] if loc else "promptlint"
        line, col = key_position(text, key, table_line)
        if err["type"] == "extra_forbidden":
            where = "[tool.promptlint]" if path.name == "pyproject.toml" else path.name
            msg = f"unknown key {'.'.join(loc)!r} in {where}"
        else:
            msg = f"{'.'.join(loc)}: {err['msg']}"
        raise UsageError(msg, str(path), line, col) from None
