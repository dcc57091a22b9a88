"""Does a string read as instructions to a model? Used for prompt-named constants.

A log format, SQL, an HTML page, a URL or an error-message template is not a
prompt even when its variable is called ``*_TEMPLATE``.
"""

from __future__ import annotations

import re

_SQL = re.compile(r"\s*(?:SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH|MERGE|UPSERT|REPLACE|PRAGMA|BEGIN)\b", re.I)
_LOG = re.compile(r"%\((?:asctime|levelname|levelno|message|name|lineno|funcName|module|process|processName|thread|threadName|filename|pathname|created|msecs|relativeCreated)\)")
_MARKUP = re.compile(r"\s*<(?:!DOCTYPE|html|head|body|div|span|table|p|a|svg|xml|\?xml)\b", re.I)
_URLISH = re.compile(r"\s*(?:[a-z][a-z0-9+.-]*://|/|\./|~/)\S*\s*$", re.I)
#: Python source at the start of the text: an import, a ``def`` or a ``class`` line (a code template that
#: ``.format`` fills and writes to a ``.py`` file, not a prompt).
_PYTHON = re.compile(r"\s*(?:from[ \t]+[\w.{}]+[ \t]+import[ \t]|import[ \t]+[\w.{}]+(?:[ \t]+as[ \t]+\w+)?[ \t]*\n|"
                     r"(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(|class[ \t]+\w+[ \t]*[(:])")
_ADDRESS = re.compile(r"\b(?:you (?:are|will|must|should|need to|may|can)|act as|your (?:task|job|goal|role|answer)|"
                      r"as an? (?:AI|assistant|language model))\b", re.I)


def looks_like_code(text: str) -> bool:
    """Is ``text`` a script (shebang), Python source, SQL, a logging format,
    markup or a URL/path rather than prose?"""
    t = text.strip()
    return bool(t.startswith("#!") or _SQL.match(t) or _LOG.search(t) or _MARKUP.match(t) or _URLISH.match(t)
                or _PYTHON.match(t))


def reads_as_instructions(text: str, vocabulary) -> bool:
    """True when ``text`` looks like instructions to a model; ``vocabulary``
    (:class:`~promptlint.sections.Vocabulary`, the configured one) supplies the
    part labels and cues, so a prompt labelled in the team's own words counts.

    It must have at least three words, not look like Python source, SQL, a
    logging format, markup or a URL/path (:func:`looks_like_code`), and state a task, constraint, output contract, stop
    condition or verification (per the contract-part cues), or address the
    model the way instructions do ("you are", "you must", "act as", "your
    task"). An email subject such as "Your order {id} has shipped" is not.
    """
    t = text.strip()
    memo = vocabulary.memo
    known = memo.get(t)
    if known is None:
        known = memo[t] = _reads_as_instructions(t, vocabulary)
        if len(memo) > 4096:  # a long-lived language server: keep the memo small
            memo.pop(next(iter(memo)))
    return known


def _reads_as_instructions(t: str, vocabulary) -> bool:  # noqa: ANN001
    words = _WORD.findall(t)
    if len(words) < 3:
        return False
    if looks_like_code(t):
        return False  # a script (shebang), Python source, SQL, a log format, markup or a path
    if _ADDRESS.search(t):
        return True  # cheaper than segmenting, and enough
    from ..sections import segment

    return bool(set(segment(t, vocabulary=vocabulary).present) - {"context"})


_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}")
