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


def wrapper_sites(wrappers: list[str] | tuple[str, ...]) -> tuple[CallSite, ...]:
    """Configured prompt wrappers (``extract.wrappers``) as call sites: the string a
    ``Wrapper("…")`` construction wraps is a prompt, named by the variable it is
    assigned to, in the syntax its text shows."""
    return tuple(CallSite("*" + w.rsplit(".", 1)[-1], "template", positional=0,
                          user=("template", "content", "text", "prompt", "template_str")) for w in wrappers)


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


#: Client and chat-model classes whose constructor sets the request timeout, with the library and its default
#: timeout in seconds when none is given: openai-python and anthropic-sdk-python both default to
#: ``httpx.Timeout(600, connect=5.0)`` (``DEFAULT_TIMEOUT`` in their ``_constants.py``); LangChain's
#: ``ChatOpenAI`` passes ``timeout=None`` through to the openai client, so its default is the same.
CLIENT_TIMEOUTS: dict[str, tuple[str, int]] = {
    "OpenAI": ("openai", 600), "AsyncOpenAI": ("openai", 600), "AzureOpenAI": ("openai", 600),
    "AsyncAzureOpenAI": ("openai", 600), "Anthropic": ("anthropic", 600), "AsyncAnthropic": ("anthropic", 600),
    "ChatOpenAI": ("langchain-openai", 600), "AzureChatOpenAI": ("langchain-openai", 600),
}
#: Keyword arguments that set a request timeout (``request_timeout`` is LangChain's alias).
TIMEOUT_KEYWORDS = frozenset({"timeout", "request_timeout"})
#: Keyword arguments that cap the output tokens of a request or of a chat model.
MAX_TOKEN_KEYWORDS = frozenset({"max_tokens", "max_completion_tokens", "max_output_tokens", "max_new_tokens"})
#: Chat-model classes whose constructor takes the output cap (calls on them pass none).
CAPPED_MODELS = frozenset({"ChatOpenAI", "AzureChatOpenAI"})
