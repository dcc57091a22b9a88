"""promptlint: a linter for the contract of LLM prompt templates.

The pipeline is ``discover → extract → check → suppress → report / fix``; see
:mod:`promptlint.engine` for the entry point used by the CLI and the language
server.
"""

__version__ = "0.1.0"
