"""Contract files (``*.contract.yaml``, ``*.contracts.yaml``) as lint targets.

Linting a contract file checks the contract against the prompt it names (the
contract rules only); the prompt itself is linted where it lives.
"""

from __future__ import annotations

from ..model import LineIndex
from . import Extraction, ParseProblem


def extract_contract(path: str, text: str, index: LineIndex, settings) -> Extraction:  # noqa: ANN001
    """The prompts the contracts in ``path`` name, each with its contract attached.

    A contract that does not load is one :class:`ParseProblem` at its position.
    """
    from ..contracts import load_contracts
    from ..source import read_source
    from ..errors import UsageError
    from . import extract, kind_for_path

    result = Extraction(comment_style="hash", only_checks=("contract",))
    try:
        contracts = load_contracts(path, text)
    except UsageError as exc:
        off = 0
        if exc.line:
            off = index.line_starts[min(exc.line, len(index.line_starts)) - 1] + max(0, (exc.column or 1) - 1)
        result.problems.append(ParseProblem(off, exc.message))
        return result
    for lc in contracts:
        prompt_text, problem = read_source(lc.prompt_path)
        if prompt_text is None:
            result.problems.append(ParseProblem(0, f"contract for {lc.prompt_id}: {problem}"))
            continue
        found = extract(lc.prompt_path, prompt_text, kind_for_path(lc.prompt_path), settings).prompts
        name = lc.prompt_id.split("::", 1)[1] if "::" in lc.prompt_id else None
        prompt = next((p for p in found if (name is None and p.name is None) or p.name == name), None)
        if prompt is None:
            line, col = lc.position("prompt")
            off = index.line_starts[line - 1] + col - 1
            result.problems.append(ParseProblem(off, f"no prompt {lc.prompt_id!r} in {lc.prompt_path}"))
            continue
        prompt.contract = lc
        result.prompts.append(prompt)
    return result
