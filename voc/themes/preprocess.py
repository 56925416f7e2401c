"""Clean feedback text before it is embedded: HTML, quoted replies, signatures, boilerplate and PII go.

Embeddings should capture what the customer said, not the thread it arrived in, their signature or their
phone number. Everything here is pure string work (standard library only), so it is cheap to run per item.
"""

import html
import re
from html.parser import HTMLParser

# Only run the HTML parser on text that really contains markup: a plain-text email header such as
# "Jane <jane@x.com> wrote:" would otherwise be parsed as a tag and lose its address.
_HTML_TAG = re.compile(
    r"<!--|</?(?:html|body|head|div|p|br|span|a|b|i|u|em|strong|ul|ol|li|table|tbody|tr|td|th|blockquote|pre"
    r"|h[1-6]|img|font|hr|script|style|meta|title|center|section|article)\b[^>]*>",
    re.IGNORECASE,
)

# Lines quoted from an earlier message in the thread.
_QUOTED_LINE = re.compile(r"^\s*>")
# Gmail / Apple Mail: "On Mon, 3 Mar 2025 at 10:00, Jane <jane@x.com> wrote:" (a date or time is required, so a
# customer's own "On Monday I wrote:" is not mistaken for a header).
_REPLY_HEADER = re.compile(r"^\s*On\s.*\d.*\bwrote:\s*$", re.IGNORECASE)
# Outlook: a "From:" line followed by "Sent:"/"Date:", either on the next lines or run together on one line.
_FROM_LINE = re.compile(r"^\s*\*?From:\*?\s", re.IGNORECASE)
_SENT_LINE = re.compile(r"^\s*\*?(?:Sent|Date):\*?\s", re.IGNORECASE)
_FROM_SENT_INLINE = re.compile(r"^\s*\*?From:\*?\s.*\b(?:Sent|Date):\s", re.IGNORECASE)
# Markers after which nothing is the customer's own words: older messages, helpdesk history, legal footers.
_CUT_MARKER = re.compile(
    r"^\s*-{2,}\s*Original Message\s*-{2,}"
    r"|(?:type|write|enter) your reply above this line"
    r"|^\s*(?:this|the information in this) (?:e-?mail|message|communication)\b.{0,120}"
    r"\b(?:confidential|privileged|intended (?:solely |only )?for)"
    r"|^\s*(?:confidentiality notice|disclaimer)\b",
    re.IGNORECASE,
)
# Single lines of client boilerplate and Outlook's horizontal rule.
_BOILERPLATE_LINE = re.compile(
    r"^\s*(?:sent from my \w+.*|sent from (?:mail|outlook|yahoo mail) for \w+.*|get outlook for \w+.*|_{10,})\s*$",
    re.IGNORECASE,
)
# RFC 3676 signature delimiter ("-- "); many clients drop the trailing space.
_SIGNATURE_DELIMITER = re.compile(r"^--\s*$")
# A sign-off line, optionally followed by a capitalised name on the same line ("Thanks, Jane").
_SIGN_OFF = re.compile(
    r"^\s*(?i:thanks(?: (?:a lot|again|so much|in advance))?|thank you(?: so much)?|many thanks|cheers|best"
    r"|best regards|kind regards|warm regards|regards|sincerely|yours (?:truly|sincerely)|all the best)"
    r"\s*[,.!]?(?:\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2})?\s*$"
)
# What may follow a sign-off and still be a signature: a few short name / title / phone lines.
_SIGNATURE_MAX_LINES = 5
_SIGNATURE_MAX_LINE_LENGTH = 50

# The local part takes every character RFC 5322 allows there ("o'brien", "{ops}"), not only the common ones, or
# an address like "{@acme.io" would pass whole.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Country code, two check digits, then 11-30 letters/digits, written compactly or in groups of four.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])")
# 13-19 digits, optionally split by single spaces or dashes; not inside a word, a "+phone" or "INV-2025-...".
_CARD = re.compile(r"(?<![\w+-])\d(?:[ -]?\d){12,18}(?!\w)")
_PHONE = re.compile(
    r"""
    (?<![\w+/-])                       # not the tail of a word, a "+phone", "INV-2025-" or a date
    (?:
        \+\d{7,15}                          # +14155550132
      | (?:\+\d{1,3}[ .-]?)?                # optional country code: +44 / +1-
        (?:\(\d{1,5}\)[ .-]?)?              # optional area code in brackets: (415) / (0)
        \d{2,5}(?:[ .-]\d{2,5}){1,5}        # digit groups joined by separators
    )
    (?![\w/])
    """,
    re.VERBOSE,
)
# Dates use the same separators as phone numbers; "2025-03-02" and "03.02.2025" must survive.
_DATE_LIKE = re.compile(r"\d{4}[.-]\d{1,2}[.-]\d{1,2}|\d{1,2}[.-]\d{1,2}[.-]\d{2,4}")


