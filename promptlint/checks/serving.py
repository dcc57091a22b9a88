"""Check kind ``contract``: a prompt's contract against the prompt and the serving facts.

``options.check`` picks the check:

* ``missing-fallback``: latency targets with no ``fallback``;
* ``cache-key-missing-user``: personal inputs (placeholders matching
  ``options.personal``) cached with ``scope: shared``; in code, a response
  cache around the call (:mod:`promptlint.extract.caching`) whose key does not
  hold a personal value the prompt interpolates (``options.code_personal``,
  matched per identifier part: ``user.name``, ``customer_id``);
* ``cache-key-missing-retrieval-version``: retrieved documents among the inputs
  (``options.retrieval``) and no document/index version (``options.version``)
  in ``vary_on``; in code, retrieved text fetched inside the cached function
  and a key with no version among its names;
* ``output-schema-mismatch``: a JSON example in the prompt that does not
  validate against the contract's output schema;
* ``unpinned-sampling``: a JSON output contract sampled with temperature > 0
  and no seed, in the contract or at a Python call site.

Findings land on the contract's YAML node (or the call's ``temperature=``):
the contract's file is the one being linted, so its suppressions and editor
diagnostics apply there. A finding about the prompt's text (the JSON example
of ``output-schema-mismatch``) names that text's place in its message as
``path:line:column`` of the prompt's own file, computed with that file's line
index (a contract file may name a prompt in another file).
"""

from __future__ import annotations

import json
import re

from ..model import Position, Span
from . import CheckContext


def _node_span(lc, *keys: str | int) -> Span:  # noqa: ANN001
    line, col = lc.position(*keys)
    key = str(keys[-1]) if keys else ""
    return Span(Position(line, col), Position(line, col + max(1, len(key))))


def run(ctx: CheckContext) -> None:
    """Run the check named by ``options.check``."""
    which = ctx.options["check"]
    prompt = ctx.analysis.prompt
    lc = prompt.contract
    if which == "unpinned-sampling":
        _unpinned(ctx, lc, prompt)
        return
    if lc is None:
        if prompt.cache is not None and which in ("cache-key-missing-user", "cache-key-missing-retrieval-version"):
            _code_cache(ctx, which, prompt.cache)
        return
    c = lc.contract
    names = ctx.analysis.names
    if which == "missing-fallback":
        lat = c.latency
        if lat and (lat.ttft_ms_p95 or lat.ttlt_ms_p95) and not lat.fallback:
            ctx.emit(0, 0, span=_node_span(lc, "latency"), span_file=lc.path, fingerprint=f"fallback {lc.prompt_id}")
    elif which == "cache-key-missing-user":
        personal = [n for n in names if re.search(ctx.options["personal"], n, re.I)]
        if c.cache and c.cache.scope == "shared" and personal:
            ctx.emit(0, 0, span=_node_span(lc, "cache", "scope"), span_file=lc.path, inputs=", ".join(personal),
                     how="with `scope: shared`", fingerprint=f"user {lc.prompt_id}")
    elif which == "cache-key-missing-retrieval-version":
        docs = [n for n in names if re.search(ctx.options["retrieval"], n, re.I)]
        if c.cache and docs and not any(re.search(ctx.options["version"], v, re.I) for v in c.cache.vary_on):
            ctx.emit(0, 0, span=_node_span(lc, "cache", "vary_on") if c.cache.vary_on else _node_span(lc, "cache"),
                     span_file=lc.path, inputs=", ".join(docs), how="`vary_on` holds no document or index version",
                     fingerprint=f"retrieval {lc.prompt_id}")
    elif which == "output-schema-mismatch":
        if c.output.format != "json" or lc.schema is None:
            return
        from jsonschema import validators

        from .output_schema import json_candidates

        validator = validators.validator_for(lc.schema)(lc.schema)
        for s, _e, raw in json_candidates(ctx.analysis):
            try:
                example = json.loads(raw)
            except json.JSONDecodeError:
                continue
            errors = sorted(validator.iter_errors(example), key=lambda e: list(e.absolute_path))
            if errors:
                path = "/".join(str(p) for p in errors[0].absolute_path) or "$"
                ctx.emit(0, 0, span=_node_span(lc, "output", "schema"), span_file=lc.path,
                         error=f"the example at {ctx.location(s)} fails at {path}: {errors[0].message}",
                         fingerprint=f"schema {lc.prompt_id} {raw[:80]}")


