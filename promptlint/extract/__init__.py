"""Extractors: one per source kind, each turning a file's text into prompts.

Every extractor returns an :class:`Extraction`: the prompts found (each with a
source map from prompt-text offsets to file offsets) and the parse errors met.
:func:`kind_for_path` picks the extractor for a path named on the command line;
:mod:`promptlint.discover` decides which files a directory walk lints.
"""

from __future__ import annotations

from ..model import LineIndex, lone_cr_as_lf
from .base import Extraction, ParseProblem, kind_for_path

__all__ = ["Extraction", "ParseProblem", "extract", "kind_for_path"]


def extract(path: str, text: str, kind: str, settings, index: LineIndex | None = None,  # noqa: ANN001
            hints: frozenset[str] = frozenset()) -> Extraction:
    r"""Run the extractor for ``kind`` on ``text`` (the decoded file) and return
    its :class:`Extraction`. ``path`` is used for prompt ids; ``index`` may be
    passed when the caller already built one. Never raises for bad input:
    parse failures are :class:`ParseProblem` entries. ``hints`` (Python only):
    module constants another module sends to a model (see
    :func:`~promptlint.extract.python.extract_python`). Extractors read each
    lone ``\r`` as a line end (:func:`~promptlint.model.lone_cr_as_lf`)."""
    text = lone_cr_as_lf(text)
    index = index or LineIndex(text)
    if kind == "python":
        from .python import extract_python

        return extract_python(path, text, index, settings, hints)
    if kind == "prompty":
        from .prompty import extract_prompty

        return extract_prompty(path, text, index, settings)
    if kind == "contract":
        from .contract_file import extract_contract

        return extract_contract(path, text, index, settings, extract)
    if kind == "notebook":
        from .notebook import extract_notebook

        return extract_notebook(path, text, index, settings)
    if kind in ("json", "yaml", "toml"):
        from .structured import extract_structured

        return extract_structured(path, text, index, settings, kind)
    from .text import extract_text

    return extract_text(path, text, index, settings)
