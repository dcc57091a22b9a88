"""Render a prompt template with fixture values, safely.

Values are data: they are inserted once and never parsed again as template
syntax, whatever they hold (``{{``, ``{#``, ``%``, ``<``); nothing is
HTML-escaped, because a prompt is not HTML. Jinja runs in jinja2's sandbox
(``SandboxedEnvironment``), with undefined variables an error.
"""

from __future__ import annotations

from typing import Any

from .model import Prompt
from .template import MUSTACHE_TAG


class RenderError(Exception):
    """A template could not be rendered with the fixture (one line)."""


def render_text(text: str, syntax: str, values: dict[str, Any]) -> str:
    """Render one message ``text`` of template ``syntax`` with ``values``.

    Raises :class:`RenderError` for a missing variable or a template error.
    """
    try:
        if syntax == "jinja":
            from jinja2 import StrictUndefined, TemplateError
            from jinja2.sandbox import SandboxedEnvironment

            env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
            try:
                return env.from_string(text).render(**values)
            except TemplateError as exc:
                raise RenderError(f"Jinja: {exc}") from None
        if syntax in ("format", "fstring"):
            return text.format_map(_Strict(values))
        if syntax == "percent":
            return text % values
        if syntax == "dollar":
            from string import Template

            return Template(text).substitute(values)
        if syntax == "mustache":
            return _mustache(text, values)
        return text
    except RenderError:
        raise
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        raise RenderError(f"{syntax} template: {type(exc).__name__}: {exc}") from None


class _Strict(dict):
    def __missing__(self, key: str) -> Any:
        raise KeyError(f"no value for placeholder {key!r}")


_TAG = MUSTACHE_TAG  # one definition of a Mustache tag: the lexer's


def _lookup(stack: list, name: str) -> Any:
    if name == ".":
        return stack[-1]
    for ctx in reversed(stack):
        cur = ctx
        ok = True
        for part in name.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            else:
                ok = False
                break
        if ok:
            return cur
    return None


def _mustache(text: str, values: dict) -> str:
    """A small Mustache renderer: variables, sections, inverted sections,
    comments; no HTML escaping; values are never re-parsed."""
    tokens = []
    pos = 0
    for m in _TAG.finditer(text):
        tokens.append(("text", text[pos:m.start()]))
        tokens.append((m.group(2) or "var", m.group(3).strip()))
        pos = m.end()
    tokens.append(("text", text[pos:]))

    def render(i: int, stack: list, until: str | None) -> tuple[str, int]:
        out = []
        while i < len(tokens):
            kind, val = tokens[i]
            i += 1
            if kind == "text":
                out.append(val)
            elif kind in ("var", "&"):
                v = _lookup(stack, val)
                out.append("" if v is None else str(v))
            elif kind in ("!", ">"):
                continue
            elif kind == "/":
                if val != until:
                    raise RenderError(f"mustache: unexpected closing tag {val!r}")
                return "".join(out), i
            elif kind in ("#", "^"):
                v = _lookup(stack, val)
                truthy = bool(v)
                if kind == "#" and isinstance(v, list):
                    start = i
                    body_end = i
                    parts = []
                    for item in v:
                        part, body_end = render(start, stack + [item], val)
                        parts.append(part)
                    if not v:
                        _, body_end = render(start, stack, val)
                    out.append("".join(parts))
                    i = body_end
                else:
                    show = truthy if kind == "#" else not truthy
                    inner, i = render(i, stack + ([v] if kind == "#" and isinstance(v, dict) else []), val)
                    if show:
                        out.append(inner)
        if until is not None:
            raise RenderError(f"mustache: section {until!r} is never closed")
        return "".join(out), i

    return render(0, [values], None)[0]


def render_prompt(prompt: Prompt, values: dict[str, Any]) -> str:
    """The text sent to the model for ``prompt`` with ``values``.

    A single message is rendered as is. A conversation becomes a transcript:
    each message as ``<role>:`` and its text, then ``assistant:`` for the
    model to continue (the same layout for every backend, so samples are
    comparable). Raises :class:`RenderError`.
    """
    rendered = [(m.role or "user", render_text(m.text, m.syntax, values)) for m in prompt.messages]
    if len(rendered) == 1:
        return rendered[0][1]
    return "\n\n".join(f"{role}:\n{text.strip()}" for role, text in rendered) + "\n\nassistant:\n"
