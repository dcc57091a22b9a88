"""Writing a prompt's new text back into its source file.

:func:`replace_message` puts new text where a message's literal was (spelled
as a Python literal, a JSON string or plain prompt-file text);
:func:`escape_for_syntax` makes text valid in the message's template syntax,
keeping the spellings :func:`protected_spans` lists. Used by the restructure
fix (``check --fix --unsafe-fixes``) and by ``promptlint rewrite``.
"""

from __future__ import annotations

import json
import re

from .analysis import Analysis
from .model import Message


class RewriteError(Exception):
    """A prompt that cannot be rewritten (unknown id, text built in a way
    promptlint cannot write back). One line, naming the file."""


def protected_spans(message: Message, analysis: Analysis) -> list[str]:
    """Exact spellings of the template syntax in ``message`` that a rewrite
    must keep: placeholders and Jinja/Mustache tags."""
    view = analysis.views[analysis.prompt.messages.index(message)]
    spellings = [analysis.text[p.start:p.end] for p in view.template.placeholders]
    spellings += [analysis.text[s:e] for s, e in view.template.hidden]
    if message.syntax == "format":
        spellings = [s if s.startswith("{") else "{" + s + "}" for s in spellings]
    return spellings


def escape_for_syntax(text: str, syntax: str, keep: list[str]) -> tuple[str, list[str]]:
    """Make model text valid in the prompt's template ``syntax``.

    ``keep`` are spellings that stay as written (the original's placeholders
    and tags). For ``format``/``fstring`` every other brace is doubled; for
    Jinja and Mustache, template markers that are not in ``keep`` are
    reported as failures instead. Returns ``(text, failures)``.
    """
    if syntax not in ("format", "fstring", "jinja", "mustache"):
        return text, []
    tokens = sorted(set(k for k in keep if k), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(t) for t in tokens)) if tokens else None
    out: list[str] = []
    failures: list[str] = []
    pos = 0
    for m in (pattern.finditer(text) if pattern else []):
        out.append(_escape_chunk(text[pos:m.start()], syntax, failures))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape_chunk(text[pos:], syntax, failures))
    return "".join(out), failures


def _escape_chunk(chunk: str, syntax: str, failures: list[str]) -> str:
    if syntax in ("format", "fstring"):
        from .template import FORMAT_FIELD

        chunk = re.sub(r"\{\{|\}\}", lambda m: m.group(0)[0], chunk)  # the model may already have doubled them
        for m in FORMAT_FIELD.finditer(chunk):
            if m.group("name") and not m.group("name").isdigit():
                failures.append(f"adds placeholder {m.group('name')!r}")
        return chunk.replace("{", "{{").replace("}", "}}")
    for marker in ("{{", "{%", "{#"):
        if marker in chunk:
            failures.append(f"adds template syntax {marker!r} that the original does not have")
    return chunk


def replace_message(file_text: str, msg: Message, new_text: str, kind: str) -> str:
    """The file with ``msg``'s source spelling replaced by ``new_text``.

    Raises :class:`RewriteError` when the message has no replaceable span.
    """
    if msg.encoding is None:
        raise RewriteError(f"promptlint does not write new text into this {kind} value (it rewrites Python "
                           "literals, JSON strings and prompt files)")
    if msg.literal_span is None:
        raise RewriteError("this prompt is built in a way promptlint cannot write back (e.g. str.join)")
    s, e = msg.literal_span
    if kind == "python":
        spelled = python_literal(new_text, file_text[s:e], msg.syntax == "fstring")
    elif kind == "json":
        spelled = json.dumps(new_text, ensure_ascii=False)
    elif kind in ("text", "prompty"):
        tail = file_text[s:e]
        trailing = tail[len(tail.rstrip()):] or "\n"
        spelled = new_text.rstrip() + trailing
    else:
        raise RewriteError(f"rewriting {kind} files is not supported")
    from .fixes import file_newline, with_newline

    return file_text[:s] + with_newline(spelled, file_newline(file_text)) + file_text[e:]


def python_literal(text: str, original: str, fstring: bool) -> str:
    """A triple-quoted Python literal whose value is ``text``, using the quote
    character of the ``original`` literal (``f`` prefix for f-strings)."""
    m = re.match(r"[A-Za-z]*", original)
    rest = original[m.end():] if m else original
    quote = rest[0] if rest[:1] in ("'", '"') else '"'
    body = text.replace("\\", "\\\\")
    body = body.replace(quote, "\\" + quote) if quote * 3 in body or body.endswith(quote) else body
    return ("f" if fstring else "") + quote * 3 + body + quote * 3
