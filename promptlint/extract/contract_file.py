"""Contract files (``*.contract.yaml``, ``*.contracts.yaml``) as lint targets.

Linting a contract file checks the contract against the prompt it names (the
contract rules only); the prompt itself is linted where it lives.
"""

from __future__ import annotations

import copy
from typing import Callable

from ..model import LineIndex
from .base import Extraction, ParseProblem


def extract_contract(path: str, text: str, index: LineIndex, settings,  # noqa: ANN001
                     extract_file: Callable[[str, str, str, object], Extraction]) -> Extraction:
    """The prompts the contracts in ``path`` name, each with its contract attached.

    ``extract_file(path, text, kind, settings)`` extracts a prompt file (the
    package's dispatcher, passed in so this module never imports the package
    that imports it); each prompt file is read and extracted once, however
    many contracts name it. A contract that does not load is one
    :class:`ParseProblem` at its position.
    """
    from ..contracts import load_contracts
    from ..errors import UsageError
    from ..source import read_source
    from .base import kind_for_path

    result = Extraction(comment_style="hash", only_checks=("contract", "token-budget"))
    try:
        contracts = load_contracts(path, text)
    except UsageError as exc:
        off = 0
        if exc.line:
            off = index.line_starts[min(exc.line, len(index.line_starts)) - 1] + max(0, (exc.column or 1) - 1)
        result.problems.append(ParseProblem(off, exc.message))
        return result
    files: dict[str, tuple[list | None, str | None]] = {}
    for lc in contracts:
        if lc.prompt_path not in files:
            prompt_text, problem = read_source(lc.prompt_path)
            files[lc.prompt_path] = (None, problem) if prompt_text is None else (
                extract_file(lc.prompt_path, prompt_text, kind_for_path(lc.prompt_path), settings).prompts, None)
        found, problem = files[lc.prompt_path]
        if found is None:
            result.problems.append(ParseProblem(0, f"contract for {lc.prompt_id}: {problem}"))
            continue
        name = lc.prompt_id.split("::", 1)[1] if "::" in lc.prompt_id else None
        prompt = next((p for p in found if (name is None and p.name is None) or p.name == name), None)
        if prompt is None:
            line, col = lc.position("prompt")
            off = index.line_starts[line - 1] + col - 1
            result.problems.append(ParseProblem(off, f"no prompt {lc.prompt_id!r} in {lc.prompt_path}"))
            continue
        prompt = copy.copy(prompt)  # two contracts may name prompts of one file: each gets its own
        prompt.contract = lc
        result.prompts.append(prompt)
    return result
