"""N samples of one prompt with llama.cpp's low-level API: the prompt is
evaluated once and the N sequences are decoded together, one batch per step.

:func:`sample_many` returns ``n`` :class:`~promptlint.backends.Generation`
objects (a list of length ``n``, in seed order). Three modes, for comparison:

``batched``
    One context with ``n_seq_max = n``. The prompt's tokens are decoded once on
    sequence 0 and its KV cache is shared with sequences ``1..n-1``
    (llama.h: ``llama_memory_seq_cp`` -- with a unified KV cache the copy adds
    the other sequence ids to the same cells, it does not duplicate them). Each
    step then decodes one batch that holds one token per still-running
    sequence (llama.h: ``llama_batch_init``, ``llama_decode``), and every
    sequence samples from its own output row with its own sampler chain and
    seed. The weights are read once per step for all N tokens, but every
    sequence still needs its own row of logits (vocabulary x embedding dot
    products), so on a CPU the gain grows with free cores
    (``benchmarks/variance_speed.py`` measures it).
``sequential``
    The same kind of context; the prompt is decoded once, then one sample at a
    time: each sample copies sequence 0 to sequence 1, decodes on sequence 1
    alone and removes it afterwards (llama.h: ``llama_memory_seq_rm``).
``naive``
    A fresh context per sample: the prompt is evaluated again every time.

The context is made with ``llama_context_default_params()`` and
``llama_init_from_model`` because the high-level ``Llama(...)`` constructor
drops ``n_seq_max`` and ``kv_unified`` (they vanish into its ``**kwargs``). ``kv_unified = True``
puts every sequence in one KV buffer (needed for ``llama_memory_seq_cp`` to
share the prompt's cells); ``swa_full = True`` keeps full-size caches for
Gemma 3's sliding-window layers so cells can be copied and removed at any
position (llama.h: ``llama_context_params.swa_full``). With a unified cache
``n_ctx`` counts the cells of all sequences together, so the context is sized
to ``prompt + n * max_tokens`` tokens; the ``n_ctx`` argument is the limit
for one sequence (prompt + ``max_tokens``), like ``LlamaBackend``.

Sampling (per sequence): top-k (40), top-p, temperature, then a random draw
seeded with that sequence's seed (llama.h: ``llama_sampler_init_top_k``,
``_top_p``, ``_temp``, ``_dist``); ``temperature <= 0`` means greedy. A seed of ``0xFFFFFFFF`` (or -1)
is llama.cpp's LLAMA_DEFAULT_SEED: a random seed (llama.h: ``llama_sampler_init_dist``). With a
JSON schema, a grammar sampler made from
``llama_cpp.llama_grammar.json_schema_to_gbnf`` (llama.h:
``llama_sampler_init_grammar(vocab, grammar_str, "root")``) constrains the
choice. Checking the grammar against all 262,144 tokens of the vocabulary is
the slow part of constrained sampling, so by default (``GRAMMAR_ORDER =
"topk_first"``) the grammar is applied only to the ``GRAMMAR_PREFILTER`` most
likely tokens; when none of them is allowed the step falls back to checking the
whole vocabulary, so the answer always follows the grammar (the same idea as
llama.cpp's common/sampling.cpp, which checks the sampled token and resamples
over the full vocabulary when it is rejected). ``GRAMMAR_ORDER =
"grammar_first"`` is llama-cpp-python's order (grammar over the whole
vocabulary, then top-k ...); it is many times slower per token with a large
vocabulary. Putting top-k before the grammar *inside* one native chain
(``llama_sampler_sample``) is not
safe: when no top-k candidate fits, llama.cpp throws "Unexpected empty
grammar stack after accepting piece" from ``llama_sampler_accept`` and the
process aborts (std::terminate) -- it happened on the first run.

Text: token pieces come from ``llama_token_to_piece`` (special tokens not
rendered); a sequence's bytes are joined and decoded once at the end, so a
UTF-8 character split over two tokens comes out whole. ``on_token(i, piece)``
is called with the sequence index and each decoded text piece as it is
sampled (an incremental UTF-8 decoder holds back incomplete characters).

Times: ``ttft_ms`` and ``ttlt_ms`` are milliseconds from the start of the call
to the moment that sequence's first / last token was sampled (in batched mode
every first token comes after the one shared prefill; in sequential and naive
modes later samples wait for the earlier ones). ``tokens_in`` is the prompt's
token count (with BOS), ``tokens_out`` the number of generated tokens, not
counting the end-of-generation token (llama.h: ``llama_vocab_is_eog``).

The model's weights are loaded once per process by
:func:`promptlint.backends.loader.load_model`; contexts, batches and samplers
are freed before returning.
"""

