"""Check kind ``secrets``: credentials written into a prompt.

The patterns are detect-secrets' (Yelp's detector library, the one pre-commit
users already run): its pattern-based plugins only — AWS, Azure storage, GitHub,
GitLab, Slack, Stripe, Twilio, SendGrid, npm, PyPI, OpenAI (legacy ``T3BlbkFJ``
keys), JWTs, private-key headers, basic-auth URLs and others — never its
entropy or keyword heuristics, which flag ordinary prose. Two prefixes that
detect-secrets 1.5 does not know are added as a plugin of its own kind: OpenAI
project and service-account keys (``sk-proj-…``, ``sk-svcacct-…``, per OpenAI's
API-keys page) and Anthropic keys (``sk-ant-…``). A value that names itself a
documentation sample (AWS's ``AKIAIOSFODNN7EXAMPLE``) and environment references
(``${env:OPENAI_API_KEY}``) are not secrets.

A prompt's text is scanned line by line, and so is a prompt file's front
matter; only lines with a long token-like run are handed to the detectors.
"""

from __future__ import annotations

import re

from . import CheckContext

_PLUGINS = (  # (module in detect_secrets.plugins, class)
    ("aws", "AWSKeyDetector"), ("artifactory", "ArtifactoryDetector"), ("azure_storage_key", "AzureStorageKeyDetector"),
    ("basic_auth", "BasicAuthDetector"), ("cloudant", "CloudantDetector"), ("discord", "DiscordBotTokenDetector"),
    ("github_token", "GitHubTokenDetector"), ("gitlab_token", "GitLabTokenDetector"),
    ("ibm_cloud_iam", "IbmCloudIamDetector"), ("ibm_cos_hmac", "IbmCosHmacDetector"), ("jwt", "JwtTokenDetector"),
    ("mailchimp", "MailchimpDetector"), ("npm", "NpmDetector"), ("openai", "OpenAIDetector"),
    ("private_key", "PrivateKeyDetector"), ("pypi_token", "PypiTokenDetector"), ("sendgrid", "SendGridDetector"),
    ("slack", "SlackDetector"), ("softlayer", "SoftlayerDetector"), ("square_oauth", "SquareOAuthDetector"),
    ("stripe", "StripeDetector"), ("telegram_token", "TelegramBotTokenDetector"), ("twilio", "TwilioKeyDetector"),
)
#: Lines worth handing to the detectors: a token-like run of 16+ characters with a digit, a key header, a URL
#: with a password.
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_=-]{16,}|BEGIN [A-Z ]*PRIVATE KEY|://[^\s:/@]+:[^\s@/]+@")
_ANY_CANDIDATE = re.compile(r"[A-Za-z0-9+/_=-]{16}|BEGIN [A-Z ]*PRIVATE KEY|://")
#: Key prefixes detect-secrets 1.5 does not know (see module docstring).
_EXTRA = re.compile(r"\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{20,})")


def _scanner():  # noqa: ANN202
    """``scan(line) -> [(type, value)]`` with detect-secrets' pattern plugins,
    instantiated once and asked through their own ``analyze_string`` (imported
    on first use; no detect-secrets settings are read or changed)."""
    global _SCAN
    if _SCAN is None:
        import importlib

        plugins = []
        for module_name, class_name in _PLUGINS:
            module = importlib.import_module(f"detect_secrets.plugins.{module_name}")
            plugins.append(getattr(module, class_name)())

        def scan(line: str) -> list[tuple[str, str]]:
            return [(p.secret_type, value) for p in plugins for value in p.analyze_string(line)]

        _SCAN = scan
    return _SCAN


_SCAN = None


def find_secrets(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of each credential in ``text`` (0-based offsets)."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    if not _ANY_CANDIDATE.search(text):
        return out  # most prompts: no token-like run at all
    for line in text.split("\n"):
        if any(c.isdigit() or c in "/:" for m in _CANDIDATE.finditer(line) for c in m.group(0)):
            found = [(m.group(1), "Provider API key") for m in _EXTRA.finditer(line)]
            if not found:
                found = [(value, kind) for kind, value in _scanner()(line)]
            for value, kind in found:
                if not value or "EXAMPLE" in value or re.fullmatch(r"\$\{[^}]*\}", value):
                    continue
                at = line.find(value)
                if at != -1:
                    out.append((pos + at, pos + at + len(value), kind))
        pos += len(line) + 1
    return out


def run(ctx: CheckContext) -> None:
    """One finding per credential, at its characters (text or front matter)."""
    a = ctx.analysis
    for start, end, kind in find_secrets(a.text):
        ctx.emit(start, end, kind=kind, fingerprint=f"secret {a.text[start:end][:6]}")
    prompt = a.prompt
    if prompt.origin == "file" and prompt.path == ctx.path and ctx.index.text.lstrip("\ufeff").startswith("---"):
        head = ctx.index.text[:prompt.main.anchor]  # the front matter of a prompt file
        from ..model import Span

        for start, end, kind in find_secrets(head):
            ctx.emit(0, 0, span=Span(ctx.index.position(start), ctx.index.position(end)), kind=kind,
                     fingerprint=f"secret {head[start:end][:6]}")
