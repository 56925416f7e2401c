"""PII redaction before embedding (voc/themes/preprocess.py): an email address or a phone number anywhere in any
text never reaches the embedding."""

import re

from hypothesis import assume, given
from hypothesis import strategies as st

from tests.fuzz.strategies import texts
from voc.themes.preprocess import pii_redact, text_for_embedding

# Addresses as people write them: the characters mail providers allow in a local part, any domain.
local_parts = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,24}", fullmatch=True).filter(lambda part: ".." not in part)
domains = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,12}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?)*"
                        r"\.[A-Za-z]{2,10}", fullmatch=True)
emails = st.tuples(local_parts, domains).map("@".join) | st.emails()  # and every address RFC 5322 allows

digits = st.text("0123456789", min_size=2, max_size=4)


@st.composite
def phones(draw) -> str:
    """A phone number in one of the ways people write them: +14155550132, +44 20 7946 0958, (415) 555-0132..."""
    if draw(st.booleans()):
        return "+" + draw(st.text("123456789", min_size=1, max_size=1)) + draw(st.text("0123456789", min_size=6,
                                                                                       max_size=13))
    separator = draw(st.sampled_from([" ", "-", "."]))
    country = draw(st.sampled_from(["", "+1 ", "+44 ", "+49 ", "+86-", "+353."]))
    area = draw(st.sampled_from(["", "(415) ", "(0)", "(020) "]))
    groups = draw(st.lists(digits, min_size=2, max_size=4))
    phone = country + area + separator.join(groups)
    assume(7 <= sum(char.isdigit() for char in phone) <= 15)
    # Dates use the same separators and are kept on purpose ("It broke on 03.02.2025", tests/themes).
    assume(not re.fullmatch(r"\d{4}[.-]\d{1,2}[.-]\d{1,2}|\d{1,2}[.-]\d{1,2}[.-]\d{2,4}", phone))
    return phone


around = texts(huge=False)
# What may stand right next to the address or number: a space, a line break, or punctuation around it.
edges = st.sampled_from([(" ", " "), ("\n", "\n"), (" (", ") "), (" <", "> "), (": ", ". "), (" '", "', ")])


@given(before=around, address=emails, edge=edges, after=around)
def test_an_email_address_anywhere_is_redacted(before, address, edge, after):
    text = before + edge[0] + address + edge[1] + after

    for cleaned in (pii_redact(text), text_for_embedding(text)):
        assert address not in cleaned
        assert "@" + address.split("@")[1] not in cleaned


@given(before=around, phone=phones(), edge=edges, after=around)
def test_a_phone_number_anywhere_is_redacted(before, phone, edge, after):
    text = before + edge[0] + phone + edge[1] + after

    for cleaned in (pii_redact(text), text_for_embedding(text)):
        assert phone not in cleaned