from __future__ import annotations

import codecs
import ctypes
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from .base import BackendError, Generation
from .loader import LoadedModel, llama, load_model

TOP_K = 40
GRAMMAR_ORDER = "topk_first"  # or "grammar_first"
GRAMMAR_PREFILTER = 256  # candidates the grammar checks first in "topk_first" order
MODES = ("batched", "sequential", "naive")



def _threads(n_threads: int | None) -> tuple[int, int]:
    """``(threads for one-token steps, threads for many-token steps)``.

    ``n_threads`` sets both. By default: half the cores (at least 1) for a
    step of one token and all cores for a prefill or a batched step, which is
    llama-cpp-python's default (``n_threads = cpu_count // 2``,
    ``n_threads_batch = cpu_count``; llama.cpp picks ``n_threads_batch`` for
    any decode of more than one token). ggml's threads wait for each other at
    every op, so when other work holds the cores more threads can be slower
    than fewer: pass ``n_threads=1`` then.
    """
    if n_threads:
        return n_threads, n_threads
    cores = os.cpu_count() or 2
    return max(1, cores // 2), cores


def _tokenize(m: LoadedModel, text: str) -> list[int]:
    """Prompt tokens with BOS, special tokens parsed (as ``LlamaBackend.count_tokens``)."""
    llama_cpp = llama()
    data = text.encode("utf-8")
    cap = len(data) + 16
    buf = (llama_cpp.llama_token * cap)()
    n = llama_cpp.llama_tokenize(m.vocab, data, len(data), buf, cap, True, True)
    if n < 0:  # buffer too small: -n is the count needed
        cap = -n
        buf = (llama_cpp.llama_token * cap)()
        n = llama_cpp.llama_tokenize(m.vocab, data, len(data), buf, cap, True, True)
    if n < 0:
        raise BackendError("cannot tokenize the prompt")
    return list(buf[:n])


def count_tokens(model_path: str, text: str, *, n_gpu_layers: int | None = None,
                 extra_buffer_types: bool | None = None) -> int:
    """Number of tokens ``text`` takes for the model at ``model_path`` (with BOS;
    the load settings as in :func:`promptlint.backends.loader.load_model`)."""
    return len(_tokenize(load_model(model_path, n_gpu_layers=n_gpu_layers, extra_buffer_types=extra_buffer_types),
                         text))


_LOOSE_CHAR = 'char ::= [^"\\\\] | '
_STRICT_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] | '


def strict_json_strings(grammar: str) -> str:
    """``grammar`` (GBNF from llama-cpp-python's ``json_schema_to_gbnf``) with its
    string-character rule narrowed to what JSON allows. That converter's
    ``char`` rule is ``[^"\\]``, which lets a raw newline or tab into a string
    and so produces answers ``json.loads`` rejects ("Invalid control
    character"); RFC 8259 section 7 requires U+0000-U+001F to be escaped.
    Other rules are left as they are."""
    return grammar.replace(_LOOSE_CHAR, _STRICT_CHAR)


def _piece(m: LoadedModel, token: int, buf) -> bytes:
    llama_cpp = llama()
    n = llama_cpp.llama_token_to_piece(m.vocab, token, buf, len(buf), 0, False)
    if n < 0:
        big = ctypes.create_string_buffer(-n)
        n = llama_cpp.llama_token_to_piece(m.vocab, token, big, -n, 0, False)
        return big.raw[:n]
    return buf.raw[:n]