class _TextExtractor(HTMLParser):
    """Collect the visible text of an HTML fragment, one line per block and quoted blocks marked with '>'."""

    SKIP_TAGS = frozenset({"script", "style", "template", "title"})
    HEADINGS = frozenset(f"h{level}" for level in range(1, 7))
    BREAK_TAGS = frozenset({"br", "p", "div", "li", "ul", "ol", "tr", "table", "blockquote", "pre", "hr"}) | HEADINGS

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skip_depth = 0
        self._quote_depth = 0
        self._pre_depth = 0
        self._at_line_start = True

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._open_or_close(tag, +1)

    def handle_endtag(self, tag: str) -> None:
        self._open_or_close(tag, -1)

    def _open_or_close(self, tag: str, step: int) -> None:
        if tag in self.SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth + step)
        elif tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth + step)
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth + step)
        if tag in self.BREAK_TAGS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        # Source newlines in HTML are just spaces, except inside <pre>.
        chunks = data.split("\n") if self._pre_depth else [re.sub(r"\s+", " ", data)]
        for index, chunk in enumerate(chunks):
            if index:
                self._newline()
            if self._at_line_start and chunk.strip():
                # Gmail and Outlook put the earlier message in a <blockquote>; mark it like a plain-text quote.
                self._parts.append("> " * bool(self._quote_depth) + chunk.lstrip())
                self._at_line_start = False
            elif not self._at_line_start:
                self._parts.append(chunk)

    def _newline(self) -> None:
        self._parts.append("\n")
        self._at_line_start = True

    def text(self) -> str:
        return "".join(self._parts)


def html_to_text(text: str) -> str:
    """Visible text of an HTML body (script/style dropped, entities decoded); plain text is only unescaped."""
    if not _HTML_TAG.search(text):
        return html.unescape(text)
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return parser.text()


def strip_replies_and_signature(text: str) -> str:
    """The author's own words: earlier messages, quoted lines, boilerplate and the signature removed."""
    lines = text.splitlines()
    lines = lines[: _reply_start(lines)]
    lines = [line for line in lines if not _QUOTED_LINE.match(line) and not _BOILERPLATE_LINE.match(line)]
    lines = lines[: _signature_start(lines)]
    return "\n".join(lines)


def _reply_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        following = lines[index + 1 : index + 4]
        # Plain-text Gmail wraps a long "On ... wrote:" header onto a second line.
        joined = f"{line} {following[0]}" if following else line
        if _CUT_MARKER.search(line) or _REPLY_HEADER.match(line) or _REPLY_HEADER.match(joined):
            return index
        if _FROM_SENT_INLINE.match(line) or (_FROM_LINE.match(line) and any(map(_SENT_LINE.match, following))):
            return index
    return len(lines)


def _signature_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if _SIGNATURE_DELIMITER.match(line):
            return index
    for index, line in enumerate(lines):
        if _SIGN_OFF.match(line) and _is_signature_tail(lines[index + 1 :]):
            return index
    return len(lines)


def _is_signature_tail(lines: list[str]) -> bool:
    tail = [line.strip() for line in lines if line.strip()]
    return len(tail) <= _SIGNATURE_MAX_LINES and all(
        len(line) <= _SIGNATURE_MAX_LINE_LENGTH and not line.endswith("?") for line in tail
    )


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _redact_iban(match: re.Match) -> str:
    compact = match.group().replace(" ", "")
    # Letters-only tails ("AB12 WORD WORD ...") are shouting, not bank accounts.
    is_iban = 15 <= len(compact) <= 34 and sum(char.isdigit() for char in compact[4:]) >= 8
    return "[iban]" if is_iban else match.group()


def _redact_card(match: re.Match) -> str:
    raw = match.group()
    digits = re.sub(r"\D", "", raw)
    # A grouped number that fails Luhn and fits in E.164's 15 digits is more likely a phone number; leave it to
    # the phone pattern. Unbroken runs and anything longer are redacted either way.
    if _luhn_valid(digits) or digits == raw or len(digits) > 15:
        return "[card]"
    return raw


def _redact_phone(match: re.Match) -> str:
    raw = match.group()
    digit_count = sum(char.isdigit() for char in raw)
    if not 7 <= digit_count <= 15 or _DATE_LIKE.fullmatch(raw):
        return raw
    return "[phone]"


def pii_redact(text: str) -> str:
    """Replace email addresses, IBANs, card numbers and phone numbers with placeholders."""
    # Order matters: emails and IBANs contain digit runs the card and phone patterns would otherwise take.
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub(_redact_iban, text)
    text = _CARD.sub(_redact_card, text)
    return _PHONE.sub(_redact_phone, text)


def _collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def text_for_embedding(text: str) -> str:
    """The customer's own words from a feedback body, cleaned and PII-redacted, ready to embed."""
    plain = html_to_text(text)
    cleaned = _collapse_whitespace(pii_redact(strip_replies_and_signature(plain)))
    if cleaned:
        return cleaned
    # Everything looked like a quote or a signature (e.g. a bare forward): keep the text rather than nothing.
    unquoted = "\n".join(re.sub(r"^\s*(?:>\s?)+", "", line) for line in plain.splitlines())
    return _collapse_whitespace(pii_redact(unquoted))
