"""Check kind ``token-budget``: a prompt whose static text takes more tokens than
its budget.

The budget is the config's ``[tool.promptlint.tokens] budget`` where the prompt
is linted in its own file, and its contract's ``token_budget`` where the
contract file is linted (the finding lands on that key); a prompt without a
budget is not counted (a project that sets none never loads a tokenizer). Fragments composed into
another prompt are counted as part of that prompt, not alone. Counts come from
:func:`promptlint.tokens.prompt_tokens`.
"""

from __future__ import annotations

from . import CheckContext


def run(ctx: CheckContext) -> None:
    """Report at the primary message's first line (a contract's budget: at its
    ``token_budget`` key, when the contract file is linted)."""
    a = ctx.analysis
    if ctx.settings is None:
        return
    lc = a.prompt.contract
    own = lc is not None and lc.path != a.prompt.path  # linted through its contract file
    if own:
        budget, source = lc.contract.token_budget, f"token_budget in {lc.path}"
    else:
        budget, source = ctx.settings.tokens_options.get("budget"), "tokens.budget in the config"
    if budget is None or a.kind == "fragment":
        return
    from ..errors import UsageError
    from ..tokens import prompt_tokens

    try:
        counted = prompt_tokens(a, ctx.settings)
    except UsageError as exc:
        if not own:
            raise  # the config's budget: checked before the run, at its key
        line, col = lc.position("token_budget")
        raise UsageError(exc.message, lc.path, line, col) from None
    if counted["count"] <= budget:
        return
    fields = {"count": str(counted["count"]), "budget": str(budget), "source": source,
              "tokenizer": counted["tokenizer"], "fingerprint": f"budget {a.prompt.id}"}
    if own:
        from ..model import Position, Span

        line, col = lc.position("token_budget")  # the value's node
        ctx.emit(0, 0, span=Span(Position(line, col), Position(line, col + len(str(budget)))), span_file=lc.path,
                 **fields)
    else:
        start, end = ctx.head_span()
        ctx.emit(start, end, **fields)
