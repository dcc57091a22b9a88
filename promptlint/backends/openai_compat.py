"""The ``openai`` backend: any OpenAI-compatible chat-completions server (OpenAI,
vLLM, llama-server, ``python -m llama_cpp.server``, Ollama) through the ``openai``
package.

The key comes from ``OPENAI_API_KEY`` (servers that need none get a placeholder).
Constrained output asks for OpenAI structured outputs (``response_format`` type
``json_schema``); a server that rejects that is asked again with the
``json_object`` + ``schema`` form that llama-cpp-python's server accepts, and
then with no constraint (promptlint validates the answer either way).

Waits are bounded twice: ``timeout`` (seconds, default 60) is how long one
request may wait for the server -- to connect, and between streamed chunks
(the ``openai`` client's own default is 600 s, far longer than a user waits);
``deadline`` (seconds, default 600) bounds the whole run of one backend
object, so a server that keeps answering slowly cannot hold a run forever.
Either one passed is a :class:`BackendError` naming it. Requests are not
retried (``max_retries=0``): a retry would hide the wait it adds.
"""

from __future__ import annotations

import os
import time
from typing import Callable

from .base import BackendError, Generation


class OpenAIBackend:
    """OpenAI-compatible backend. ``base_url`` defaults to ``$OPENAI_BASE_URL``
    (then the openai package's default); ``model`` defaults to the first model
    the server lists. Raises :class:`BackendError` when the ``openai`` extra is
    missing or the server cannot be reached."""

    name = "openai"
    sampling_mode = "sequential"

    def __init__(self, base_url: str | None = None, model: str | None = None, timeout: float = 60.0,
                 deadline: float = 600.0) -> None:
        try:
            import openai
        except ImportError:
            raise BackendError("the openai package is not installed: pip install 'prompt-contract-lint[openai]'") from None
        self._openai = openai
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        self.timeout, self.deadline = float(timeout), float(deadline)
        self._ends = time.monotonic() + self.deadline
        self.client = openai.OpenAI(base_url=self.base_url, api_key=os.environ.get("OPENAI_API_KEY") or "sk-no-key",
                                    timeout=timeout, max_retries=0)
        self._mode = "json_schema"
        self.model_id = model or self._first_model()

    def _wait(self) -> float:
        """Seconds the next request may wait: the timeout, cut to what is left of the deadline."""
        left = self._ends - time.monotonic()
        if left <= 0:
            raise BackendError(f"the run passed its deadline of {self.deadline:g} s for requests to "
                               f"{self.base_url or 'the server'} (model.deadline / --deadline)")
        return min(self.timeout, left)

    def _timed_out(self) -> BackendError:
        if self._ends - time.monotonic() <= 0:
            return BackendError(f"the run passed its deadline of {self.deadline:g} s for requests to "
                                f"{self.base_url or 'the server'} (model.deadline / --deadline)")
        return BackendError(f"the server at {self.base_url or 'the default URL'} did not answer within "
                            f"{self.timeout:g} s (model.timeout / --timeout)")

    def _first_model(self) -> str:
        try:
            models = self.client.models.list(timeout=self._wait())
        except self._openai.APITimeoutError:
            raise self._timed_out() from None
        except self._openai.APIConnectionError:
            raise BackendError(f"cannot reach the OpenAI-compatible server at {self.base_url or 'the default URL'}") from None
        except self._openai.APIError as exc:
            raise BackendError(f"server at {self.base_url} refused to list models: {_first_line(exc)}; pass --model") from None
        first = next(iter(models), None)
        if first is None:
            raise BackendError(f"server at {self.base_url} lists no models; pass --model")
        return first.id

    def _request(self, prompt: str, max_tokens: int, temperature: float, top_p: float | None, seed: int | None,
                 schema: dict | None):  # noqa: ANN202
        kwargs = dict(model=self.model_id, messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens,
                      temperature=temperature, stream=True, stream_options={"include_usage": True})
        if top_p is not None:
            kwargs["top_p"] = top_p
        if seed is not None:
            kwargs["seed"] = seed
        while True:
            if schema is not None and self._mode == "json_schema":
                kwargs["response_format"] = {"type": "json_schema",
                                             "json_schema": {"name": "answer", "schema": schema, "strict": True}}
            elif schema is not None and self._mode == "json_object":
                kwargs["response_format"] = {"type": "json_object", "schema": schema}
            else:
                kwargs.pop("response_format", None)
            try:
                return self.client.chat.completions.create(**kwargs, timeout=self._wait())
            except self._openai.APITimeoutError:
                raise self._timed_out() from None
            except self._openai.APIConnectionError:
                raise BackendError(f"cannot reach the OpenAI-compatible server at {self.base_url}") from None
            except self._openai.APIStatusError as exc:
                # Servers differ in how they refuse an unknown response_format (400, 422, even 500):
                # step down to the next form of constraint before giving up.
                if schema is not None and self._mode == "json_schema":
                    self._mode = "json_object"
                    continue
                if schema is not None and self._mode == "json_object":
                    self._mode = "none"
                    continue
                raise BackendError(f"server error {exc.status_code}: {_first_line(exc)}") from None
            except self._openai.APIError as exc:
                raise BackendError(f"server error: {_first_line(exc)}") from None

    def sample(self, prompt: str, seeds: list[int], *, max_tokens: int = 256, temperature: float = 0.8,
               top_p: float = 0.95) -> list[Generation]:
        """One request per seed, sent one after another (the server batches
        concurrent users; promptlint measures what one user sees). Every
        sampling setting is sent: ``temperature``, ``top_p``, ``max_tokens``, ``seed``."""
        return [self.generate(prompt, max_tokens=max_tokens, temperature=temperature, top_p=top_p, seed=s)
                for s in seeds]

    def generate(self, prompt: str, *, max_tokens: int = 512, temperature: float = 0.2, seed: int | None = None,
                 schema: dict | None = None, on_token: Callable[[str], None] | None = None,
                 top_p: float | None = None) -> Generation:
        """Stream one chat completion (see :class:`~promptlint.backends.Backend`);
        ``top_p`` is sent when given. Raises :class:`BackendError` when the
        server is unreachable, errs, or passes the timeout or the deadline."""
        started = time.perf_counter()
        stream = self._request(prompt, max_tokens, temperature, top_p, seed, schema)
        first = None
        pieces: list[str] = []
        finish = "stop"
        tokens_in: int | None = None
        tokens_out = 0
        chunks = 0
        try:
            for chunk in stream:
                if chunk.usage is not None:
                    tokens_in = chunk.usage.prompt_tokens
                    tokens_out = chunk.usage.completion_tokens or 0
                for choice in chunk.choices or []:
                    text = choice.delta.content if choice.delta else None
                    if text:
                        if first is None:
                            first = time.perf_counter()
                        chunks += 1
                        pieces.append(text)
                        if on_token:
                            on_token(text)
                    if choice.finish_reason:
                        finish = choice.finish_reason
                if time.monotonic() > self._ends:
                    stream.close()
                    raise self._timed_out()
        except self._openai.APITimeoutError:
            raise self._timed_out() from None
        except self._openai.APIError as exc:
            raise BackendError(f"server error while streaming: {_first_line(exc)}") from None
        except Exception as exc:
            # A read timeout while streaming comes from the HTTP library itself (httpx or httpx2), unwrapped.
            if "timeout" in type(exc).__name__.lower():
                raise self._timed_out() from None
            raise
        end = time.perf_counter()
        text = "".join(pieces)
        if not tokens_out:
            # Servers that report no usage stream one token per chunk.
            tokens_out = chunks
        return Generation(text, tokens_in, tokens_out, finish, ((first or end) - started) * 1000,
                          (end - started) * 1000, self.model_id)


def _first_line(exc: Exception) -> str:
    """The first line of an error's text (server errors can carry tracebacks)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
