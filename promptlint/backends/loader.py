"""Load a GGUF model with llama.cpp: the one loader behind the rewrite backend
and the variance sampler, so a process holds each model once.

:func:`load_model` returns a :class:`LoadedModel` (the native ``llama_model``
pointer, its vocabulary and chat template), cached per path and load settings.
Two settings decide how the weights are placed:

``n_gpu_layers``
    Layers to offload (``-1`` all, ``0`` none). ``None`` means all layers when
    the build can offload (``llama_supports_gpu_offload()``), else none.
``extra_buffer_types``
    Whether llama.cpp may put weights into its "extra" CPU buffer types, which
    repack them for faster matrix kernels (llama.h: ``llama_model_params.
    use_extra_bufts``). On CPUs with Intel AMX the AMX buffer type is one of
    them, and llama-cpp-python 0.3.36 crashes there on the first decode
    (SIGSEGV at ``ldtilecfg`` in ``ggml_backend_amx_mul_mat``; llama.cpp issue
    #20824). :func:`extra_buffer_types_policy` turns them off on such CPUs and
    leaves them on elsewhere; ``PROMPTLINT_LLAMA_EXTRA_BUFFERS=1`` (or ``0``)
    or the config's ``model.extra_buffer_types`` overrides the choice.

``Llama(...)`` (llama-cpp-python's high-level class) takes no argument for
``use_extra_bufts``; this loader uses the low-level
``llama_model_load_from_file`` with a ``llama_model_default_params()`` struct,
so every consumer samples through :mod:`promptlint.backends.llama_batch`.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .base import BackendError

EXTRA_BUFFERS_ENV = "PROMPTLINT_LLAMA_EXTRA_BUFFERS"
#: CPU flags (``/proc/cpuinfo``) of the features whose extra buffer type is known to crash.
FAULTY_CPU_FLAGS = ("amx_tile", "amx_int8", "amx_bf16")


def llama():  # noqa: ANN201 - the llama_cpp module
    """The ``llama_cpp`` module; raises :class:`BackendError` when the llama extra is missing."""
    try:
        import llama_cpp
    except ImportError:
        raise BackendError("llama-cpp-python is not installed: pip install 'prompt-contract-lint[llama]'") from None
    return llama_cpp


def cpu_flags() -> frozenset[str]:
    """The running CPU's feature flags as Linux lists them in ``/proc/cpuinfo``
    (empty on other systems or when the file cannot be read)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def _parse_bool(text: str) -> bool | None:
    value = text.strip().lower()
    if value in ("1", "true", "on", "yes"):
        return True
    if value in ("0", "false", "off", "no"):
        return False
    return None


def extra_buffer_types_policy(configured: bool | None = None) -> tuple[bool, str]:
    """Whether to let llama.cpp use its extra (repacking) CPU buffer types, and why.

    Order: ``$PROMPTLINT_LLAMA_EXTRA_BUFFERS`` (``1``/``0``, ``on``/``off``),
    then ``configured`` (the config's ``model.extra_buffer_types``), then the
    CPU: off when it has AMX (:data:`FAULTY_CPU_FLAGS`) and the llama.cpp
    build has AMX kernels (:func:`build_has_amx`), on otherwise.
    Returns ``(enabled, reason)``; raises :class:`BackendError` for an
    environment value that is not a boolean.
    """
    env = os.environ.get(EXTRA_BUFFERS_ENV)
    if env is not None and env.strip():
        value = _parse_bool(env)
        if value is None:
            raise BackendError(f"{EXTRA_BUFFERS_ENV}={env!r} is not a boolean (use 1 or 0)")
        return value, f"set by {EXTRA_BUFFERS_ENV}"
    if configured is not None:
        return configured, "set by model.extra_buffer_types"
    faulty = sorted(set(FAULTY_CPU_FLAGS) & cpu_flags())
    if faulty and build_has_amx():
        return False, (f"off: this CPU has {', '.join(faulty)} and this llama.cpp build has AMX kernels, "
                       "which crash (llama.cpp #20824)")
    if faulty:
        return True, "on: this CPU has AMX but this llama.cpp build has no AMX kernels"
    return True, "on: no CPU feature known to crash"


def build_has_amx() -> bool:
    """Whether the installed llama.cpp was built with its AMX kernels: its
    ``llama_print_system_info()`` lists ``AMX_INT8 = 1`` (the CPU backend
    reports the features it was compiled for). ``True`` when that cannot be
    read, so an unknown build is treated as the faulty one."""
    try:
        info = llama().llama_print_system_info().decode("utf-8", "replace")
    except (BackendError, AttributeError, OSError):
        return True
    return "AMX_INT8 = 1" in info or "AMX = 1" in info


