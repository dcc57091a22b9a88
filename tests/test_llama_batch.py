"""``sample_many`` (promptlint.backends.llama_batch) with the real default GGUF model.

The model is small and weak; these tests check shapes, limits, seeds and the
grammar, never the quality of the text. Token limits are small so the file
runs in well under a minute on two CPU cores. Batched and sequential outputs
are not compared token for token: llama.cpp may compute a batch of several
sequences with different rounding than one sequence alone.
"""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("llama_cpp", reason="the llama extra is part of the dev install")
jsonschema = pytest.importorskip("jsonschema")

from promptlint.backends import BackendError
from promptlint.backends.llama_batch import count_tokens, sample_many

PROMPT = "Write a short list of three fruits and their colours:\n"
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "score": {"type": "integer"}},
    "required": ["name", "score"],
}


@pytest.fixture(scope="module")
def model_path() -> str:
    from promptlint.backends.llama import default_model_path

    try:
        return str(default_model_path())
    except BackendError as exc:
        pytest.skip(str(exc))


def _check_shape(gens, n: int, max_tokens: int, model_path: str) -> None:
    assert len(gens) == n
    tokens_in = count_tokens(model_path, PROMPT)
    for g in gens:
        assert g.finish_reason in ("stop", "length")
        assert 0 <= g.tokens_out <= max_tokens
        if g.finish_reason == "length":
            assert g.tokens_out == max_tokens
        assert g.tokens_in == tokens_in
        assert 0 <= g.ttft_ms <= g.ttlt_ms
        assert g.model == model_path.rsplit("/", 1)[-1]


def test_batched_distinct_seeds(model_path: str) -> None:
    pieces: dict[int, list[str]] = {0: [], 1: [], 2: []}
    gens = sample_many(model_path, PROMPT, 3, max_tokens=12, temperature=0.8, seeds=[0, 1, 2],
                       on_token=lambda i, text: pieces[i].append(text))
    _check_shape(gens, 3, 12, model_path)
    assert any(g.tokens_out > 0 and g.text for g in gens)
    assert len({g.text for g in gens}) >= 2, "three seeds gave one answer"
    for i, g in enumerate(gens):
        streamed = "".join(pieces[i])
        assert g.text.startswith(streamed)
        if "\ufffd" not in g.text:
            assert streamed == g.text
    # one shared prefill: every first token comes after it, close together
    firsts = [g.ttft_ms for g in gens]
    assert max(firsts) - min(firsts) < min(g.ttlt_ms for g in gens)


def test_batched_schema_outputs_parse(model_path: str) -> None:
    prompt = "Give a JSON object with a fruit name and a score from 1 to 10.\n"
    gens = sample_many(model_path, prompt, 3, max_tokens=40, temperature=0.8, seeds=[1, 2, 3], schema=SCHEMA)
    assert len(gens) == 3
    finished = [g for g in gens if g.finish_reason == "stop"]
    assert finished, [g.text for g in gens]
    for g in finished:
        jsonschema.validate(json.loads(g.text), SCHEMA)
    for g in gens:
        assert g.tokens_out <= 40
        assert g.text.lstrip().startswith("{")


@pytest.mark.parametrize("mode", ["sequential", "naive"])
def test_other_modes(model_path: str, mode: str) -> None:
    gens = sample_many(model_path, PROMPT, 2, max_tokens=8, seeds=[5, 6], mode=mode)
    _check_shape(gens, 2, 8, model_path)
    # one sample after the other: the second starts after the first ended
    assert gens[1].ttft_ms >= gens[0].ttlt_ms


def test_greedy_is_repeatable(model_path: str) -> None:
    a = sample_many(model_path, PROMPT, 2, max_tokens=8, temperature=0.0)
    b = sample_many(model_path, PROMPT, 2, max_tokens=8, temperature=0.0)
    assert [g.text for g in a] == [g.text for g in b]
    assert a[0].text == a[1].text  # greedy ignores the seed


def test_too_long_prompt(model_path: str) -> None:
    prompt = "word " * 200
    with pytest.raises(BackendError) as info:
        sample_many(model_path, prompt, 2, max_tokens=16, n_ctx=128)
    message = str(info.value)
    assert "\n" not in message and "n_ctx=128" in message


def test_bad_arguments(model_path: str) -> None:
    with pytest.raises(ValueError):
        sample_many(model_path, PROMPT, 2, seeds=[1])
    with pytest.raises(ValueError):
        sample_many(model_path, PROMPT, 2, mode="parallel")
    with pytest.raises(BackendError):
        sample_many(model_path + ".missing", PROMPT, 1)


def test_schema_strings_never_hold_raw_control_characters(model_path: str) -> None:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    from promptlint.backends.llama_batch import strict_json_strings

    schema = {"type": "object", "properties": {"poem": {"type": "string"}}, "required": ["poem"]}
    grammar = strict_json_strings(json_schema_to_gbnf(json.dumps(schema)))
    assert '\\x00-\\x1F' in grammar  # the converter's looser rule was replaced
    prompt = "Write a JSON object whose poem field holds a four-line poem, one line per line:\n"
    gens = sample_many(model_path, prompt, 3, max_tokens=60, temperature=1.0, seeds=[4, 5, 6], schema=schema)
    for g in gens:
        assert not any(ord(c) < 0x20 and c not in " \n\r\t" for c in g.text)
        m = re.search(r'"poem"\s*:\s*"(.*)', g.text, re.S)
        value = m.group(1) if m else ""  # the string value, up to the end (closing quote and brace included)
        assert "\n" not in value.rstrip().rstrip("}").rstrip(), repr(g.text)
        if g.finish_reason == "stop":
            json.loads(g.text)