class _Sampler:
    """One sequence's sampler: top-k / top-p / temperature / seeded draw, and
    optionally a grammar (see the module docstring for the two orders)."""

    def __init__(self, m: LoadedModel, seed: int, temperature: float, top_p: float, grammar: str | None,
                 order: str) -> None:
        llama_cpp = llama()
        self.m = m
        self.grammar = None
        self.chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        try:
            if grammar is not None:
                g = llama_cpp.llama_sampler_init_grammar(m.vocab, grammar.encode("utf-8"), b"root")
                if not g:
                    raise BackendError("llama.cpp cannot parse the grammar made from the JSON schema")
                if order == "grammar_first":  # the chain owns it
                    llama_cpp.llama_sampler_chain_add(self.chain, g)
                else:
                    self.grammar = g
                    self._init_arrays()
            add = lambda s: llama_cpp.llama_sampler_chain_add(self.chain, s)
            if temperature <= 0:
                add(llama_cpp.llama_sampler_init_greedy())
            else:
                add(llama_cpp.llama_sampler_init_top_k(TOP_K))
                add(llama_cpp.llama_sampler_init_top_p(top_p, 1))
                add(llama_cpp.llama_sampler_init_temp(temperature))
                add(llama_cpp.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        except BaseException:
            self.free()
            raise

    def _init_arrays(self) -> None:
        import numpy as np

        llama_cpp = llama()
        if self.m.ids is None:
            self.m.ids = np.arange(self.m.n_vocab, dtype=np.int32)
        dtype = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
        assert dtype.itemsize == ctypes.sizeof(llama_cpp.llama_token_data)
        self.full = np.zeros(self.m.n_vocab, dtype=dtype)
        self.full["id"] = self.m.ids
        self.small = np.zeros(max(GRAMMAR_PREFILTER, 1), dtype=dtype)
        self.cur = llama_cpp.llama_token_data_array()
        self.cur_p = ctypes.byref(self.cur)

    def _point(self, arr, size: int) -> None:
        llama_cpp = llama()
        self.cur.data = ctypes.cast(arr.ctypes.data, ctypes.POINTER(llama_cpp.llama_token_data))
        self.cur.size = size
        self.cur.selected = -1
        self.cur.sorted = False

    def sample(self, ctx, idx: int) -> int:
        """Sample (and accept) the next token from output row ``idx`` of the last decode."""
        llama_cpp = llama()
        if self.grammar is None:
            return llama_cpp.llama_sampler_sample(self.chain, ctx, idx)
        import numpy as np

        ptr = llama_cpp.llama_get_logits_ith(ctx, idx)
        logits = np.ctypeslib.as_array(ptr, shape=(self.m.n_vocab,))
        k = min(GRAMMAR_PREFILTER, self.m.n_vocab)
        top = np.argpartition(logits, -k)[-k:]
        self.small["id"][:k] = top
        self.small["logit"][:k] = logits[top]
        self._point(self.small, k)
        llama_cpp.llama_sampler_apply(self.grammar, self.cur_p)
        if not np.isfinite(self.small["logit"][: self.cur.size]).any():
            # none of the likely tokens fits the grammar: check the whole vocabulary
            self.full["logit"] = logits
            self._point(self.full, self.m.n_vocab)
            llama_cpp.llama_sampler_apply(self.grammar, self.cur_p)
        llama_cpp.llama_sampler_apply(self.chain, self.cur_p)
        if self.cur.selected < 0 or self.cur.selected >= self.cur.size:
            raise BackendError("sampling under the grammar selected no token")
        token = int(self.cur.data[self.cur.selected].id)
        llama_cpp.llama_sampler_accept(self.grammar, token)
        llama_cpp.llama_sampler_accept(self.chain, token)
        return token

    def free(self) -> None:
        llama_cpp = llama()
        if self.chain:
            llama_cpp.llama_sampler_free(self.chain)
            self.chain = None
        if self.grammar:
            llama_cpp.llama_sampler_free(self.grammar)
            self.grammar = None


class _Seq:
    """Generation state of one sequence."""

    def __init__(self, index: int, sampler: _Sampler, on_token) -> None:
        self.index = index
        self.sampler = sampler
        self.data = bytearray()
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None
        self.finish: str | None = None
        self.token = -1
        self.on_token = on_token
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace") if on_token else None

    def step(self, m: LoadedModel, ctx, idx: int, max_tokens: int, buf) -> bool:
        """Sample one token; returns True while the sequence continues."""
        llama_cpp = llama()
        token = self.sampler.sample(ctx, idx)
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        self.last = now
        if llama_cpp.llama_vocab_is_eog(m.vocab, token):
            self.finish = "stop"
            return False
        self.count += 1
        piece = _piece(m, token, buf)
        self.data += piece
        if self.decoder is not None:
            text = self.decoder.decode(piece)
            if text:
                self.on_token(self.index, text)
        self.token = token
        if self.count >= max_tokens:
            self.finish = "length"
            return False
        return True

    def result(self, started: float, tokens_in: int, model_name: str) -> Generation:
        end = self.last if self.last is not None else time.perf_counter()
        first = self.first if self.first is not None else end
        return Generation(self.data.decode("utf-8", "replace"), tokens_in, self.count, self.finish or "length",
                          (first - started) * 1000, (end - started) * 1000, model_name)


def _new_context(m: LoadedModel, n_ctx: int, n_batch: int, n_seq: int, threads: tuple[int, int]):
    llama_cpp = llama()
    params = llama_cpp.llama_context_default_params()
    params.n_ctx = n_ctx
    params.n_batch = n_batch
    params.n_ubatch = min(n_batch, 512)
    params.n_seq_max = n_seq
    params.kv_unified = True
    params.swa_full = True
    params.n_threads, params.n_threads_batch = threads
    params.no_perf = True
    ctx = llama_cpp.llama_init_from_model(m.model, params)
    if not ctx:
        raise BackendError(f"llama.cpp cannot create a context (n_ctx={n_ctx}, n_seq_max={n_seq})")
    return ctx


def _decode(ctx, batch) -> None:
    rc = llama().llama_decode(ctx, batch)
    if rc != 0:
        raise BackendError(f"llama_decode failed (code {rc})")


def _fill(batch, rows: list[tuple[int, int, int, bool]]) -> None:
    """Put ``(token, pos, seq_id, wants_logits)`` rows into ``batch``."""
    for i, (token, pos, seq, logits) in enumerate(rows):
        batch.token[i] = token
        batch.pos[i] = pos
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = 1 if logits else 0
    batch.n_tokens = len(rows)


def _prefill(ctx, batch, tokens: list[int], seq: int) -> int:
    """Decode the prompt on ``seq`` (logits for the last token only); returns
    the batch row that holds the last token's logits."""
    _fill(batch, [(t, p, seq, p == len(tokens) - 1) for p, t in enumerate(tokens)])
    _decode(ctx, batch)
    return len(tokens) - 1


def _round_up(x: int, to: int = 256) -> int:
    return (x + to - 1) // to * to


def sample_many(model_path: str, prompt: str, n: int, *, max_tokens: int = 256, temperature: float = 0.8,
                top_p: float = 0.95, seeds: list[int] | None = None, schema: dict | None = None,
                n_ctx: int = 4096, n_threads: int | None = None, mode: str = "batched",
                on_token: Callable[[int, str], None] | None = None, n_gpu_layers: int | None = None,
                extra_buffer_types: bool | None = None) -> list[Generation]:
    """Sample ``n`` completions of ``prompt`` (see the module docstring).

    ``model_path``: a GGUF file (``str`` or ``Path``). ``max_tokens``: the most
    tokens each sequence generates. ``temperature``/``top_p``: sampling
    (``temperature <= 0``: greedy). ``seeds``: one per sequence (default
    ``[0, 1, ..., n-1]``). ``schema``: a JSON Schema every answer is
    constrained to. ``n_ctx``: the most tokens one sequence (prompt +
    ``max_tokens``) may take. ``n_threads``: CPU threads for every step (default: see
    :func:`_threads`: half the cores for one-token steps, all for the others).
    ``mode``: ``batched``, ``sequential`` or ``naive``. ``on_token(i, text)``:
    called with sequence ``i``'s text as it is sampled. ``n_gpu_layers`` and
    ``extra_buffer_types``: how the weights are loaded
    (:func:`promptlint.backends.loader.load_model`).

    Returns a list of ``n`` :class:`Generation` in seed order (times in ms
    from the start of this call, counts in tokens). Raises
    :class:`BackendError` (one line) when the prompt plus ``max_tokens`` does
    not fit in ``n_ctx`` or llama.cpp fails, :class:`ValueError` for bad
    arguments (``n < 1``, ``max_tokens < 1``, ``len(seeds) != n``, unknown mode).
    """
    started = time.perf_counter()
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (choose {', '.join(MODES)})")
    if n < 1 or max_tokens < 1:
        raise ValueError("n and max_tokens must be at least 1")
    seeds = list(seeds) if seeds is not None else list(range(n))
    if len(seeds) != n:
        raise ValueError(f"got {len(seeds)} seeds for n={n}")
    llama_cpp = llama()
    threads = _threads(n_threads)
    path = str(model_path)
    m = load_model(path, n_gpu_layers=n_gpu_layers, extra_buffer_types=extra_buffer_types)
    tokens = _tokenize(m, prompt)
    tokens_in = len(tokens)
    if tokens_in + max_tokens > n_ctx:
        raise BackendError(f"prompt is {tokens_in} tokens; with max_tokens={max_tokens} it does not fit in "
                           f"the model context (n_ctx={n_ctx}); raise n_ctx or shorten the prompt")
    grammar = None
    if schema is not None:
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        try:
            grammar = strict_json_strings(json_schema_to_gbnf(json.dumps(schema)))
        except Exception as exc:  # noqa: BLE001 - the converter raises several kinds
            raise BackendError(f"cannot turn the JSON schema into a grammar: {exc}") from None
    name = Path(path).name
    buf = ctypes.create_string_buffer(64)
    seqs: list[_Seq] = []
    ctx = None
    batch = None
    try:
        for i in range(n):
            seqs.append(_Seq(i, _Sampler(m, seeds[i], temperature, top_p, grammar, GRAMMAR_ORDER), on_token))
        if mode == "batched":
            n_batch = max(tokens_in, n)
            ctx = _new_context(m, _round_up(tokens_in + n * max_tokens + 1), n_batch, n, threads)
            batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
            mem = llama_cpp.llama_get_memory(ctx)
            last = _prefill(ctx, batch, tokens, 0)
            for s in range(1, n):
                llama_cpp.llama_memory_seq_cp(mem, 0, s, -1, -1)
            running = [s for s in seqs if s.step(m, ctx, last, max_tokens, buf)]
            pos = tokens_in
            while running:
                _fill(batch, [(s.token, pos, s.index, True) for s in running])
                _decode(ctx, batch)
                still = []
                for row, s in enumerate(running):
                    if s.step(m, ctx, row, max_tokens, buf):
                        still.append(s)
                    else:
                        llama_cpp.llama_memory_seq_rm(mem, s.index, -1, -1)
                running = still
                pos += 1
        elif mode == "sequential":
            ctx = _new_context(m, _round_up(tokens_in + max_tokens + 1), tokens_in, 2, threads)
            batch = llama_cpp.llama_batch_init(tokens_in, 0, 1)
            mem = llama_cpp.llama_get_memory(ctx)
            last = _prefill(ctx, batch, tokens, 0)
            for s in seqs:
                if s.index > 0:  # the prompt's logits were overwritten: decode its last token again
                    llama_cpp.llama_memory_seq_cp(mem, 0, 1, 0, tokens_in - 1)
                    _fill(batch, [(tokens[-1], tokens_in - 1, 1, True)])
                    _decode(ctx, batch)
                    last = 0
                else:
                    llama_cpp.llama_memory_seq_cp(mem, 0, 1, -1, -1)
                _generate_alone(m, ctx, batch, s, 1, last, tokens_in, max_tokens, buf)
                llama_cpp.llama_memory_seq_rm(mem, 1, -1, -1)
        else:  # naive
            for s in seqs:
                ctx = _new_context(m, _round_up(tokens_in + max_tokens + 1), tokens_in, 1, threads)
                batch = llama_cpp.llama_batch_init(tokens_in, 0, 1)
                last = _prefill(ctx, batch, tokens, 0)
                _generate_alone(m, ctx, batch, s, 0, last, tokens_in, max_tokens, buf)
                llama_cpp.llama_batch_free(batch)
                batch = None
                llama_cpp.llama_free(ctx)
                ctx = None
        return [s.result(started, tokens_in, name) for s in seqs]
    finally:
        if batch is not None:
            llama_cpp.llama_batch_free(batch)
        if ctx is not None:
            llama_cpp.llama_free(ctx)
        for s in seqs:
            s.sampler.free()


def _generate_alone(m: LoadedModel, ctx, batch, s: _Seq, seq_id: int, idx: int, pos: int, max_tokens: int,
                    buf) -> None:
    """Generate sequence ``s`` by itself on ``seq_id``, starting from output row ``idx``."""
    while s.step(m, ctx, idx, max_tokens, buf):
        _fill(batch, [(s.token, pos, seq_id, True)])
        _decode(ctx, batch)
        idx = 0
        pos += 1
