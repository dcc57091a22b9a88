"""Check kind ``personal-data``: hard-coded email addresses and phone numbers.

An address is personal unless its domain is reserved for documentation
(``example.com`` / ``.org`` / ``.net`` and the ``.example``, ``.test``,
``.invalid``, ``.localhost`` top-level names of RFC 2606 and RFC 6761), it is a
role mailbox (``support@``, ``noreply@``, ``info@`` …) or a commit-email alias
(``users.noreply.github.com``), or it sits inside a placeholder. A phone number
needs ten digits or more in a phone layout; North American 555 numbers (555-0100
to 555-0199 are reserved for fiction by the NANPA, and 555 reads as made up) and
runs such as 123-456-7890 are not personal data. An address whose mailbox shares
five letters with its domain (``openhands@all-hands.dev``) is an organisation's
own account. Prompts in example and documentation folders hold sample data and
are not checked (see :func:`promptlint.engine.in_sample_folder`).
"""

from __future__ import annotations

import re

from . import CheckContext

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b")
_RESERVED_DOMAINS = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|[a-z0-9-]+\.(?:example|test|invalid|localhost)"
                               r"|example|test|invalid|localhost|users\.noreply\.github\.com)$", re.I)
_ROLE_BOXES = {"support", "noreply", "no-reply", "info", "admin", "contact", "hello", "team", "sales", "help",
               "security", "privacy", "abuse", "postmaster", "webmaster", "billing", "feedback", "press", "jobs",
               "careers", "legal", "hr", "office", "mail", "email", "user", "username", "your", "youremail", "name"}
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?!\w)"
                    r"|(?<![\w+])\+\d{2,3}[ .-]\d{1,4}(?:[ .-]\d{2,4}){2,4}(?!\w)")


def _names_the_organisation(local: str, domain: str) -> bool:
    """Does the mailbox name share a run of five letters or more with the domain's
    name (an organisation's or product's own account)?"""
    a = re.sub(r"[^a-z]", "", local.lower())
    b = re.sub(r"[^a-z]", "", domain.lower().rsplit(".", 1)[0])
    return any(a[i:i + 5] in b for i in range(len(a) - 4))


def _fictional(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    local = digits[-7:]
    if local.startswith("555"):
        return True  # 555 numbers: 555-0100 … 555-0199 are reserved for fiction, and 555-xxxx reads as made up
    if digits[-10:] in ("1234567890", "0123456789", "9876543210") or len(set(digits)) <= 2:
        return True
    return False


def find_personal_data(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, what)`` of each email address or phone number in ``text``
    that is personal data (see module docstring); ``what`` is ``email address`` or
    ``phone number``."""
    out: list[tuple[int, int, str]] = []
    for m in _EMAIL.finditer(text):
        local = m.group(0).split("@", 1)[0].lower()
        if _RESERVED_DOMAINS.search(m.group("domain")) or local in _ROLE_BOXES:
            continue
        if text[max(0, m.start() - 2):m.start()].endswith(("{", "<")) or "{" in m.group(0):
            continue
        if _names_the_organisation(local, m.group("domain")):
            continue  # ``openhands@all-hands.dev``: a product's or company's own account, not a person
        out.append((m.start(), m.end(), "email address"))
    for m in _PHONE.finditer(text):
        if not _fictional(m.group(0)):
            out.append((m.start(), m.end(), "phone number"))
    return sorted(out)


def run(ctx: CheckContext) -> None:
    """One finding per address or number, at its characters."""
    a = ctx.analysis
    for start, end, what in find_personal_data(a.text):
        ctx.emit(start, end, what=what, value=a.text[start:end], fingerprint=f"pii {a.text[start:end]}")
