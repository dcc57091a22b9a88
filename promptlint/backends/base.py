"""What every backend shares: the :class:`Backend` protocol, the
:class:`Generation` it returns and the :class:`BackendError` it raises (the
bottom of :mod:`promptlint.backends`; the backends themselves import this, and
:func:`promptlint.backends.make_backend` picks one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol


class BackendError(Exception):
    """A backend cannot run: the message is one line a user can act on (exit 2)."""


@dataclass
class Generation:
    """One model answer.

    ``tokens_in``/``tokens_out`` are token counts (``tokens_in`` is ``None``
    when an OpenAI-compatible server reports no usage while streaming);
    ``finish_reason`` is
    ``stop`` or ``length`` (cut at ``max_tokens``); ``ttft_ms`` is the time from
    the request to the first token and ``ttlt_ms`` to the last one, in
    milliseconds; ``model`` names the model that answered.
    """

    text: str
    tokens_in: int | None
    tokens_out: int
    finish_reason: str
    ttft_ms: float
    ttlt_ms: float
    model: str


class Backend(Protocol):
    """What promptlint needs from a model.

    ``generate`` returns a :class:`Generation`; with ``schema`` the answer is
    constrained to that JSON Schema (as far as the backend can). ``on_token``
    is called with each text piece as it streams. Raises :class:`BackendError`.
    """

    name: str
    model_id: str
    sampling_mode: str  # "batched" (all samples decoded together) or "sequential"

    def generate(self, prompt: str, *, max_tokens: int = 512, temperature: float = 0.2, seed: int | None = None,
                 schema: dict | None = None, on_token: Callable[[str], None] | None = None) -> Generation: ...
