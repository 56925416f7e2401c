"""Text from the HTML some APIs send (Intercom messages, HubSpot notes): tags out, entities decoded, paragraphs kept."""

import re
from html import unescape

from django.utils.html import strip_tags

# Block-level ends become line breaks, so that "<p>One</p><p>Two</p>" reads "One\nTwo", not "OneTwo".
BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|pre)>", re.IGNORECASE)
BLANK_LINES = re.compile(r"\n\s*\n+")


def html_text(html: str) -> str:
    text = unescape(strip_tags(BLOCK_END.sub("\n", html or "")))
    return BLANK_LINES.sub("\n\n", text.replace("\xa0", " ")).strip()
