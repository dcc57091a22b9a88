"""LLM call sites the Python extractor knows, as data (no libcst import here,
so configuration loads fast)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallSite:
    """A callee pattern (dotted suffix, ``*`` wildcards allowed) and how its
    arguments carry prompt text.

    ``kind`` is ``messages`` (a list of role messages), ``text`` (one string) or
    ``template`` (a template class: format syntax unless ``template_format``
    says otherwise). ``system``/``user`` name keyword arguments that hold a
    message of that role; ``positional`` is the index of a positional argument
    holding the text; ``template_syntax`` is the syntax the callee reads its
    text in by default (LangChain templates: ``str.format`` style).
    """

    callee: str
    kind: str
    messages: str | None = None
    system: tuple[str, ...] = ()
    user: tuple[str, ...] = ()
    positional: int | None = None
    declares: str | None = None
    template_syntax: str | None = None


DEFAULT_CALL_SITES: tuple[CallSite, ...] = (
    CallSite("*chat.completions.create", "messages", messages="messages"),
    CallSite("*chat.completions.parse", "messages", messages="messages"),
    CallSite("*completions.create", "text", user=("prompt",)),
    CallSite("*ChatCompletion.create", "messages", messages="messages"),
    CallSite("*ChatCompletion.acreate", "messages", messages="messages"),
    CallSite("*responses.create", "messages", messages="input", system=("instructions",), user=("input",)),
    CallSite("*responses.parse", "messages", messages="input", system=("instructions",), user=("input",)),
    CallSite("*messages.create", "messages", messages="messages", system=("system",)),
    CallSite("*messages.stream", "messages", messages="messages", system=("system",)),
    CallSite("*litellm.completion", "messages", messages="messages"),
    CallSite("*litellm.acompletion", "messages", messages="messages"),
    CallSite("*ChatPromptTemplate.from_messages", "messages", positional=0, messages="messages", template_syntax="format"),
    CallSite("*ChatPromptTemplate.from_template", "template", positional=0, user=("template",), template_syntax="format"),
    CallSite("*PromptTemplate.from_template", "template", positional=0, user=("template",), template_syntax="format"),
    CallSite("*PromptTemplate", "template", positional=0, user=("template",), declares="input_variables", template_syntax="format"),
    CallSite("*RichPromptTemplate", "template", positional=0, user=("template_str",)),
    CallSite("*ChatPromptTemplate", "messages", positional=0, messages="message_templates", template_syntax="format"),
)


def call_sites_from_config(entries: list[dict]) -> tuple[CallSite, ...]:
    """Configured call sites: ``{callee = "my.llm.ask", argument = "prompt"}``
    (a keyword name or a 0-based position) or ``{callee, messages = "msgs"}``."""
    out = []
    for e in entries:
        arg = e.get("argument")
        if "messages" in e:
            out.append(CallSite(e["callee"], "messages", messages=e["messages"]))
        elif isinstance(arg, int):
            out.append(CallSite(e["callee"], "text", positional=arg))
        else:
            out.append(CallSite(e["callee"], "text", user=(str(arg or "prompt"),)))
    return tuple(out)
