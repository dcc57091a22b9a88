"""Calibration: a well-structured prompt never gets more contract findings than a sloppy one-liner asking for the
same thing, whatever the selection (the default, the opt-in judging labelled prompts, the opt-in judging all)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import lint

pytestmark = pytest.mark.default_rules

TASKS = st.sampled_from([
    ("summarize", "the support ticket {ticket}"), ("classify", "the review {review}"),
    ("translate", "the paragraph {text} into French"), ("extract", "the dates from the email {email}"),
    ("answer", "the question {question} from the passages {passages}"), ("rewrite", "the release notes {notes}"),
])
FORMATS = st.sampled_from(["one sentence", "three bullet points", 'a JSON object {"label": string}',
                           "a numbered list of at most five items"])
SELECTIONS = [
    {},
    {"extend_select": ["PL00"]},
    {"extend_select": ["PL00"], "structure_rules": "all"},
]


def _contract_findings(text: str, selection: dict) -> int:
    result = lint("p.prompt", text, defaults=True, **selection)
    judged = {r.code for r in result_rules(selection) if r.judges_contract}
    return sum(1 for f in result.findings if f.code in judged)


def result_rules(selection: dict):  # noqa: ANN201
    from promptlint.config import load_settings

    return load_settings(None, **selection).rules


@settings(max_examples=25, deadline=None)
@given(task=TASKS, fmt=FORMATS, sel=st.sampled_from(SELECTIONS))
def test_structure_never_costs_findings(task: tuple[str, str], fmt: str, sel: dict) -> None:
    verb, what = task
    sloppy = f"{verb} {what} in {fmt}.\n"
    structured = (
        f"Context: you work for the support team; the input is {what.split(' ', 1)[1]}.\n\n"
        "Constraints: never invent facts; use only the input.\n\n"
        f"Task: {verb} {what}.\n\n"
        f"Output format: {fmt}.\n\n"
        "Stop condition: if the input is empty or unclear, reply \"I don't know\" and stop.\n\n"
        "Verification: before answering, check that every statement is supported by the input.\n"
    )
    assert _contract_findings(structured, sel) <= _contract_findings(sloppy, sel), (structured, sloppy, sel)
    assert _contract_findings(structured, sel) == 0