_IDENT = re.compile(r"[A-Za-z_]\w*")


def _free_names(expression: str) -> list[str]:
    """The names a placeholder's Python expression reads from outside it (``', '.join(u.name for u in users)``:
    ``users``); empty when it is not a Python expression."""
    import ast

    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return []
    bound = {n.id for c in ast.walk(tree) if isinstance(c, ast.comprehension) for n in ast.walk(c.target)
             if isinstance(n, ast.Name)}
    bound |= {a.arg for lam in ast.walk(tree) if isinstance(lam, ast.Lambda) for a in lam.args.args}
    return list(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in bound
                              and n.id not in ("self", "cls")))


def _code_cache(ctx: CheckContext, which: str, cache) -> None:  # noqa: ANN001 - extract.caching.CacheFact
    """The cache-key checks on a response cache in code: the prompt's placeholders
    (f-string expressions, ``.format`` names) against what the key holds."""
    user = which == "cache-key-missing-user"
    wanted = re.compile(ctx.options["code_personal" if user else "retrieval"], re.I)
    missing: list[str] = []
    for name in ctx.analysis.names:
        idents = _IDENT.findall(name)
        if not idents or idents[0] in ("self", "cls") or not any(wanted.search(part) for part in idents):
            continue  # ``self.x``: the object is part of an lru_cache key (and its state is not visible here)
        roots = _free_names(name) or [idents[0]]
        if (user and not all(cache.holds(r) for r in roots)) or (not user and any(cache.fetched_here(r)
                                                                                   for r in roots)):
            missing.append(name)
    if not missing or (not user and any(re.search(ctx.options["version"], k, re.I) for k in cache.key)):
        return
    where = ctx.index.position(cache.at[0]), ctx.index.position(cache.at[1])
    if user:
        how = f"{cache.how}, whose key ({cache.key_text}) does not hold them"
    else:
        how = (f"they are fetched inside `{cache.function}` and cached {cache.how}, whose key ({cache.key_text}) "
               "holds no document or index version")
    ctx.emit(0, 0, span=Span(*where), inputs=", ".join(f"`{m}`" for m in dict.fromkeys(missing)), how=how,
             fingerprint=f"{which} {cache.function} {','.join(missing)}")


def _unpinned(ctx: CheckContext, lc, prompt) -> None:  # noqa: ANN001
    if lc is not None:
        s = lc.contract.sampling
        if lc.contract.output.format == "json" and s.temperature > 0 and s.seed is None:
            # A .prompty file that sets no temperature is sampled at the provider's default, not at
            # promptlint's contract default: say so instead of naming a number the file never wrote.
            shown = "unset (the provider's default)" if lc.extra.get("temperature_unset") else s.temperature
            ctx.emit(0, 0, span=_node_span(lc, "sampling"), span_file=lc.path, where="the contract",
                     temperature=shown, fingerprint=f"sampling {lc.prompt_id}")
        return
    call = prompt.sampling
    if not call or call.get("seed") or not call.get("temperature"):
        return
    value, span = call["temperature"]
    wants_json = call.get("json") or bool(re.search(r"\bJSON\b", ctx.analysis.clean))
    if value > 0 and wants_json:
        ctx.emit(0, 0, span=span, span_file=prompt.path, where="this call", temperature=value,
                 fingerprint=f"sampling {prompt.id}")
