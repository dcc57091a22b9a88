"""``.prompty`` per the current Prompty spec: list-form ``inputs``/``outputs``
(Prompty 2) as well as the mapping form, ``model.parameters`` for sampling,
output types mapped to JSON Schema types, findings anchored at the key they
are about (not at ``name:``)."""

from __future__ import annotations

from conftest import lint

from promptlint.contracts import load_contracts

LIST_FORM = """---
name: Greeter
model:
  api: chat
  parameters:
    temperature: {temperature}
{seed}inputs:
  - name: firstName
    type: string
  - name: question
    type: string
outputs:
  - name: answer
    type: string
  - name: score
    type: int
sample:
  firstName: Jane
  question: What is the capital of France?
---
system:
You greet {{{{firstName}}}} and answer {{{{question}}}} about {{{{topic}}}}. Return JSON like {{"answer": "Paris", "score": 3}}.
"""


def _write(tmp_path, temperature="0.7", seed=""):  # noqa: ANN001, ANN202
    p = tmp_path / "greet.prompty"
    p.write_text(LIST_FORM.format(temperature=temperature, seed=seed))
    return p


def test_list_form_inputs_are_declarations(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    _write(tmp_path)
    undeclared = [f for f in lint("greet.prompty", extend_select=["PL305"]).findings if f.name == "undeclared-placeholder"]
    assert [f.message.split("`")[1] for f in undeclared] == ["topic"]  # firstName and question are declared


def test_list_form_outputs_and_types(tmp_path) -> None:  # noqa: ANN001
    (lc,) = load_contracts(str(_write(tmp_path)))
    assert lc.schema["properties"] == {"answer": {"type": "string"}, "score": {"type": "integer"}}
    assert lc.schema["required"] == ["answer", "score"]


def test_model_parameters_are_the_sampling(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    (lc,) = load_contracts(str(_write(tmp_path, "0.2", "    seed: 7\n")))  # seed under model.parameters
    assert (lc.contract.sampling.temperature, lc.contract.sampling.seed) == (0.2, 7)
    assert [f for f in lint("greet.prompty", extend_select=["PL305"]).findings if f.name == "unpinned-sampling"] == []  # seeded
    _write(tmp_path, "0", "")
    pinned = [f for f in lint("greet.prompty", extend_select=["PL305"]).findings if f.name == "unpinned-sampling"]
    assert pinned == []  # temperature 0 is pinned
    _write(tmp_path, "0.7", "")
    (finding,) = [f for f in lint("greet.prompty", extend_select=["PL305"]).findings if f.name == "unpinned-sampling"]
    assert "0.7" in finding.message and "0.8" not in finding.message
    assert finding.span.start.line == 6  # at model.parameters (its first setting), not at name: (line 2)


def test_prompty_2_kind_and_unset_temperature(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.prompty").write_text(
        "---\nname: structured\nmodel:\n  id: gpt-4\noutputs:\n  - name: degrees\n    kind: integer\n"
        "  - name: city\n    kind: string\n---\nsystem:\nReturn JSON like {\"degrees\": 20, \"city\": \"Oslo\"}.\n")
    (lc,) = load_contracts("s.prompty")
    assert lc.schema["properties"] == {"degrees": {"type": "integer"}, "city": {"type": "string"}}
    (finding,) = [f for f in lint("s.prompty", extend_select=["PL305"]).findings if f.name == "unpinned-sampling"]
    assert "unset (the provider's default)" in finding.message and "0.8" not in finding.message
