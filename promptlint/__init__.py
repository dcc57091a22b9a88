"""promptlint: a linter for the contract of LLM prompt templates.

The pipeline is ``discover → extract → check → suppress → report / fix``; see
:mod:`promptlint.engine` for the entry points used by the CLI, the language
server and the pre-commit hook.

Modules sit in :data:`LAYERS`, bottom first: a module imports only modules of
its own layer or of layers below it, and nothing in ``promptlint/`` imports in
a cycle (``tests/test_layers.py`` checks both, imports inside functions
included). Each entry names modules or packages (a package covers its
submodules).
"""

__version__ = "0.1.0"

#: The layers of the package, bottom first (see the module docstring).
LAYERS: tuple[tuple[str, ...], ...] = (
    # data model and source I/O: what every other module may use
    ("promptlint", "promptlint.errors", "promptlint.model", "promptlint.paths", "promptlint.source"),
    # self-contained services: model backends, token counts, template lexing, rule packs, contract files, rendering
    ("promptlint.backends", "promptlint.tokens", "promptlint.template", "promptlint.rulepacks", "promptlint.contracts",
     "promptlint.render", "promptlint.fingerprint"),
    # contract-part segmentation (the vocabulary)
    ("promptlint.vocabulary", "promptlint.sections"),
    # extraction of prompts from files, and their analysis
    ("promptlint.extract", "promptlint.analysis"),
    # what is checked and how it is fixed
    ("promptlint.checks", "promptlint.fixes", "promptlint.writeback", "promptlint.restructure",
     "promptlint.suppress"),
    # settings and file discovery
    ("promptlint.config", "promptlint.config_file", "promptlint.discover"),
    # the engine: one entry per unit of work
    ("promptlint.engine",),
    # jobs built on the engine
    ("promptlint.rewrite", "promptlint.variance", "promptlint.baseline", "promptlint.sample_cache"),
    # the doors: output formats, the CLI, the language server
    ("promptlint.output", "promptlint.cli", "promptlint.lsp", "promptlint.__main__"),
)
