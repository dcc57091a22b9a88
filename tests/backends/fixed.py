"""A test backend that answers every prompt with the text in ``$FIXED_ANSWER``
(default ``{}``), for CLI tests of what surrounds the model. Used through
``--backend fixed:FixedBackend`` with this folder on ``PYTHONPATH``."""

from __future__ import annotations

import os

from promptlint.backends import Generation


class FixedBackend:
    """Answers with ``$FIXED_ANSWER``; ``tokens_out`` is its word count, times are fixed (ms)."""

    name = "fixed"
    sampling_mode = "sequential"

    def __init__(self, model: str | None = None, n_ctx: int | None = None, seed: int | None = None) -> None:
        self.model_id = model or "fixed-answer"
        self.answer = os.environ.get("FIXED_ANSWER", "{}")

    def generate(self, prompt: str, *, max_tokens: int = 512, temperature: float = 0.2, seed=None,  # noqa: ANN001
                 schema=None, on_token=None) -> Generation:  # noqa: ANN001
        if on_token:
            on_token(self.answer)
        return Generation(self.answer, len(prompt.split()), len(self.answer.split()), "stop", 5.0, 9.0,
                          self.model_id)

    def sample(self, prompt: str, seeds, *, max_tokens: int = 256, temperature: float = 0.8,  # noqa: ANN001
               top_p: float = 0.95) -> list[Generation]:
        return [self.generate(prompt) for _ in seeds]

    def count_tokens(self, text: str) -> int:
        return len(text.split())
