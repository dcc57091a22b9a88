"""Rule packs: YAML files validated with jsonschema, loaded through importlib.resources.

A pack is a folder (``rules/<pack>/``) of ``<CODE>-<name>.yml`` rule files plus
an optional ``vocabulary.yml``; its test cases live in ``<pack>/tests/<CODE>.yml``.
The ``core`` pack ships inside the wheel as the ``promptlint.rules`` package
data; extra packs come from paths named in configuration.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import UsageError, load_yaml, schema_error_message, yaml_node_at

DOCS_URL = "https://promptlint.dev/rules/{name}/"
#: Check kinds whose findings are about the prompt's structure (see :attr:`Rule.restructures`).
STRUCTURE_CHECKS = frozenset({"contract-part", "separation"})
#: Check kinds that judge a prompt's contract (its parts and output contract) rather than template
#: hazards: not run on files in test folders by default (see :attr:`Rule.judges_contract`).
CONTRACT_CHECKS = STRUCTURE_CHECKS | {"todo-part", "output-shape"}
#: Check kinds whose findings a test suite provokes on purpose (a template that must fail to parse, a sandbox
#: escape the renderer must refuse, an empty prompt it must reject) or that are harmless in a fixture (an input
#: declared with a default and never read): not run on files in test folders by default.
SKIPPED_ON_TEST_DATA = frozenset({"template-syntax", "injection", "empty", "placeholders", "serving-call", "braces",
                                  "undelimited-input", "token-budget"})
#: Check kinds that judge what an example means (JSON or not) and so need the template's words around a
#: value filled into it: not run on such values alone (:attr:`promptlint.model.Prompt.fill`).
SKIPPED_ON_FILLS = frozenset({"output-schema", "output-shape"})
REGEX_OPTIONS = {"formats", "shape", "request", "personal", "code_personal", "retrieval", "version"}

RULE_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "promptlint rule",
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "name", "severity", "check", "message", "docs"],
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Z]{2,4}[0-9]{3}$"},
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9]*(-[a-z0-9]+)*$"},
        "severity": {"enum": ["error", "warning", "info"]},
        "check": {"type": "string"},
        "options": {"type": "object"},
        "message": {"type": "string", "minLength": 1},
        "fix": {"enum": ["none", "safe", "unsafe", "display-only"]},
        "fix_safety": {"type": "string"},
        "default": {"type": "boolean"},
        "docs": {
            "type": "object",
            "additionalProperties": False,
            "required": ["why", "bad", "good"],
            "properties": {
                "why": {"type": "string"},
                "bad": {"type": "string"},
                "good": {"type": "string"},
            },
        },
    },
}


@dataclass(frozen=True)
class Rule:
    """One rule: ``code`` (``PL001``), kebab-case ``name``, ``severity``,
    the ``check`` kind (a module of :mod:`promptlint.checks`) with its
    ``options``, a ``message`` template (``str.format`` fields filled by the
    check), the ``fix`` applicability it offers, and ``docs``."""

    code: str
    name: str
    severity: str
    check: str
    message: str
    docs: dict
    options: dict = field(default_factory=dict)
    fix: str = "none"
    fix_safety: str = ""
    #: In the default selection (``select`` unset)? Rules whose verdicts are advice about a prompt's style
    #: rather than a fact about it are ``false``: a project opts in with ``extend-select``.
    default: bool = True
    pack: str = "core"
    source: str = ""

    @property
    def url(self) -> str:
        """The rule's documentation URL."""
        return DOCS_URL.format(name=self.name)

    @property
    def restructures(self) -> bool:
        """Is this a structure rule, whose fix is the restructure (and whose
        findings the editor offers a model rewrite for)? The ``contract-part``
        and ``separation`` check kinds."""
        return self.check in STRUCTURE_CHECKS

    @property
    def skipped_on_test_data(self) -> bool:
        """Is this rule left off files in test folders (:data:`SKIPPED_ON_TEST_DATA`): provoked there on purpose,
        or harmless in a fixture?"""
        return self.check in SKIPPED_ON_TEST_DATA

    @property
    def judges_contract(self) -> bool:
        """Does this rule judge contract completeness (:data:`CONTRACT_CHECKS`)?"""
        return self.check in CONTRACT_CHECKS


