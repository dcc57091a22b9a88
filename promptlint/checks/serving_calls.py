"""Check kind ``serving-call``: what an LLM call site decides about cost and waiting.

Unlike the other kinds it runs once per Python file, on the calls and client
constructions the extractor records (:class:`promptlint.extract.base.CallFact`),
whether or not promptlint could follow the prompt they send. ``options.check``:

* ``max-tokens``: a request (``chat.completions.create``, ``responses.create``,
  ``messages.create``, ``litellm.completion`` …) or a chat model
  (``ChatOpenAI(...)``) with no output-token cap; not a streamed request
  (``stream=True``: whoever reads the stream sees each token as it comes and
  can stop reading) nor a request of a reward model's class (it asks for
  scores, not open text);
* ``timeout``: a client (``OpenAI()``, ``Anthropic()``, ``ChatOpenAI()`` …)
  built with no timeout, in a module where no request passes one either; the
  message names the library's default
  (:data:`promptlint.extract.callsites.CLIENT_TIMEOUTS`). A module that sends
  no chat request and uses its clients for files, batches, embeddings, images,
  audio or token counts is left alone.

The engine does not run this kind in sample folders or in maintainer tooling
(:func:`promptlint.engine.is_tooling`).

A call or constructor that takes ``**kwargs`` may get the value from them and is
not reported.
"""

from __future__ import annotations

import re

from ..extract.callsites import CAPPED_MODELS, CLIENT_TIMEOUTS, MAX_TOKEN_KEYWORDS, TIMEOUT_KEYWORDS
from ..model import Span

#: Requests of an SDK client that are not chat or text generation (file uploads, batch jobs, embeddings,
#: images, audio, fine-tuning, token counting).
_NOT_CHAT = re.compile(r"\.(?:files|batches|uploads|embeddings|images|audio|fine_tuning|vector_stores)\.\w|"
                       r"\.count_tokens\(")


def findings(rule, facts: list, index) -> list[tuple[Span, dict]]:  # noqa: ANN001
    """``(span, message fields)`` of each finding rule ``rule`` makes on ``facts``
    (the file's :class:`~promptlint.extract.base.CallFact` list; ``index`` its
    :class:`~promptlint.model.LineIndex`)."""
    which = (rule.options or {}).get("check")
    out: list[tuple[Span, dict]] = []
    if which == "max-tokens":
        for f in facts:
            last = f.name.rsplit(".", 1)[-1]
            if f.splat or f.keywords & MAX_TOKEN_KEYWORDS or f.streamed or f.scorer:
                continue
            if f.kind == "call" or last in CAPPED_MODELS:
                out.append((Span(index.position(f.start), index.position(f.end)), {"call": f.name}))
    elif which == "timeout":
        if any(f.kind == "call" and f.keywords & TIMEOUT_KEYWORDS for f in facts):
            return out  # the requests set their own timeout
        if "with_options" in index.text and "timeout" in index.text:
            return out  # ``client.with_options(timeout=…)``
        if not any(f.kind == "call" for f in facts) and _NOT_CHAT.search(index.text):
            return out  # the module's clients upload files, run batches, embed or draw: long waits are the norm
        for f in facts:
            last = f.name.rsplit(".", 1)[-1]
            if f.kind != "client" or f.splat or f.keywords & TIMEOUT_KEYWORDS:
                continue
            library, seconds = CLIENT_TIMEOUTS[last]
            out.append((Span(index.position(f.start), index.position(f.end)),
                        {"client": f.name, "library": library, "seconds": str(seconds),
                         "minutes": str(seconds // 60)}))
    return out
