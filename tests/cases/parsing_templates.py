"""Prompt templates that pull structured fields out of free text."""

TAGS_TMPL = (
    "A help-centre article is given below. Suggest at most {max_tags} tags for it. "
    "Use lowercase words only."
    "=====\n"
    "{article}\n"
    "=====\n"
    "Reply on one line in the format 'TAGS: tag1, tag2, ...'\n"
)

CONTACT_CARD_TMPL = """Read the email signature and fill in the contact card.

Signature:
{signature}

Return JSON shaped like this example:
{"name": "Dana Reyes", "phone": "+1 555 0100", "company": "Northwind"}
"""

CONTACT_CARD_SAFE_TMPL = """Read the email signature and fill in the contact card.

Signature:
{signature}

Return JSON shaped like this example:
{{"name": "Dana Reyes", "phone": "+1 555 0100", "company": "Northwind"}}
"""


def render_tags(article: str) -> str:
    return TAGS_TMPL.format(max_tags=5, article=article)
