"""Test backends that really die: the child process kills itself with SIGSEGV,
as llama.cpp does when a native kernel faults. Used through
``--backend crashing:SegfaultBackend`` with this folder on ``PYTHONPATH``."""

from __future__ import annotations

import os
import signal

from promptlint.backends import Generation


class SegfaultBackend:
    """Dies with SIGSEGV on every request whose prompt does not contain ``survive``;
    echoes the prompt's first word otherwise (so a restart can be shown)."""

    name = "crashing"
    sampling_mode = "sequential"

    def __init__(self, model: str | None = None, n_ctx: int | None = None, seed: int | None = None) -> None:
        self.model_id = model or "segfault"

    def _maybe_die(self, prompt: str) -> None:
        if "survive" not in prompt:
            os.kill(os.getpid(), signal.SIGSEGV)

    def generate(self, prompt: str, *, max_tokens: int = 512, temperature: float = 0.2, seed=None,  # noqa: ANN001
                 schema=None, on_token=None) -> Generation:  # noqa: ANN001
        self._maybe_die(prompt)
        word = prompt.split()[0]
        if on_token:
            on_token(word)
        return Generation(word, len(prompt.split()), 1, "stop", 1.0, 2.0, self.model_id)

    def sample(self, prompt: str, seeds, *, max_tokens: int = 256, temperature: float = 0.8,  # noqa: ANN001
               top_p: float = 0.95) -> list[Generation]:
        return [self.generate(prompt) for _ in seeds]

    def count_tokens(self, text: str) -> int:
        self._maybe_die(text)
        return len(text.split())
