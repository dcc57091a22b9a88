"""Benchmark promptlint's speed against ruff on a generated, repository-shaped corpus.

What it measures
----------------
The script first writes a deterministic corpus (seeded ``random.Random``) to
``benchmarks/.corpus/`` (git-ignored, recreated on every run unless ``--keep``):

* ``--python-files`` Python files (default 2,000) in nested packages under
  ``src/``, ``services/``, ``tools/`` and ``tests/``. About one in ten holds
  prompts: ``SYSTEM_PROMPT = \"\"\"...\"\"\"`` constants, ``*_TEMPLATE`` strings with
  ``{placeholders}``, OpenAI ``client.chat.completions.create(messages=[...])``
  calls, LangChain ``PromptTemplate(template=..., input_variables=[...])`` and a
  few other call sites. The rest is ordinary code of 50-300 lines: imports,
  dataclasses, classes, functions with docstrings, log formats, SQL and other
  ``*_TEMPLATE`` constants that are not prompts.
* ``--prompt-files`` prompt files (default 500): ``.md``/``.txt`` files in
  ``prompts/`` folders, ``.prompt`` files, ``.prompty`` files (front matter with
  ``inputs:`` then ``system:``/``user:`` sections), Jinja ``.j2`` templates and a
  few YAML files holding a ``prompts:`` list.
* A handful of files promptlint must skip while walking (``README.md``,
  ``CHANGELOG.md``, ``docs/*.md``, ``*.html.j2``, a logging YAML, and a
  ``pyproject.toml``). They are not counted in ``files``.

Then it times, in the same run, with ``time.perf_counter`` around
``subprocess.run``:

1. promptlint cold: ``benchmarks/.corpus/.promptlint_cache`` is deleted, then
   ``python -m promptlint check --exit-zero --output-format concise benchmarks/.corpus``;
2. promptlint warm: the same command again, with the cache just filled;
3. ruff: ``ruff check --select E9,F63 --no-cache --exit-zero --quiet benchmarks/.corpus``,
   median of three runs (ruff only reads the ``.py`` files).

promptlint runs with ``sys.executable`` so that the interpreter running this
script (and the promptlint installed in it) is the one measured. An exit code
other than 0 (2 is promptlint's internal-error code) prints promptlint's stderr
and makes the script exit non-zero.

The corpus's ``pyproject.toml`` holds a ``[tool.promptlint]`` table. That makes
the corpus folder promptlint's project root, so its cache lands in
``benchmarks/.corpus/.promptlint_cache`` (the one the cold run deletes) instead
of the working directory, and it sets ``respect-gitignore = false``: the
repository's ``.gitignore`` lists ``benchmarks/.corpus/``, and promptlint
applies ignore files of parent folders to the files under a folder named on
the command line, so it would otherwise lint nothing. Before timing, the script
asks promptlint's own discovery how many files it will lint and warns when that
differs from the number generated (and stops if promptlint would lint nothing).

The summary also gives each promptlint run's CPU time (the command plus its
worker processes). Wall times grow when other work shares the machine; CPU
times hardly do, so compare those between noisy runs.

How to run
----------
From the repository root, with promptlint and ruff installed::

    python benchmarks/lint_speed.py
    python benchmarks/lint_speed.py --python-files 5000 --prompt-files 1000 --seed 7
    python benchmarks/lint_speed.py --keep      # reuse benchmarks/.corpus if it matches
    git worktree add /tmp/before <commit>
    python benchmarks/lint_speed.py --compare /tmp/before --rounds 3   # both checkouts, in turns

With ``--compare DIR`` the promptlint checkout in ``DIR`` is timed too (its
folder first on ``sys.path``, checked before timing), in turns with this one (``--rounds`` rounds, medians reported), and the JSON line
gets a ``compared`` object with its times and ratios: a before/after in one run.

It prints a human-readable summary, and as the last line of stdout one JSON
object: ``files`` (Python plus prompt files generated, i.e. the files
promptlint should lint), ``cold_s``, ``warm_s``, ``ruff_s`` (seconds) and
``cold_ratio``/``warm_ratio`` (promptlint time over ruff time), rounded to three
decimals.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "benchmarks" / ".corpus"
MANIFEST = ".lint_speed.json"
GENERATOR_VERSION = 1

# --- word lists ------------------------------------------------------------------

DOMAINS = ["billing", "shipping", "inventory", "support", "onboarding", "payments", "search", "analytics",
           "catalog", "accounts", "notifications", "compliance", "scheduling", "reporting", "pricing", "returns",
           "payroll", "legal", "marketing", "security", "fulfilment", "warehouse", "loyalty", "identity"]
PKG_WORDS = ["core", "api", "services", "models", "handlers", "adapters", "utils", "pipelines", "tasks", "jobs",
             "storage", "clients", "schemas", "views", "workers", "integrations", "common", "domain", "infra", "llm",
             "assistants", "chains", "ingest", "exporters", "sync", "web", "cli", "admin", "reports", "events"]
MODULE_WORDS = ["client", "service", "repository", "handler", "parser", "validator", "serializer", "scheduler",
                "exporter", "importer", "cache", "settings", "metrics", "events", "router", "helpers", "queries",
                "mapper", "factory", "registry", "formatter", "loader", "writer", "reader", "policy", "rules",
                "workflow", "session", "tokens", "retry", "backoff", "audit", "webhooks", "throttle", "locks"]
NOUNS = ["order", "invoice", "customer", "account", "ticket", "shipment", "product", "user", "payment", "refund",
         "report", "record", "batch", "event", "item", "document", "contract", "session", "address", "subscription",
         "plan", "quota", "job", "task", "node", "bucket", "entry", "rate", "warehouse", "carrier", "coupon",
         "tenant", "webhook", "ledger", "receipt", "claim", "parcel", "vendor", "route", "cart"]
VERBS = ["load", "save", "fetch", "update", "delete", "create", "parse", "validate", "build", "compute", "resolve",
         "normalize", "render", "sync", "export", "merge", "filter", "group", "schedule", "retry", "notify",
         "archive", "refresh", "apply", "check", "split", "collect", "emit", "register", "lookup", "reconcile"]
ADJECTIVES = ["pending", "active", "stale", "current", "archived", "primary", "remote", "local", "cached", "default",
              "expired", "recent", "partial", "daily", "monthly", "open", "closed", "failed", "verified", "draft"]
STDLIB_IMPORTS = ["import os", "import re", "import json", "import time", "import uuid", "import hashlib",
                  "import itertools", "import functools", "import datetime as dt", "import csv", "import math",
                  "from pathlib import Path", "from collections import defaultdict, Counter",
                  "from typing import Any, Iterable, Iterator, Mapping, Optional",
                  "from dataclasses import dataclass, field", "from decimal import Decimal",
                  "from enum import Enum", "from contextlib import contextmanager", "import threading",
                  "from urllib.parse import urlencode, urljoin"]
THIRD_PARTY = ["import requests", "import sqlalchemy as sa", "from pydantic import BaseModel",
               "import redis", "import boto3", "from fastapi import APIRouter, HTTPException",
               "import httpx", "import yaml", "from celery import shared_task", "import structlog"]
FUNCS = ["sorted", "list", "tuple", "set", "dict", "str", "int", "float", "bool", "len", "max", "min", "sum"]
KEYS = ["id", "name", "status", "created_at", "updated_at", "amount", "currency", "email", "region", "priority",
        "owner", "tags", "total", "count", "limit", "offset", "source", "kind", "version", "retries"]
LOG_LEVELS = ["debug", "info", "info", "warning", "error", "exception"]
TABLES = ["orders", "invoices", "customers", "shipments", "payments", "refunds", "events", "audit_log", "tickets",
          "subscriptions", "products", "vendors", "parcels", "ledger_entries"]

# Prompt vocabulary.
ROLES = ["support agent", "data analyst", "release manager", "technical writer", "claims adjuster", "tax assistant",
         "recruiting coordinator", "security reviewer", "sales assistant", "travel planner", "legal clerk",
         "customer success manager", "QA engineer", "product manager", "copy editor", "triage nurse assistant"]
COMPANIES = ["ACME", "Globex", "Initech", "Umbrella Logistics", "Stark Retail", "Wayne Freight", "Hooli",
             "Vandelay Imports", "Soylent Foods", "Tyrell Energy"]
OBJECTS = ["support ticket", "invoice", "meeting transcript", "pull request", "error log", "customer review",
           "contract clause", "product description", "shipping manifest", "incident report", "job posting",
           "email thread", "chat conversation", "release note", "survey answer", "insurance claim", "bug report",
           "sales call summary", "policy document", "expense report"]
TASK_VERBS = ["summarize", "classify", "extract the key facts from", "translate", "rewrite", "review", "triage",
              "answer questions about", "draft a reply to", "find the risks in", "label", "score", "compare",
              "list the action items in", "explain", "tag"]
QUALIFIERS = ["for a busy executive", "for the on-call engineer", "in plain language", "for the finance team",
              "for a customer who is not technical", "so that a new hire can follow it", "for the weekly digest",
              "without losing any numbers", "for the audit trail", "before it is escalated"]
CONSTRAINTS = ["Use only the text provided; do not invent facts.", "Never include personal data such as emails.",
               "Keep the answer under {n} words.", "Quote figures exactly as they appear.",
               "Do not give legal or medical advice.", "Always answer in {lang}.",
               "Avoid marketing language and exclamation marks.", "Cite the line number for every claim.",
               "Do not mention internal tool names.", "Use at most {n} bullet points.",
               "Keep the tone polite and neutral.", "Never guess dates that are not in the source."]
OUTPUTS = ["a JSON object with the keys \"label\" and \"reason\"", "a bulleted list of at most {n} items",
           "one sentence", "a Markdown table with the columns Item, Owner and Due date",
           "exactly {n} numbered steps", "plain text with no headings", "a YAML mapping of field to value",
           "a short paragraph followed by a list of open questions", "a single word: yes or no",
           "JSON matching the schema below"]
STOPS = ["If the {obj} is empty or unreadable, reply NONE and stop.",
         "If you are unsure, ask one clarifying question and stop.",
         "Stop after the last item; do not add a closing remark.",
         "If the request is outside {domain}, say you cannot help and stop.",
         "When the information is missing, answer \"unknown\" instead of guessing."]
CHECKS = ["Before answering, check that every number appears in the {obj}.",
          "Verify that the JSON parses and has no extra keys.",
          "Check that each item names an owner.", "Double-check that the summary does not contradict the source.",
          "Make sure the output has no more than {n} lines."]
FILLER = ["The {obj} may be long and repetitive.", "Readers skim this on their phones between meetings.",
          "Some fields are filled in by hand and contain typos.", "The {domain} team reviews the result every morning.",
          "Older records use a different date format.", "Customers often write in a mix of languages.",
          "Attachments are already converted to plain text.", "Managers care most about deadlines and blockers."]
PLACEHOLDERS = ["question", "context", "document", "ticket", "customer_name", "order_id", "language", "transcript",
                "notes", "audience", "max_words", "product", "history", "query", "invoice", "email", "tone", "date",
                "review", "diff", "logs", "policy", "user_input", "account_name"]
LANGS = ["English", "German", "French", "Spanish", "Portuguese", "Japanese"]

# Labels, grouped by contract part; some recognised by promptlint's vocabulary, some not.
LABELS = {
    "context": ["Context", "Background", "Role", "Situation"],
    "constraints": ["Constraints", "Rules", "Guidelines", "Requirements"],
    "task": ["Task", "Your task", "Instructions", "Goal"],
    "output": ["Output", "Output format", "Response format", "Format"],
    "stop": ["Stop condition", "When unsure", "Fallback"],
    "check": ["Verification", "Checks", "Before answering"],
}


# --- small helpers -----------------------------------------------------------------


def pyquote(text: str) -> str:
    """A double-quoted Python string literal for ``text`` (escapes ``\\``, ``"`` and newlines)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def camel(*words: str) -> str:
    """``CamelCase`` of ``words`` (each may hold underscores)."""
    return "".join(part.capitalize() for w in words for part in w.split("_"))


def indent(lines: list[str], level: int = 1) -> list[str]:
    """``lines`` indented by ``level`` steps of four spaces (blank lines stay blank)."""
    pad = "    " * level
    return [pad + line if line else "" for line in lines]


def past(verb: str) -> str:
    """The past participle of one of the ``VERBS``."""
    irregular = {"build": "built", "split": "split", "emit": "emitted", "lookup": "looked up", "sync": "synced"}
    if verb in irregular:
        return irregular[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y"):
        return verb[:-1] + "ied"
    return verb + "ed"


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3`` … when already in ``taken``; records the result."""
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


# --- ordinary Python code ------------------------------------------------------------


class CodeGen:
    """Generates syntactically valid, varied, ordinary Python modules from a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def docstring_sentence(self) -> str:
        """One docstring-like sentence about nouns of the corpus' domain."""
        r = self.rng
        n, n2, d = r.choice(NOUNS), r.choice(NOUNS), r.choice(DOMAINS)
        forms = [f"{r.choice(VERBS).capitalize()} the {r.choice(ADJECTIVES)} {n}s of one {n2}.",
                 f"Return the {n} that belongs to ``{n2}_id``, or ``None``.",
                 f"Helpers for the {d} {r.choice(MODULE_WORDS)}.",
                 f"Keep {n} and {n2} records in step with the {d} service.",
                 f"Raised when a {n} cannot be {past(r.choice(VERBS))}.",
                 f"Thin wrapper around the {d} API; retries on timeouts.",
                 f"Compute {r.choice(['totals', 'counts', 'averages', 'deltas'])} per {n} for the {d} dashboard.",
                 f"The {n} is read from the cache first and from the database on a miss."]
        return r.choice(forms)

    def literal(self) -> str:
        """A small literal expression."""
        r = self.rng
        return r.choice(["None", "0", "1", '""', "[]", "{}", "True", "False", "0.5", f'"{r.choice(KEYS)}"',
                         str(r.randint(2, 500)), f'"{r.choice(ADJECTIVES)}"'])

    def expr(self, names: list[str], method: bool) -> str:
        """An expression over the names in scope."""
        r = self.rng
        v = r.choice(names)
        options = [
            f'{v}.get("{r.choice(KEYS)}", {self.literal()})',
            f"len({v})",
            f"[x for x in {v} if x is not None]",
            f"{{key: value for key, value in sorted({v}.items())}}",
            f"{v} or {self.literal()}",
            f"{v} + {r.randint(1, 9)}",
            f"str({v}).strip().lower()",
            f'", ".join(str(x) for x in {v})',
            f"json.dumps({v}, sort_keys=True)",
            f"{r.choice(FUNCS)}({v})",
            f"{r.choice(VERBS)}_{r.choice(NOUNS)}({v}, {r.choice(KEYS)}={self.literal()})",
            "dt.datetime.now(dt.timezone.utc)",
            f're.sub(r"\\s+", " ", {v})',
            f'Path({v}) / "{r.choice(NOUNS)}s.json"',
            f"round({v} / max({r.choice(names)}, 1), 2)",
            f"{v}[{r.randint(0, 3)}] if {v} else None",
        ]
        if method:
            options.append(f"self._{r.choice(NOUNS)}s.get({v})")
            options.append(f"self._client.{r.choice(VERBS)}({v}, timeout=self._timeout)")
        return r.choice(options)

    def cond(self, names: list[str]) -> str:
        """A boolean condition over the names in scope."""
        r = self.rng
        v = r.choice(names)
        return r.choice([f"{v} is None", f"not {v}", f"{v} > {r.randint(0, 100)}", f"isinstance({v}, dict)",
                         f'"{r.choice(KEYS)}" in {v}', f"len({v}) >= {r.randint(2, 50)}",
                         f"{v} and {r.choice(names)} is not None"])

    def statements(self, names: list[str], method: bool, count: int, depth: int = 0) -> list[str]:
        """``count`` statements (some compound) that only use and add to ``names``."""
        r = self.rng
        out: list[str] = []
        for _ in range(count):
            kind = r.choices(["assign", "if", "for", "try", "log", "with", "append"],
                             weights=[6, 3, 2, 1, 2, 1, 2] if depth < 2 else [6, 0, 0, 0, 2, 0, 2])[0]
            if kind == "assign":
                new = unique(f"{r.choice(ADJECTIVES)}_{r.choice(NOUNS)}", set(names))
                out.append(f"{new} = {self.expr(names, method)}")
                names.append(new)
            elif kind == "if":
                out.append(f"if {self.cond(names)}:")
                out += indent(self.statements(list(names), method, r.randint(1, 2), depth + 1))
                if r.random() < 0.4:
                    out.append("else:")
                    out += indent(self.statements(list(names), method, 1, depth + 1))
            elif kind == "for":
                item = r.choice(NOUNS)
                out.append(f"for {item} in {r.choice(names)}:")
                out += indent(self.statements([*names, item], method, r.randint(1, 3), depth + 1))
            elif kind == "try":
                out.append("try:")
                out += indent(self.statements(list(names), method, r.randint(1, 2), depth + 1))
                exc = r.choice(["KeyError", "ValueError", "(KeyError, ValueError)", "OSError", "TimeoutError"])
                out.append(f"except {exc} as exc:")
                out.append(f'    logger.warning("could not {r.choice(VERBS)} %s: %s", {r.choice(names)}, exc)')
                out.append("    " + r.choice(["raise", "return None", "pass"]))
            elif kind == "log":
                lvl = r.choice(LOG_LEVELS)
                out.append(f'logger.{lvl}("{past(r.choice(VERBS))} %d {r.choice(NOUNS)}s for %s", '
                           f"len({r.choice(names)}), {r.choice(names)})")
            elif kind == "with":
                out.append(f'with open({r.choice(names)}, encoding="utf-8") as fh:')
                out.append(f"    {r.choice(NOUNS)}_rows = [line.rstrip() for line in fh if line.strip()]")
            else:
                out.append(f"results.append({self.expr(names, method)})")
        return out

    def function(self, name: str, method: bool = False) -> list[str]:
        """A function (or method) with typed parameters, a docstring, a body and a return."""
        r = self.rng
        params = list(dict.fromkeys(f"{r.choice(NOUNS)}{r.choice(['', '_id', 's', '_name'])}"
                                    for _ in range(r.randint(1, 4))))
        types = ["str", "int", "dict[str, Any]", "list[str]", "Optional[str]", "float", "Mapping[str, Any]"]
        sig = ", ".join(f"{p}: {r.choice(types)}" for p in params)
        if r.random() < 0.4:
            kw_type, kw_default = r.choice([("int", str(r.randint(1, 100))), ("bool", "False"), ("str", '""'),
                                            ("Optional[str]", "None"), ("float", "0.5")])
            sig += f", *, {r.choice(KEYS)}: {kw_type} = {kw_default}"
        if method:
            sig = "self, " + sig
        ret = r.choice(["None", "dict[str, Any]", "list[str]", "int", "bool", "Optional[str]", "float"])
        out = [f"def {name}({sig}) -> {ret}:"]
        doc = [f'    """{self.docstring_sentence()}']
        if r.random() < 0.5:
            doc += ["", f"    {self.docstring_sentence()}"]
            if r.random() < 0.5:
                doc += ["", "    Args:"] + [f"        {p}: the {p.replace('_', ' ')} to use." for p in params]
            doc.append('    """')
        else:
            doc[0] += '"""'
        out += doc
        names = list(params)
        body = ["results: list[Any] = []"] + self.statements(names, method, r.randint(2, 9))
        body.append(f"return {r.choice(names + ['results', 'None'])}")
        out += indent(body)
        return out

    def dataclass_unit(self) -> list[str]:
        """A ``@dataclass`` with fields and one or two methods."""
        r = self.rng
        name = camel(r.choice(ADJECTIVES), r.choice(NOUNS), r.choice(["record", "row", "event", "state", "spec"]))
        out = ["@dataclass" + r.choice(["", "(frozen=True)", "(slots=True)"]), f"class {name}:",
               f'    """{self.docstring_sentence()}"""', ""]
        fields = list(dict.fromkeys(r.choice(KEYS) for _ in range(r.randint(2, 7))))
        out += [f"    {f}: {r.choice(['str', 'int', 'float', 'bool', 'Optional[str]'])}" for f in fields]
        out += [f"    {r.choice(NOUNS)}_tags: list[str] = field(default_factory=list)"]
        for _ in range(r.randint(1, 2)):
            out.append("")
            out += indent(self.function(f"{r.choice(VERBS)}_{r.choice(NOUNS)}", method=True))
        return out

    def class_unit(self) -> list[str]:
        """A service-style class with ``__init__`` and several methods."""
        r = self.rng
        name = camel(r.choice(NOUNS), r.choice(MODULE_WORDS))
        out = [f"class {name}:", f'    """{self.docstring_sentence()}"""', "",
               f"    def __init__(self, client: Any, *, timeout: float = {r.choice(['5.0', '30.0', '2.5'])}) -> None:",
               "        self._client = client", "        self._timeout = timeout",
               f"        self._{r.choice(NOUNS)}s: dict[str, Any] = {{}}",
               f"        self._lock = threading.{r.choice(['Lock', 'RLock'])}()"]
        taken: set[str] = set()
        for _ in range(r.randint(1, 5)):
            out.append("")
            out += indent(self.function(unique(f"{r.choice(VERBS)}_{r.choice(NOUNS)}", taken), method=True))
        return out

    def constants(self, module: str) -> list[str]:
        """Module constants: timeouts, a log format, SQL, URL and message templates (none are prompts)."""
        r = self.rng
        n, t = r.choice(NOUNS), r.choice(TABLES)
        cols = ", ".join(dict.fromkeys(r.choice(KEYS) for _ in range(r.randint(2, 5))))
        pool = [
            f"DEFAULT_TIMEOUT = {r.choice(['5', '10', '30', '2.5'])}",
            f"MAX_{n.upper()}S = {r.randint(10, 5000)}",
            f'LOG_FORMAT = "%(asctime)s %(levelname)s [%(name)s] {module}: %(message)s"',
            (f'{t.upper()}_SQL = """\n    SELECT {cols}\n    FROM {t}\n    WHERE {r.choice(KEYS)} = %s\n'
             f'    ORDER BY {r.choice(KEYS)} DESC\n    LIMIT {r.choice([50, 100, 500])}\n"""'),
            f'FETCH_{n.upper()}_QUERY_TEMPLATE = "SELECT {cols} FROM {t} WHERE id = {{{n}_id}}"',
            f'{n.upper()}_URL_TEMPLATE = "https://api.example.com/v{r.randint(1, 3)}/{t}/{{{n}_id}}"',
            f'ERROR_MESSAGE_TEMPLATE = "Could not {r.choice(VERBS)} {n} {{{n}_id}}: {{reason}}"',
            f'EMAIL_SUBJECT_TEMPLATE = "Your {n} {{{n}_id}} is {r.choice(ADJECTIVES)}"',
            f'CACHE_KEY = "{module}:{{tenant}}:{{{n}_id}}"',
            f"RETRY_STATUSES = frozenset({{{', '.join(str(s) for s in r.sample([408, 425, 429, 500, 502, 503, 504], 3))}}})",
            f'{n.upper()}_FIELDS = ({", ".join(pyquote(k) for k in dict.fromkeys(r.choice(KEYS) for _ in range(4)))},)',
        ]
        return r.sample(pool, r.randint(1, 4))

    def imports(self, extra: list[str] | None = None) -> list[str]:
        """An import block: ``__future__``, stdlib, third-party and project imports."""
        r = self.rng
        std = sorted(set(r.sample(STDLIB_IMPORTS, r.randint(2, 7))) | {"import logging", "import json", "import re",
                                                                        "import threading", "import datetime as dt",
                                                                        "from pathlib import Path",
                                                                        "from dataclasses import dataclass, field",
                                                                        "from typing import Any, Mapping, Optional"})
        third = sorted(set(r.sample(THIRD_PARTY, r.randint(0, 2))) | set(extra or []))
        local = [f"from acme.{r.choice(PKG_WORDS)} import {r.choice(MODULE_WORDS)}" for _ in range(r.randint(0, 2))]
        out = ["from __future__ import annotations", "", *std]
        if third:
            out += ["", *third]
        if local:
            out += ["", *sorted(set(local))]
        return out

    def module(self, module: str, min_lines: int, max_lines: int, head: list[str] | None = None,
               extra_imports: list[str] | None = None) -> str:
        """A whole module of ``min_lines``-``max_lines`` lines (when ``head`` fits).

        ``head`` (lines) is inserted after the constants; ``extra_imports`` join
        the third-party import group.
        """
        r = self.rng
        target = r.randint(min_lines, max_lines)
        doc = [f'"""{self.docstring_sentence()}']
        if r.random() < 0.6:
            doc += ["", self.docstring_sentence(), self.docstring_sentence()]
        doc.append('"""')
        lines = doc + [""] + self.imports(extra_imports) + ["", "logger = logging.getLogger(__name__)", ""]
        lines += "\n".join(self.constants(module)).split("\n")
        if head:
            lines += ["", *head]
        taken: set[str] = set()

        def append(block: list[str]) -> None:
            while lines and not lines[-1]:
                lines.pop()
            lines.extend(["", "", *block])

        for _ in range(200):
            if len(lines) >= target:
                break
            unit = r.choice([self.class_unit, self.dataclass_unit, None, None])
            if unit is None:
                unit_lines = self.function(unique(f"{r.choice(VERBS)}_{r.choice(NOUNS)}", taken))
            else:
                unit_lines = unit()
            if len(lines) + 2 + len(unit_lines) > max_lines:
                if len(lines) >= min_lines:
                    break
                continue  # too big for what is left; try a smaller unit
            append(unit_lines)
        if r.random() < 0.1 and len(lines) + 4 <= max_lines:
            append(['if __name__ == "__main__":', "    logging.basicConfig(format=LOG_FORMAT)"
                    if any(x.startswith("LOG_FORMAT") for x in lines) else "    logging.basicConfig()"])
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines) + "\n"


# --- prompt text ---------------------------------------------------------------------


class PromptGen:
    """Generates varied prompt texts (structured with labels, or run-on paragraphs)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def fill(self, s: str, obj: str, domain: str) -> str:
        """Replace the ``{n}``/``{lang}``/``{obj}``/``{domain}`` slots of a word-list sentence."""
        r = self.rng
        return (s.replace("{n}", str(r.choice([3, 5, 7, 10, 80, 120, 200])))
                .replace("{lang}", r.choice(LANGS)).replace("{obj}", obj).replace("{domain}", domain))

    def text(self, placeholders: list[str], ph: str, *, markdown: bool = False, json_braces: str = "{}") -> str:
        """One prompt text.

        ``ph`` formats a placeholder name (``"{{{}}}"`` gives ``{name}``);
        ``json_braces`` is how a literal JSON object's braces are written in this
        template syntax (``"{{}}"`` for ``str.format`` templates).
        """
        r = self.rng
        obj, domain = r.choice(OBJECTS), r.choice(DOMAINS)
        role, company = r.choice(ROLES), r.choice(COMPANIES)
        context = [f"You are a {role} at {company}, working with the {domain} team.",
                   *(self.fill(f, obj, domain) for f in r.sample(FILLER, r.randint(1, 2)))]
        rules = [self.fill(c, obj, domain) for c in r.sample(CONSTRAINTS, r.randint(1, 4))]
        task = f"{r.choice(TASK_VERBS).capitalize()} the {obj} {r.choice(QUALIFIERS)}."
        output = f"Answer with {self.fill(r.choice(OUTPUTS), obj, domain)}."
        example = None
        if "JSON" in output and r.random() < 0.7:
            o, c = json_braces[: len(json_braces) // 2], json_braces[len(json_braces) // 2:]
            example = f'{o}"label": "{r.choice(ADJECTIVES)}", "reason": "one short sentence"{c}'
        stop = self.fill(r.choice(STOPS), obj, domain)
        check = self.fill(r.choice(CHECKS), obj, domain)
        inputs = [f"{p.replace('_', ' ').capitalize()}: {ph.format(p)}" for p in placeholders]
        style = r.random()
        if style < 0.55:  # labelled sections
            def label(part: str) -> str:
                name = r.choice(LABELS[part])
                return f"## {name}" if markdown else f"{name}:"
            blocks = [[label("context"), " ".join(context)],
                      [label("constraints"), *(f"- {c}" for c in rules)],
                      [label("task"), task],
                      [label("output"), output] + ([example] if example else [])]
            if r.random() < 0.7:
                blocks.append([label("stop"), stop])
            if r.random() < 0.6:
                blocks.append([label("check"), check])
            if r.random() < 0.2:  # task before constraints
                blocks[1], blocks[2] = blocks[2], blocks[1]
            if inputs:
                blocks.append(inputs)
            return "\n\n".join("\n".join(b) for b in blocks) + "\n"
        if style < 0.85:  # run-on paragraph, optional stop/check, inputs at the end
            sentences = [*context, *rules, task, output]
            if r.random() < 0.5:
                sentences.append(stop)
            if r.random() < 0.3:
                sentences.append(check)
            r.shuffle(sentences)
            para = " ".join(sentences)
            tail = "\n\n" + "\n".join(inputs) if inputs else ""
            return para + (f" For example: {example}" if example else "") + tail + "\n"
        # short, underspecified prompt
        words = f"{task} {' '.join(ph.format(p) for p in placeholders)}".strip()
        return words + "\n"


# --- corpus layout ---------------------------------------------------------------------


class Corpus:
    """Builds the corpus as a ``relative path -> text`` mapping, with counts."""

    def __init__(self, seed: int, python_files: int, prompt_files: int) -> None:
        self.rng = random.Random(seed)
        self.code = CodeGen(self.rng)
        self.prompts = PromptGen(self.rng)
        self.n_py, self.n_prompt = python_files, prompt_files
        self.files: dict[str, str] = {}
        self.counted = 0  # files promptlint should lint
        self.with_prompts = 0
        self.names: dict[str, set[str]] = {}

    def add(self, folder: str, name: str, text: str, counted: bool) -> str:
        """Add ``folder/name`` (made unique within ``folder``) and return its path."""
        stem, dot, ext = name.partition(".")
        taken = self.names.setdefault(folder, set())
        final = unique(stem, taken) + dot + ext
        path = f"{folder}/{final}" if folder else final
        self.files[path] = text
        self.counted += counted
        return path

    def packages(self) -> list[str]:
        """A tree of package folders under a few top-level roots (depth at most 5)."""
        r = self.rng
        roots = ["src/acme", "services/ledger", "services/courier", "tools/ops", "tests"]
        want = max(1, min(self.n_py, self.n_py // 12))
        pkgs = roots[:want]
        children: dict[str, set[str]] = {}
        while len(pkgs) < want:
            parent = r.choice(pkgs)
            if parent.count("/") >= 5:
                continue
            word = r.choice(PKG_WORDS + DOMAINS)
            if parent.startswith("tests"):
                word = "test_" + word if r.random() < 0.3 else word
            kids = children.setdefault(parent, set())
            if word in kids:
                continue
            kids.add(word)
            pkgs.append(f"{parent}/{word}")
        return pkgs

    def build(self) -> None:
        """Generate every file of the corpus."""
        r = self.rng
        pkgs = self.packages()
        # One module per package is its __init__.py; the others are spread at random.
        slots = [(p, "__init__.py") for p in pkgs]
        while len(slots) < self.n_py:
            pkg = r.choice(pkgs)
            prefix = "test_" if pkg.startswith("tests") else ""
            slots.append((pkg, f"{prefix}{r.choice(NOUNS + MODULE_WORDS)}_{r.choice(MODULE_WORDS)}.py"))
        slots = slots[: self.n_py]
        n_llm = round(self.n_py / 10)
        llm = set(r.sample(range(len(slots)), n_llm))
        for i, (pkg, name) in enumerate(slots):
            module = pkg.replace("/", ".") + "." + name[:-3]
            if i in llm:
                text = self.prompt_module(module)
                self.with_prompts += 1
            else:
                text = self.code.module(module, 50, 300)
            self.add(pkg, name, text, counted=True)
        self.prompt_files(pkgs)
        self.extras(pkgs)

    # --- Python modules with prompts ---

    def prompt_module(self, module: str) -> str:
        """A module with one to four prompt constructs plus ordinary helpers (roughly 50-300 lines)."""
        r = self.rng
        P = self.prompts
        head: list[str] = []
        uses: list[str] = []
        domain = r.choice(DOMAINS)
        kinds = r.sample(["system", "template", "openai", "langchain", "concat", "class_attr", "anthropic",
                          "chat_template"], r.randint(1, 4))
        if "openai" in kinds and "system" not in kinds:
            kinds.append("system")
        sys_name = f"{domain.upper()}_SYSTEM_PROMPT" if r.random() < 0.5 else "SYSTEM_PROMPT"
        for kind in kinds:
            phs = r.sample(PLACEHOLDERS, r.randint(0, 3))
            if kind == "system":
                body = P.text([], "{{{}}}")
                head += [f'{sys_name} = """\\', *body.rstrip("\n").split("\n"), '"""', ""]
            elif kind == "template":
                name = f"{r.choice(NOUNS).upper()}_{r.choice(['SUMMARY', 'TRIAGE', 'EXTRACTION', 'REPLY'])}_TEMPLATE"
                body = P.text(phs or ["document"], "{{{}}}", json_braces="{{}}" if r.random() < 0.85 else "{}")
                head += [f'{name} = """\\', *body.rstrip("\n").split("\n"), '"""', ""]
                args = ", ".join(f"{p}={p}" for p in (phs or ["document"]))
                fn = f"build_{r.choice(NOUNS)}_prompt"
                params = ", ".join(f"{p}: str" for p in (phs or ["document"]))
                uses += ["", "", f"def {fn}({params}) -> str:", f'    """Fill ``{name}`` for one request."""',
                         f"    return {name}.format({args})"]
            elif kind == "concat":
                name = f"{r.choice(NOUNS).upper()}_PROMPT"
                lines = P.text(phs, "{{{}}}").rstrip("\n").split("\n")
                parts = []
                for j, line in enumerate(lines):
                    sep = "\n" if r.random() < 0.9 or j == len(lines) - 1 else ""
                    parts.append("    " + pyquote(line + sep))
                head += [f"{name} = (", *parts, ")", ""]
            elif kind == "class_attr":
                cls = camel(domain, r.choice(["assistant", "agent", "summarizer", "classifier"]))
                body = P.text(phs, "{{{}}}")
                head += [f"class {cls}:", f'    """LLM helper for the {domain} team."""', "",
                         f"    model = {pyquote(r.choice(['gpt-4o-mini', 'gpt-4.1', 'o3-mini']))}",
                         '    system_prompt = """\\', *body.rstrip("\n").split("\n"), '"""', "",
                         "    def __init__(self, client: Any) -> None:", "        self.client = client", ""]
            elif kind == "openai":
                user_ph = r.choice(PLACEHOLDERS)
                fn = f"{r.choice(['answer', 'summarize', 'classify', 'draft'])}_{r.choice(NOUNS)}"
                label = r.choice(OBJECTS).capitalize()
                if r.random() < 0.4:
                    user = pyquote(f"{label}:\n") + f" + {user_ph}"
                else:  # an f-string: literal JSON braces are doubled
                    extra = P.text([], "{}", json_braces="{{}}").strip()
                    user = "f" + pyquote(f"{label}:\n{{{user_ph}}}\n\n{extra}")
                uses += ["", "", f"def {fn}({user_ph}: str) -> str:",
                         f'    """Ask the model about one {r.choice(NOUNS)}."""',
                         "    response = client.chat.completions.create(",
                         f"        model={pyquote(r.choice(['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o']))},",
                         f"        temperature={r.choice(['0', '0.2', '0.7'])},",
                         "        messages=[",
                         f'            {{"role": "system", "content": {sys_name}}},',
                         f'            {{"role": "user", "content": {user}}},',
                         "        ],", "    )", "    return response.choices[0].message.content or \"\""]
            elif kind == "anthropic":
                body = P.text([], "{}").strip()
                ph = r.choice(PLACEHOLDERS)
                uses += ["", "", f"def ask_{r.choice(NOUNS)}(anthropic_client: Any, {ph}: str) -> str:",
                         '    """Send one request to Claude."""',
                         "    message = anthropic_client.messages.create(",
                         f"        model={pyquote(r.choice(['claude-sonnet-4-5', 'claude-3-5-haiku-latest']))},",
                         "        max_tokens=1024,", f"        system={pyquote(body)},",
                         f'        messages=[{{"role": "user", "content": {ph}}}],', "    )",
                         "    return message.content[0].text"]
            elif kind == "langchain":
                declared = list(phs or ["question"])
                body = P.text(phs or ["question"], "{{{}}}", json_braces="{{}}")
                if r.random() < 0.15:
                    declared.append(r.choice(PLACEHOLDERS))  # a stale declaration, as in real code
                var = f"{r.choice(NOUNS)}_prompt"
                head += [f"{var} = PromptTemplate(", f"    template={pyquote(body)},",
                         f"    input_variables={json.dumps(declared)},", ")", ""]
            elif kind == "chat_template":
                body = P.text([], "{}", json_braces="{{}}").strip()
                ph = r.choice(PLACEHOLDERS)
                head += [f"{r.choice(NOUNS)}_chat = ChatPromptTemplate.from_messages(", "    [",
                         f"        (\"system\", {pyquote(body)}),", f'        ("human", "{{{ph}}}"),', "    ]", ")", ""]
        extra = ["from openai import OpenAI"]
        if "langchain" in kinds or "chat_template" in kinds:
            extra.append("from langchain_core.prompts import ChatPromptTemplate, PromptTemplate")
        if "openai" in kinds:
            head += ["client = OpenAI()"]
        head += uses
        low = max(50, len(head) + 25)
        return self.code.module(module, low, max(low + 40, min(300, len(head) + 200)), head=head,
                                extra_imports=extra)

    # --- prompt files ---

    def prompt_files(self, pkgs: list[str]) -> None:
        """The prompt files: .md/.txt in prompts/ folders, .prompt, .prompty, .j2 and YAML with ``prompts:``."""
        r = self.rng
        total = self.n_prompt
        n_yaml = min(total, max(3, total // 40)) if total else 0
        homes = ["prompts"] + [f"prompts/{d}" for d in r.sample(DOMAINS, 6)]
        homes += [f"{p}/prompts" for p in r.sample(pkgs, max(1, len(pkgs) // 8))]
        template_dirs = [f"{p}/templates" for p in r.sample(pkgs, max(1, len(pkgs) // 10))]
        kinds = ["md"] * 25 + ["txt"] * 15 + ["prompt"] * 20 + ["prompty"] * 20 + ["j2"] * 20
        for i in range(total):
            kind = "yaml" if i < n_yaml else r.choice(kinds)
            stem = f"{r.choice(['summarize', 'classify', 'extract', 'triage', 'reply', 'review', 'translate', 'score'])}" \
                   f"_{r.choice(NOUNS)}"
            phs = r.sample(PLACEHOLDERS, r.randint(1, 3))
            if kind == "md":
                self.add(r.choice(homes), f"{stem}.md", self.prompts.text(phs, "{{{}}}", markdown=True), True)
            elif kind == "txt":
                self.add(r.choice(homes), f"{stem}.txt", self.prompts.text(phs, "{{{}}}"), True)
            elif kind == "prompt":
                body = self.prompts.text(phs, "{{{{{}}}}}")
                if r.random() < 0.5:
                    schema = "\n".join(f"    {p}: string" for p in phs)
                    body = f"---\nmodel: {r.choice(['googleai/gemini-2.0-flash', 'openai/gpt-4o-mini'])}\n" \
                           f"input:\n  schema:\n{schema}\n---\n{body}"
                self.add(r.choice(homes + template_dirs), f"{stem}.prompt", body, True)
            elif kind == "prompty":
                self.add(r.choice(homes), f"{stem}.prompty", self.prompty(stem, phs), True)
            elif kind == "j2":
                name = f"{stem}.j2" if r.random() < 0.7 else f"{stem}.txt.j2"
                self.add(r.choice(template_dirs + homes), name, self.jinja(phs), True)
            else:
                folder = r.choice(["config"] + [f"{p}/config" for p in r.sample(pkgs, 2)])
                self.add(folder, f"{r.choice(DOMAINS)}_prompts.yaml", self.yaml_prompts(), True)

    def prompty(self, stem: str, phs: list[str]) -> str:
        """A .prompty file: front matter with ``inputs:``, then ``system:`` and ``user:`` sections."""
        r = self.rng
        inputs = "\n".join(f"  {p}:\n    type: string" for p in phs)
        system = self.prompts.text([], "{{{{{}}}}}").rstrip("\n")
        user = "\n".join(f"{p.replace('_', ' ').capitalize()}: {{{{{p}}}}}" for p in phs)
        return (f"---\nname: {stem.replace('_', ' ').capitalize()}\ndescription: {json.dumps(self.code.docstring_sentence())}\n"
                f"model:\n  api: chat\n  configuration:\n    type: azure_openai\n    azure_deployment: "
                f"{r.choice(['gpt-4o', 'gpt-4o-mini'])}\n  parameters:\n    max_tokens: {r.choice([256, 512, 1024])}\n"
                f"inputs:\n{inputs}\n---\nsystem:\n{system}\n\nuser:\n{user}\n")

    def jinja(self, phs: list[str]) -> str:
        """A Jinja prompt template with a loop or a condition."""
        r = self.rng
        body = self.prompts.text(phs, "{{{{ {} }}}}").rstrip("\n")
        items = r.choice(["items", "examples", "documents", "messages"])
        extra = r.choice([
            f"\n\n{{% for item in {items} %}}\n- {{{{ item.title }}}}: {{{{ item.text | trim }}}}\n{{% endfor %}}",
            f"\n\n{{% if {phs[0]} %}}\nPay special attention to {{{{ {phs[0]} }}}}.\n{{% endif %}}",
            "",
        ])
        comment = "{# rendered by the worker; keep the blank lines #}\n" if r.random() < 0.3 else ""
        return f"{comment}{body}{extra}\n"

    def yaml_prompts(self) -> str:
        """A YAML config holding a ``prompts:`` list (LangChain-style format templates)."""
        r = self.rng
        out = [f"# Prompts for the {r.choice(DOMAINS)} assistant.", "version: 2",
               f"model: {r.choice(['gpt-4o-mini', 'gpt-4.1'])}", f"temperature: {r.choice([0, 0.2, 0.5])}",
               "prompts:"]
        for _ in range(r.randint(2, 6)):
            phs = r.sample(PLACEHOLDERS, r.randint(1, 3))
            text = self.prompts.text(phs, "{{{}}}", json_braces="{{}}").rstrip("\n")
            out += [f"  - name: {r.choice(VERBS)}_{r.choice(NOUNS)}", f"    input_variables: [{', '.join(phs)}]",
                    "    template: |", *("      " + line if line else "" for line in text.split("\n"))]
        return "\n".join(out) + "\n"

    # --- files promptlint must skip ---

    def extras(self, pkgs: list[str]) -> None:
        """README, CHANGELOG, docs, HTML templates, a logging YAML and pyproject.toml (none counted)."""
        r = self.rng
        self.add("", "README.md", "# ACME platform\n\nServices for billing, shipping and support.\n\n## Prompts\n\n"
                 "Prompt templates live in `prompts/` folders. You are welcome to add one: state the task and the "
                 "output format, and run `promptlint check` before you open a pull request.\n", False)
        changes = [f"## 1.{i}.0\n\n- {self.code.docstring_sentence()}\n- {self.code.docstring_sentence()}\n"
                   for i in range(12, 0, -1)]
        self.add("", "CHANGELOG.md", "# Changelog\n\n" + "\n".join(changes), False)
        self.add("prompts", "README.md", "# Prompts\n\nOne file per prompt. Context, task and output format in "
                 "separate sections, please.\n", False)
        for doc in ["architecture", "runbook", "onboarding"]:
            self.add("docs", f"{doc}.md", f"# {doc.capitalize()}\n\n{self.code.docstring_sentence()}\n", False)
        for _ in range(5):
            self.add(r.choice(pkgs) + "/templates", f"{r.choice(NOUNS)}.html.j2",
                     "<html><body><h1>{{ title }}</h1>\n{% for row in rows %}<p>{{ row }}</p>{% endfor %}\n"
                     "</body></html>\n", False)
        self.add("config", "logging.yaml", "version: 1\nformatters:\n  plain:\n    format: '%(levelname)s %(message)s'\n"
                 "handlers:\n  console:\n    class: logging.StreamHandler\n    formatter: plain\n", False)
        self.add("", "pyproject.toml",
                 '[project]\nname = "acme-platform"\nversion = "1.12.0"\nrequires-python = ">=3.10"\n\n'
                 "# The corpus is this project's root for promptlint, so the result cache lives in\n"
                 "# benchmarks/.corpus/.promptlint_cache. The promptlint repository's .gitignore lists\n"
                 "# benchmarks/.corpus/, and promptlint applies parent .gitignore files to a folder named\n"
                 "# on the command line, so the corpus is linted with .gitignore handling off.\n"
                 "[tool.promptlint]\nrespect-gitignore = false\n", False)


def generate(seed: int, python_files: int, prompt_files: int) -> dict:
    """Write the corpus into an empty or missing ``CORPUS``; return its manifest (parameters, file counts)."""
    corpus = Corpus(seed, python_files, prompt_files)
    corpus.build()
    for rel, text in corpus.files.items():
        path = CORPUS / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    manifest = {"generator": GENERATOR_VERSION, "seed": seed, "python": python_files, "other": prompt_files,
                "counted": corpus.counted, "python_with_llm_calls": corpus.with_prompts,
                "skipped": len(corpus.files) - corpus.counted}
    (CORPUS / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def load_manifest(seed: int, python_files: int, prompt_files: int) -> dict | None:
    """The manifest of an existing corpus built with these parameters, else ``None``."""
    try:
        m = json.loads((CORPUS / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = (m.get("generator"), m.get("seed"), m.get("python"), m.get("other")) == \
        (GENERATOR_VERSION, seed, python_files, prompt_files)
    return m if same else None


# --- timing ------------------------------------------------------------------------------

_DISCOVER = ("import sys\nfrom promptlint.config import load_settings\nfrom promptlint.discover import discover\n"
             "paths = sys.argv[1:]\nprint(len(discover(paths, load_settings(paths))))\n")


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes (0.0 where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, list[float]] = {}  # CPU seconds of each run of each timed command, by label


def timed(cmd: list[str], what: str) -> float:
    """Run ``cmd`` from the repository root (stdout discarded) and return its wall time in seconds.

    The CPU time of the command and its worker processes is appended to ``CPU[what]``;
    unlike wall time it hardly changes when other work shares the machine.

    Exits the script, printing the command's stderr, when it does not exit 0
    (with ``--exit-zero`` findings give 0; promptlint's 2 is an internal,
    usage or config error).
    """
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    CPU.setdefault(what, []).append(children_cpu() - cpu)
    if proc.returncode != 0:
        sys.stderr.write(f"{what} failed with exit code {proc.returncode}: {' '.join(cmd)}\n{proc.stderr}")
        sys.exit(proc.returncode if proc.returncode > 0 else 1)
    if proc.stderr.strip():
        sys.stderr.write(f"{what} wrote to stderr:\n{proc.stderr}")
    return elapsed


def ruff_command() -> list[str]:
    """The ruff executable next to this interpreter, else on PATH, else ``python -m ruff``."""
    beside = Path(sys.executable).parent / ("ruff.exe" if os.name == "nt" else "ruff")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("ruff")
    return [found] if found else [sys.executable, "-m", "ruff"]


def discovered(rel: str) -> int | None:
    """How many files promptlint's own discovery finds under ``rel`` (``None`` if that cannot be asked)."""
    proc = subprocess.run([sys.executable, "-c", _DISCOVER, rel], check=False, cwd=REPO, capture_output=True, text=True)
    try:
        return int(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        sys.stderr.write(f"warning: could not ask promptlint which files it lints:\n{proc.stderr}")
        return None


def main(argv: list[str] | None = None) -> int:
    """Parse options, build (or reuse) the corpus, time promptlint and ruff, print the results."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python-files", type=int, default=2000, help="Python files to generate (default 2000)")
    ap.add_argument("--prompt-files", type=int, default=500, help="prompt files to generate (default 500)")
    ap.add_argument("--seed", type=int, default=1234, help="random seed (default 1234)")
    ap.add_argument("--keep", action="store_true", help="reuse benchmarks/.corpus when built with these options")
    ap.add_argument("--compare", metavar="DIR", help="also time the promptlint checkout in DIR (e.g. a git worktree "
                    "of an older commit), run by the same interpreter with DIR first on sys.path")
    ap.add_argument("--rounds", type=int, default=1, help="cold+warm rounds per checkout, taken in turns; the "
                    "medians are reported (default 1)")
    args = ap.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # progress lines show during the long runs
    if args.python_files < 1 or args.prompt_files < 0:
        ap.error("--python-files must be at least 1 and --prompt-files at least 0")

    rel = os.path.relpath(CORPUS, REPO)
    manifest = load_manifest(args.seed, args.python_files, args.prompt_files) if args.keep else None
    gen_s = None
    if manifest is None:
        if args.keep:
            print("no corpus built with these options to keep; generating one")
        if CORPUS.exists():
            start = time.perf_counter()
            shutil.rmtree(CORPUS)
            print(f"removed the previous corpus in {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        manifest = generate(args.seed, args.python_files, args.prompt_files)
        gen_s = time.perf_counter() - start
    files = manifest["counted"]
    made = f"generated in {gen_s:.2f} s" if gen_s is not None else "kept from an earlier run"
    print(f"corpus: {rel}/ (seed {manifest['seed']}): {manifest['python']} Python files "
          f"({manifest['python_with_llm_calls']} with prompts), {manifest['other']} prompt files, "
          f"{manifest['skipped']} files to skip; {made}")

    found = discovered(rel)
    if found is not None:
        print(f"promptlint discovers {found} files (expected {files})")
        if found == 0:
            sys.stderr.write("error: promptlint finds no files in the corpus; the timings would be meaningless\n")
            return 1
        if found != files:
            sys.stderr.write(f"warning: promptlint discovers {found} files, the corpus has {files} to lint\n")

    lint = [sys.executable, "-m", "promptlint", "check", "--exit-zero", "--output-format", "concise", rel]
    cache = CORPUS / ".promptlint_cache"
    sides = {"promptlint": lint}
    if args.compare:
        other = Path(args.compare).resolve()
        if not (other / "promptlint" / "__init__.py").is_file():
            ap.error(f"--compare: no promptlint package in {other}")
        # ``python -m`` would put this checkout (the working directory) first on sys.path: the other checkout's
        # folder goes in front explicitly, and the run checks that its package is the one imported.
        boot = "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
        probe = subprocess.run([sys.executable, "-c", boot + "import promptlint; print(promptlint.__file__)",
                                str(other)], cwd=REPO, capture_output=True, text=True, check=False)
        if not probe.stdout.strip().startswith(str(other)):
            ap.error(f"--compare: {other} is not the promptlint that gets imported ({probe.stdout.strip()})")
        sides[f"compared ({other.name})"] = [sys.executable, "-c", boot + "sys.argv[0] = 'promptlint'; "
                                             "runpy.run_module('promptlint', run_name='__main__', alter_sys=True)",
                                             str(other), *lint[3:]]
    runs: dict[str, dict[str, list[float]]] = {name: {"cold": [], "warm": []} for name in sides}
    ruff = [*ruff_command(), "check", "--select", "E9,F63", "--no-cache", "--exit-zero", "--quiet", rel]
    ruff_runs = []
    for _ in range(max(1, args.rounds)):
        for name, cmd in sides.items():  # in turns, so a slow spell of the machine hits both
            shutil.rmtree(cache, ignore_errors=True)
            runs[name]["cold"].append(timed(cmd, f"{name} (cold)"))
            if not cache.is_dir():
                sys.stderr.write(f"warning: {name} wrote no cache to {rel}/.promptlint_cache; the warm run may be "
                                 "cold\n")
            runs[name]["warm"].append(timed(cmd, f"{name} (warm)"))
        ruff_runs += [timed(ruff, "ruff") for _ in range(3)]
    ruff_s = statistics.median(ruff_runs)

    result: dict = {"files": files}
    for name in sides:
        cold, warm = statistics.median(runs[name]["cold"]), statistics.median(runs[name]["warm"])
        cpu_cold = statistics.median(CPU[f"{name} (cold)"])
        cpu_warm = statistics.median(CPU[f"{name} (warm)"])
        fields = {"cold_s": round(cold, 3), "warm_s": round(warm, 3), "ruff_s": round(ruff_s, 3),
                  "cold_ratio": round(cold / max(ruff_s, 1e-9), 3), "warm_ratio": round(warm / max(ruff_s, 1e-9), 3)}
        if name == "promptlint":
            result.update(fields)
        else:
            result["compared"] = {"path": str(Path(args.compare).resolve()), **fields}
        print(f"{name} cold: {cold:8.3f} s  {files / cold:9.1f} files/s  (CPU {cpu_cold:.1f} s, "
              f"{os.cpu_count()} CPUs)")
        print(f"{name} warm: {warm:8.3f} s  {files / warm:9.1f} files/s  (CPU {cpu_warm:.1f} s)")
        print(f"{name} / ruff: cold {fields['cold_ratio']}x, warm {fields['warm_ratio']}x")
    print(f"ruff E9,F63:     {ruff_s:8.3f} s  (median of {', '.join(f'{t:.3f}' for t in ruff_runs)}; "
          f"{manifest['python']} .py files)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