@dataclass(frozen=True)
class RuleSet:
    """All loaded rules plus the vocabulary data; ``version`` is a hash of
    every pack file's bytes (used in cache keys)."""

    rules: tuple[Rule, ...]
    vocabulary: dict
    version: str
    #: The extra pack folders loaded besides the core pack (what :func:`pack_digest` rereads).
    pack_paths: tuple[str, ...] = ()

    def by_key(self, key: str) -> Rule | None:
        """Look a rule up by code or name (case-insensitive)."""
        key = key.strip()
        for r in self.rules:
            if r.code.lower() == key.lower() or r.name == key.lower():
                return r
        return None


def core_pack_root():  # noqa: ANN201 - importlib Traversable
    """The folder of the shipped ``core`` pack (an importlib Traversable)."""
    return resources.files("promptlint.rules") / "core"


_CODE = re.compile(r"[A-Z]{2,4}[0-9]{3}")
_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def _plainly_valid(data: dict) -> bool:
    """A quick structural check of a rule mapping against :data:`RULE_SCHEMA`.

    True only when the rule certainly satisfies the schema; anything unusual
    goes to the full jsonschema validation, which also words the error.
    """
    props = RULE_SCHEMA["properties"]
    docs = data.get("docs")
    return (
        set(data) <= set(props) and set(RULE_SCHEMA["required"]) <= set(data)
        and isinstance(data["code"], str) and _CODE.fullmatch(data["code"]) is not None
        and isinstance(data["name"], str) and _NAME.fullmatch(data["name"]) is not None
        and data["severity"] in props["severity"]["enum"] and isinstance(data["check"], str)
        and isinstance(data["message"], str) and data["message"] != ""
        and isinstance(data.get("options", {}), dict) and data.get("fix", "none") in props["fix"]["enum"]
        and isinstance(data.get("fix_safety", ""), str)
        and isinstance(docs, dict) and set(docs) == {"why", "bad", "good"}
        and all(isinstance(v, str) for v in docs.values())
    )


@lru_cache(maxsize=1)
def _rule_validator():  # noqa: ANN202
    from jsonschema import Draft202012Validator

    return Draft202012Validator(RULE_SCHEMA)


