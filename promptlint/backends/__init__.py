"""Model backends behind one interface: generate text or a JSON-schema-constrained
object, stream tokens, and report tokens in/out, finish reason, TTFT and TTLT.

Backends: ``llama`` (llama-cpp-python, a local GGUF file) and ``openai`` (any
OpenAI-compatible server through the ``openai`` package). :func:`make_backend`
builds one from CLI options and configuration; every failure a user can cause
(missing extra, missing model file, unreachable server, prompt too long for the
context) is a :class:`BackendError` with a one-line message.
"""

from __future__ import annotations

from .base import Backend, BackendError, Generation

__all__ = ["Backend", "BackendError", "Generation", "make_backend"]


def make_backend(kind: str | None = None, *, model: str | None = None, base_url: str | None = None,
                 n_ctx: int | None = None, n_gpu_layers: int | None = None, n_threads: int | None = None,
                 seed: int | None = None, timeout: float | None = None, deadline: float | None = None,
                 config=None) -> Backend:  # noqa: ANN001 - config.ModelConfig
    """Build the backend named by ``kind``; explicit arguments override ``config``.

    ``kind``: ``llama``, ``openai``, or ``MODULE:CLASS`` (a backend class
    importable here, built with the keyword arguments ``model``, ``n_ctx`` and
    ``seed`` that are set). Default: ``openai`` when a base URL is given, else
    ``llama``. The ``llama`` backend and ``MODULE:CLASS`` backends run in a
    child process (:class:`~promptlint.backends.isolated.IsolatedBackend`), so
    a crash in native code is a :class:`~promptlint.backends.isolated.BackendCrashed`
    error; ``openai`` runs in this process (``timeout`` and ``deadline`` in
    seconds, see :class:`~promptlint.backends.openai_compat.OpenAIBackend`).

    Raises :class:`BackendError` for an unknown kind or a backend that cannot start.
    """
    cfg = config
    kind = kind or (cfg.backend if cfg and cfg.backend else None) or ("openai" if (base_url or (cfg and cfg.base_url)) else "llama")
    if kind == "llama":
        from .isolated import IsolatedBackend

        kwargs = dict(
            model_path=model or (cfg.path if cfg else None),
            n_ctx=n_ctx or (cfg.n_ctx if cfg and cfg.n_ctx else 4096),
            n_gpu_layers=n_gpu_layers if n_gpu_layers is not None else (cfg.n_gpu_layers if cfg else None),
            n_threads=n_threads or (cfg.n_threads if cfg else None),
            seed=seed if seed is not None else (cfg.seed if cfg and cfg.seed is not None else 0),
            extra_buffer_types=cfg.extra_buffer_types if cfg else None,
            chat=cfg.chat if cfg else None,
        )
        return IsolatedBackend("promptlint.backends.llama:LlamaBackend", kwargs)
    if kind == "openai":
        from .openai_compat import OpenAIBackend

        url = base_url or (cfg.base_url if cfg else None)
        name = model or (cfg.name if cfg else None)
        return OpenAIBackend(base_url=url, model=name,
                             timeout=timeout or (cfg.timeout if cfg and cfg.timeout else 60.0),
                             deadline=deadline or (cfg.deadline if cfg and cfg.deadline else 600.0))
    if ":" in kind:
        from .isolated import IsolatedBackend

        kwargs = {k: v for k, v in (("model", model or (cfg.path if cfg else None)), ("n_ctx", n_ctx),
                                    ("seed", seed)) if v is not None}
        return IsolatedBackend(kind, kwargs)
    raise BackendError(f"unknown backend {kind!r} (choose llama, openai or MODULE:CLASS)")
