"""Rewrite logic with a scripted backend: every invariant rejects a bad answer and
the next attempt is asked with the failure named; the fallback is deterministic."""

from __future__ import annotations

import json

import libcst

from conftest import CASES
from promptlint.backends import Generation
from promptlint.config import load_settings
from promptlint.rewrite import facts, new_facts, rewrite_prompt, select_prompts
from promptlint.writeback import python_literal

GOOD = {
    "context": "You are a friendly reference librarian at a public library. Catalogue extract: {catalogue}",
    "constraints": ["Only recommend books that appear in the catalogue extract.", "Never make up titles or authors."],
    "task": "Suggest something to read for the patron's request: {request}",
    "output_contract": "Up to five titles as a bulleted list with the author and shelf code of each.",
    "stop_condition": "If nothing in the catalogue fits, say so and ask the patron which genre they enjoy.",
    "verification": "",
    "changes": ["Split the run-on paragraph into labelled parts."],
}


class ScriptedBackend:
    """Returns the scripted answers in order and records the prompts it was given."""

    name = "scripted"
    model_id = "scripted"

    def __init__(self, answers: list[str], finish: list[str] | None = None) -> None:
        self.answers = answers
        self.finish = finish or ["stop"] * len(answers)
        self.prompts: list[str] = []

    def generate(self, prompt, *, max_tokens=512, temperature=0.2, seed=None, schema=None, on_token=None):  # noqa: ANN001, ANN201
        i = len(self.prompts)
        self.prompts.append(prompt)
        return Generation(self.answers[i], 10, 20, self.finish[i], 1.0, 2.0, "scripted")


def _run(backend, attempts: int = 4):  # noqa: ANN001, ANN202
    path = "library_run_on.txt"
    text = (CASES / path).read_text()
    settings = load_settings(None)
    (prompt,) = select_prompts(path, text, "text", settings, None)
    return rewrite_prompt(prompt, path, text, "text", settings, backend, max_attempts=attempts)


def test_each_bad_answer_is_rejected_then_a_good_one_accepted() -> None:
    added_number = dict(GOOD, constraints=[*GOOD["constraints"], "Answer within 30 seconds."])
    dropped = dict(GOOD, task="Suggest something to read for the patron's request.")
    backend = ScriptedBackend([json.dumps(added_number), json.dumps(dropped), '{"context": "unterminated',
                               json.dumps(GOOD)])
    result = _run(backend)
    assert result.attempts[0].failures == ["adds a fact the original lacks: number '30'"]
    assert result.attempts[1].failures == ["drops placeholder 'request'"]
    assert len(result.attempts[2].failures) == 1 and result.attempts[2].failures[0].startswith("is not valid JSON")
    assert "number '30'" in backend.prompts[1]
    assert "drops placeholder 'request'" in backend.prompts[2]
    assert result.source == "model" and len(result.attempts) == 4 and result.attempts[3].failures == []
    assert "{catalogue}" in result.new_text and "{request}" in result.new_text
    assert "Verification: TODO:" in result.new_text
    assert result.changes == ["Split the run-on paragraph into labelled parts."]


def test_added_placeholder_and_truncation_are_rejected_then_fallback() -> None:
    added = dict(GOOD, context=GOOD["context"] + " Branch: {branch}")
    backend = ScriptedBackend([json.dumps(added), json.dumps(GOOD)[:40]], ["stop", "length"])
    result = _run(backend, attempts=2)
    assert result.attempts[0].failures == ["adds placeholder 'branch'"]
    assert result.attempts[1].failures == ["was cut off at the token limit (truncated JSON)"]
    assert result.source == "fallback"
    assert any("failed the checks 2 time(s)" in c for c in result.changes)
    assert ("Constraints:\n- You must only recommend books that appear in the catalogue extract below.\n"
            "- Never make up titles or authors.") in result.new_text


def test_python_rewrite_keeps_quotes_and_only_that_literal(tmp_path) -> None:  # noqa: ANN001
    path = "parsing_templates.py"
    text = (CASES / path).read_text()
    settings = load_settings(None)
    (prompt,) = select_prompts(path, text, "python", settings, "CONTACT_CARD_TMPL")
    result = rewrite_prompt(prompt, path, text, "python", settings, None)
    libcst.parse_module(result.file_after)
    assert result.source == "fallback"
    before, after = text.split("CONTACT_CARD_TMPL = ")[0], result.file_after.split("CONTACT_CARD_TMPL = ")[0]
    assert before == after
    assert result.file_after.endswith(text[text.index("CONTACT_CARD_SAFE_TMPL"):])
    # In the rewritten literal (not the untouched safe copy below it), the JSON
    # example's braces are escaped for str.format and the placeholder survives.
    rewritten = result.file_after[len(after):result.file_after.index("CONTACT_CARD_SAFE_TMPL")]
    assert '{{"name": "Dana Reyes", "phone": "+1 555 0100", "company": "Northwind"}}' in rewritten
    assert "{signature}" in rewritten


def test_facts() -> None:
    f = facts('Call Ada at https://x.org/a about "plan B" by 5 pm. Then stop.')
    assert f["number"] == {"5"} and f["url"] == {"https://x.org/a"} and f["quoted"] == {"plan B"}
    assert "Ada" in f["name"] and "Then" not in f["name"] and "Call" not in f["name"]
    assert new_facts("Answer in 3 lines.", "Task: answer in 3 lines for Bob.") == ["name 'Bob'"]


def test_python_literal_quotes() -> None:
    assert python_literal('say "hi"', "'x'", False) == "'''say \"hi\"'''"
    assert python_literal('ends with "', '"x"', False) == '"""ends with \\""""'
    assert python_literal("a\\b {x}", 'f"x"', True) == 'f"""a\\\\b {x}"""'


def test_a_rewrite_that_drops_the_original_is_rejected() -> None:
    stub = {"context": "a", "constraints": [], "task": "a", "output_contract": "a", "stop_condition": "",
            "verification": "", "changes": []}
    result = _run(ScriptedBackend([json.dumps(stub)]), attempts=1)
    fails = result.attempts[0].failures
    assert any(f.startswith("gives the task as a stub") for f in fails)
    assert result.source == "fallback"
    thin = dict(GOOD, constraints=[], stop_condition="", output_contract="A bulleted list of titles.",
                context="Catalogue extract: {catalogue}")
    result = _run(ScriptedBackend([json.dumps(thin)]), attempts=1)
    assert any("of the original's wording" in f for f in result.attempts[0].failures)