def parse_rule(text: str, source: str, pack: str, known_checks: frozenset[str]) -> Rule:
    """Parse and validate one rule file's ``text``; ``known_checks`` are the
    check kinds a rule may name (the registry lives with the checks, which
    consume it: :data:`promptlint.checks.CHECK_KINDS`).

    Raises :class:`UsageError` naming ``source`` and the line/column of the
    offending YAML node when the YAML or the schema check fails, or the check
    kind is unknown.
    """

    node, data = load_yaml(text, source)
    if node is None or not isinstance(data, dict):
        raise UsageError("a rule file must be a YAML mapping (code, name, severity, check, message, docs)",
                         source, 1, 1)
    errors = [] if _plainly_valid(data) else sorted(_rule_validator().iter_errors(data),
                                                     key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        at = yaml_node_at(node, list(err.absolute_path))
        mark = at.start_mark
        raise UsageError(schema_error_message(err), source, mark.line + 1, mark.column + 1)
    if data["check"] not in known_checks:
        at = yaml_node_at(node, ["check"]).start_mark
        raise UsageError(f"unknown check kind {data['check']!r} (known: {', '.join(sorted(known_checks))})",
                         source, at.line + 1, at.column + 1)
    for key, value in (data.get("options") or {}).items():
        if key in REGEX_OPTIONS:
            for pattern in value if isinstance(value, list) else [value]:
                try:
                    re.compile(str(pattern))
                except re.error as exc:
                    at = yaml_node_at(node, ["options", key]).start_mark
                    raise UsageError(f"options.{key}: invalid regular expression: {exc}", source,
                                     at.line + 1, at.column + 1) from None
    return Rule(pack=pack, source=source, **{k: v for k, v in data.items()})


def _pack_files(root) -> list:  # noqa: ANN001 - a Path or importlib Traversable
    """The YAML files of the pack folder ``root``, by name."""
    return sorted((e for e in root.iterdir() if e.is_file() and e.name.endswith((".yml", ".yaml"))),
                  key=lambda e: e.name)


def pack_digest(extra_paths: tuple[str, ...]) -> str:
    """The :attr:`RuleSet.version` that :func:`load_rules` would give for
    ``extra_paths`` now: a hash of the core pack's and those folders' file
    names and bytes, read without parsing. Raises ``OSError`` for a folder
    that is gone."""
    blobs = [e.name.encode() + e.read_bytes() for e in _pack_files(core_pack_root())]
    for p in extra_paths:
        blobs += [e.name.encode() + e.read_bytes() for e in _pack_files(Path(p))]
    return hashlib.sha256(b"\0".join(blobs)).hexdigest()[:16]


def _read_pack(root, pack: str, label: str, known_checks: frozenset[str]) -> tuple[list[Rule], dict | None, list[bytes]]:
    rules: list[Rule] = []
    vocab = None
    blobs: list[bytes] = []
    for entry in _pack_files(root):
        raw = entry.read_bytes()
        blobs.append(entry.name.encode() + raw)
        source = f"{label}/{entry.name}"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"rule file is not UTF-8 text (at byte offset {exc.start})", source) from None
        if entry.name.startswith("vocabulary."):
            _, vocab = load_yaml(text, source)
            continue
        rules.append(parse_rule(text, source, pack, known_checks))
    return rules, vocab, blobs


def load_rules(extra_paths: tuple[str, ...], known_checks: frozenset[str]) -> RuleSet:
    """Load the core pack and the packs at ``extra_paths`` (folders); rules may
    name only ``known_checks`` (see :func:`parse_rule`). A process keeps the
    last few rule sets it parsed, by the packs' digest (:func:`pack_digest`):
    an edited pack is parsed again, in a language server too.

    Raises :class:`UsageError` for a missing folder, an invalid rule, or two
    rules sharing a code or name.
    """
    for p in extra_paths:
        if not Path(p).is_dir():
            raise UsageError(f"rule pack folder {p!r} does not exist")
    try:
        digest = pack_digest(extra_paths)
    except OSError as exc:
        raise UsageError(f"cannot read rule pack: {exc}") from None
    return _load_rules(extra_paths, known_checks, digest)


@lru_cache(maxsize=8)
def _load_rules(extra_paths: tuple[str, ...], known_checks: frozenset[str], digest: str) -> RuleSet:
    rules, vocab, blobs = _read_pack(core_pack_root(), "core", "rules/core", known_checks)
    for p in extra_paths:
        path = Path(p)
        if not path.is_dir():
            raise UsageError(f"rule pack folder {p!r} does not exist")
        more, more_vocab, more_blobs = _read_pack(path, path.name, str(path), known_checks)
        rules += more
        blobs += more_blobs
        if more_vocab:
            for part, words in more_vocab.get("labels", {}).items():
                vocab["labels"].setdefault(part, []).extend(words)
            for part, cues in more_vocab.get("cues", {}).items():
                vocab["cues"].setdefault(part, []).extend(cues)
    seen: dict[str, str] = {}
    for r in rules:
        for key in (r.code, r.name):
            if key in seen:
                raise UsageError(f"rule {key!r} is defined twice (also in {seen[key]})", r.source)
            seen[key] = r.source
    digest = hashlib.sha256(b"\0".join(blobs)).hexdigest()[:16]
    return RuleSet(tuple(sorted(rules, key=lambda r: r.code)), vocab or {}, digest, tuple(extra_paths))