@dataclass
class LoadedModel:
    """A loaded ``llama_model`` (freed when the process exits).

    ``n_vocab`` is the vocabulary size in tokens; ``chat_template`` is the
    GGUF's ``tokenizer.chat_template`` (``None`` when it has none);
    ``load_s`` the load time in seconds.
    """

    path: str
    model: object
    vocab: object
    n_vocab: int
    chat_template: str | None
    n_gpu_layers: int
    extra_buffer_types: bool
    load_s: float
    meta: dict[str, str]
    ids: object = field(default=None)  # numpy arange(n_vocab, dtype=int32), made on first grammar use


_MODELS: dict[tuple[str, int, bool, bool], LoadedModel] = {}
_LOCK = threading.Lock()
_LOG_SINK = None


def quiet_logs() -> None:
    """Keep llama.cpp's notes off stderr unless ``PROMPTLINT_DEBUG`` is set:
    install a log callback that passes on only errors."""
    global _LOG_SINK
    if os.environ.get("PROMPTLINT_DEBUG") or _LOG_SINK is not None:
        return
    import sys

    llama_cpp = llama()

    @llama_cpp.llama_log_callback
    def sink(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if level == 4:  # GGML_LOG_LEVEL_ERROR in current ggml (NONE, DEBUG, INFO, WARN, ERROR, CONT)
            sys.stderr.write(text.decode("utf-8", "replace"))

    _LOG_SINK = sink  # keep a reference: llama.cpp holds only the C pointer
    llama_cpp.llama_log_set(sink, ctypes.c_void_p(0))
    import atexit

    atexit.register(_release)


def _release() -> None:
    """At interpreter exit, while Python still runs: free the loaded models, then
    detach the Python log callback. A ctypes callback called from native
    teardown after the interpreter is gone crashes the process."""
    llama_cpp = llama()
    with _LOCK:
        for m in _MODELS.values():
            llama_cpp.llama_model_free(m.model)
        _MODELS.clear()
    llama_cpp.llama_log_set(ctypes.cast(None, llama_cpp.llama_log_callback), ctypes.c_void_p(0))


def _meta(llama_cpp, model) -> dict[str, str]:  # noqa: ANN001
    out: dict[str, str] = {}
    buf = ctypes.create_string_buffer(256)
    for i in range(llama_cpp.llama_model_meta_count(model)):
        n = llama_cpp.llama_model_meta_key_by_index(model, i, buf, len(buf))
        if n < 0:
            continue
        key = buf.value.decode("utf-8", "replace")
        if key.startswith("tokenizer.ggml."):  # vocabulary arrays: large and not needed
            continue
        size = llama_cpp.llama_model_meta_val_str_by_index(model, i, None, 0)
        val = ctypes.create_string_buffer(max(size, 0) + 1)
        llama_cpp.llama_model_meta_val_str_by_index(model, i, val, len(val))
        out[key] = val.value.decode("utf-8", "replace")
    return out


def load_model(path: str | Path, *, n_gpu_layers: int | None = None,
               extra_buffer_types: bool | None = None, vocab_only: bool = False) -> LoadedModel:
    """Load the GGUF at ``path`` once per process and load settings (see the
    module docstring for ``n_gpu_layers`` and ``extra_buffer_types``;
    ``extra_buffer_types=None`` applies :func:`extra_buffer_types_policy`).
    ``vocab_only`` loads the vocabulary and no weights (llama.h:
    ``llama_model_params.vocab_only``): enough to tokenize, about 0.2 s for the
    default model instead of a full load, and nothing is offloaded.

    Raises :class:`BackendError` when llama-cpp-python is missing, the file
    does not exist, or llama.cpp cannot load it.
    """
    llama_cpp = llama()
    path = str(path)
    if vocab_only:
        n_gpu_layers, extra_buffer_types = 0, False
    if n_gpu_layers is None:
        n_gpu_layers = -1 if llama_cpp.llama_supports_gpu_offload() else 0
    if extra_buffer_types is None:
        extra_buffer_types, _ = extra_buffer_types_policy(None)
    key = (path, int(n_gpu_layers), bool(extra_buffer_types), vocab_only)
    with _LOCK:
        if key in _MODELS:
            return _MODELS[key]
        quiet_logs()
        if not Path(path).is_file():
            raise BackendError(f"model file not found: {path}")
        started = time.perf_counter()
        llama_cpp.llama_backend_init()
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = int(n_gpu_layers)
        params.use_extra_bufts = bool(extra_buffer_types)
        params.vocab_only = vocab_only
        model = llama_cpp.llama_model_load_from_file(path.encode("utf-8"), params)
        if not model:
            raise BackendError(f"cannot load model {path}: llama_model_load_from_file failed (is it a GGUF file?)")
        vocab = llama_cpp.llama_model_get_vocab(model)
        template = llama_cpp.llama_model_chat_template(model, None)
        loaded = LoadedModel(path, model, vocab, llama_cpp.llama_vocab_n_tokens(vocab),
                             template.decode("utf-8", "replace") if template else None, int(n_gpu_layers),
                             bool(extra_buffer_types), time.perf_counter() - started, _meta(llama_cpp, model))
        _MODELS[key] = loaded
        return loaded
