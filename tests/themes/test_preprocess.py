import pytest

from voc.themes.preprocess import html_to_text, pii_redact, text_for_embedding

ZENDESK_HTML = (
    '<div class="zd-comment" dir="auto">'
    '<p dir="auto">Hi team,</p>'
    '<p dir="auto">The CSV export has been failing since Monday &mdash; we get a 500 error &amp; '
    "nothing downloads.</p>"
    "<ul><li>Chrome 122</li><li>Safari 17</li></ul>"
    '<p dir="auto">Thanks,<br>Priya<br>Ops Lead, Acme</p>'
    "</div>"
)

GMAIL_REPLY = """Still broken after the update, the dashboard shows no data for March.

On Mon, 3 Mar 2025 at 10:00, Jane Support <jane@helpdesk.example> wrote:
> Hi Sam, could you try again after clearing the cache?
>
> Jane
"""

GMAIL_REPLY_WRAPPED = """The invoice total is wrong again.

On Mon, Mar 3, 2025 at 10:00 AM Jane Support from Helpdesk <
jane@helpdesk.example> wrote:
Earlier message that was not prefixed with a quote marker.
"""

GMAIL_HTML_REPLY = (
    '<div dir="ltr">Search is much slower since yesterday.</div><br>'
    '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, 4 Mar 2025 at 09:12, Jane '
    "&lt;jane@helpdesk.example&gt; wrote:<br></div>"
    '<blockquote class="gmail_quote">Thanks for reporting the slowness.</blockquote></div>'
)

OUTLOOK_REPLY = """Yes, the SSO login loop happens for every user in our tenant.

________________________________
From: Jane Support <jane@helpdesk.example>
Sent: Monday, March 3, 2025 10:00 AM
To: Sam Customer <sam@acme.example>
Subject: RE: SSO login loop

Can you tell us how many users are affected?
"""

OUTLOOK_ORIGINAL_MESSAGE = """Please add dark mode to the mobile app.

-----Original Message-----
From: Jane Support
Asked whether you had any other requests.
"""


def test_it_strips_html_tags_and_decodes_entities_from_a_zendesk_ticket():
    assert text_for_embedding(ZENDESK_HTML) == (
        "Hi team, The CSV export has been failing since Monday — we get a 500 error & nothing downloads. "
        "Chrome 122 Safari 17"
    )


def test_it_keeps_block_tags_as_line_breaks():
    assert html_to_text("<p>One</p><p>Two<br>Three</p><div>Four</div><ul><li>Five</li></ul>").split() == [
        "One",
        "Two",
        "Three",
        "Four",
        "Five",
    ]
    assert "One\n" in html_to_text("<p>One</p><p>Two</p>")


def test_it_drops_script_and_style_contents_entirely():
    body = "<p>Export broken</p><script>alert(1)</script><style>p { color: red }</style>"

    assert text_for_embedding(body) == "Export broken"


def test_it_drops_an_unclosed_script_to_the_end():
    assert text_for_embedding("<p>Export broken</p><script>alert(1)") == "Export broken"


def test_it_leaves_a_plain_text_angle_bracket_alone():
    assert text_for_embedding("Load time went from < 1s to > 5s") == "Load time went from < 1s to > 5s"


def test_it_removes_a_gmail_style_quoted_reply():
    assert text_for_embedding(GMAIL_REPLY) == "Still broken after the update, the dashboard shows no data for March."


def test_it_removes_a_gmail_reply_header_wrapped_over_two_lines():
    assert text_for_embedding(GMAIL_REPLY_WRAPPED) == "The invoice total is wrong again."


def test_it_removes_a_quoted_reply_inside_an_html_blockquote():
    assert text_for_embedding(GMAIL_HTML_REPLY) == "Search is much slower since yesterday."


def test_it_removes_an_outlook_from_sent_block_and_everything_after_it():
    assert text_for_embedding(OUTLOOK_REPLY) == "Yes, the SSO login loop happens for every user in our tenant."


def test_it_removes_an_outlook_reply_run_together_on_one_line():
    body = "<p>Reports time out.</p><p>From: Jane Support Sent: Monday, March 3, 2025 To: Sam Subject: RE</p>"

    assert text_for_embedding(body) == "Reports time out."


def test_it_removes_everything_from_an_original_message_marker():
    assert text_for_embedding(OUTLOOK_ORIGINAL_MESSAGE) == "Please add dark mode to the mobile app."


def test_it_removes_interleaved_quoted_lines_but_keeps_the_answers():
    body = "> Which browser?\nFirefox 124.\n> Which plan?\nEnterprise."

    assert text_for_embedding(body) == "Firefox 124. Enterprise."


def test_it_does_not_treat_a_customers_own_sentence_starting_with_on_as_a_reply_header():
    body = "On the billing page I wrote: please stop charging twice."

    assert text_for_embedding(body) == body


def test_it_removes_a_signature_after_the_standard_delimiter():
    body = "The API returns 429 far too early.\n-- \nSam Customer\nCTO, Acme\nhttps://acme.example"

    assert text_for_embedding(body) == "The API returns 429 far too early."


@pytest.mark.parametrize(
    "sign_off",
    ["Thanks,", "Best regards,", "Kind regards,", "Cheers,", "Thanks, Sam", "Many thanks!", "Regards"],
)
def test_it_removes_a_sign_off_followed_by_short_name_lines(sign_off):
    body = f"Please add SAML support.\n\n{sign_off}\nSam Customer\nHead of IT, Acme Ltd\n+44 20 7946 0958"

    assert text_for_embedding(body) == "Please add SAML support."


def test_it_keeps_text_after_a_sign_off_when_it_is_more_than_a_signature():
    body = (
        "Please add SAML support.\n\nThanks,\nSam\n\n"
        "P.S. We also saw the mobile app crash every time we open a report with more than ten charts in it."
    )

    assert "mobile app crash" in text_for_embedding(body)


def test_it_keeps_a_sentence_that_starts_with_thanks():
    body = "Thanks for fixing the export, it works now."

    assert text_for_embedding(body) == body


@pytest.mark.parametrize(
    "boilerplate",
    ["Sent from my iPhone", "Sent from my Samsung Galaxy smartphone.", "Get Outlook for iOS"],
)
def test_it_removes_mobile_client_boilerplate(boilerplate):
    assert text_for_embedding(f"The app logs me out every hour.\n\n{boilerplate}") == "The app logs me out every hour."


def test_it_removes_a_confidentiality_disclaimer_and_what_follows():
    body = (
        "Our exports are missing the region column.\n\n"
        "This email and any attachments are confidential and intended solely for the addressee. If you have "
        "received it in error, please notify the sender."
    )

    assert text_for_embedding(body) == "Our exports are missing the region column."


def test_it_removes_zendesk_reply_above_this_line_history():
    body = (
        "##- Please type your reply above this line -##\n\n"
        "Your request (4521) has been updated.\n\nJane (Acme Support)\nHi Sam, any news?"
    )
    reply = "The webhook retries never stop.\n\n" + body

    assert text_for_embedding(reply) == "The webhook retries never stop."


def test_it_falls_back_to_the_whole_text_when_everything_was_quoted():
    body = "> The reporting page is blank\n> for every user since Friday.\n> Call me on +1-202-555-0143"

    assert text_for_embedding(body) == "The reporting page is blank for every user since Friday. Call me on [phone]"


def test_it_falls_back_to_the_text_when_the_message_is_only_a_sign_off():
    assert text_for_embedding("Thanks!") == "Thanks!"


def test_it_returns_an_empty_string_for_empty_input():
    assert text_for_embedding("  <p> </p>  ") == ""


def test_it_collapses_whitespace():
    assert text_for_embedding("Too   much\t\tspace\n\n\nhere ") == "Too much space here"


def test_it_redacts_pii_in_the_text_for_embedding():
    body = "<p>Email me at sam.customer+voc@acme.example or call (415) 555-0132.</p>"

    assert text_for_embedding(body) == "Email me at [email] or call [phone]."


@pytest.mark.parametrize(
    "address",
    ["jane@x.com", "sam.customer+voc@acme.example", "first_last@mail.example.co.uk"],
)
def test_it_redacts_email_addresses(address):
    assert pii_redact(f"Reach me at {address} please") == "Reach me at [email] please"


@pytest.mark.parametrize(
    "phone",
    ["+44 20 7946 0958", "(415) 555-0132", "415.555.0132", "+1-202-555-0143", "020 7946 0958", "+14155550132"],
)
def test_it_redacts_phone_numbers_in_international_and_national_formats(phone):
    assert pii_redact(f"Call {phone} after 5pm") == "Call [phone] after 5pm"


@pytest.mark.parametrize(
    "card",
    ["4111 1111 1111 1111", "5500-0000-0000-0004", "4111111111111111", "378282246310005"],
)
def test_it_redacts_card_numbers(card):
    assert pii_redact(f"My card {card} was charged twice") == "My card [card] was charged twice"


def test_it_redacts_a_long_digit_run_that_fails_the_luhn_check():
    assert pii_redact("Card 4111111111111112 declined") == "Card [card] declined"


def test_it_leaves_a_grouped_phone_length_number_that_fails_luhn_to_the_phone_pattern():
    assert pii_redact("Call +86 138 0013 8000 today") == "Call [phone] today"


@pytest.mark.parametrize("iban", ["GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", "DE89370400440532013000"])
def test_it_redacts_ibans(iban):
    assert pii_redact(f"Refund to {iban} please") == "Refund to [iban] please"


@pytest.mark.parametrize(
    "text",
    [
        "I was charged $25 twice",
        "Refund of €1,250.00 took 3 days",
        "order 1234 never arrived",
        "Since 2025 the report is slower",
        "It broke on 03/02/2025",
        "It broke on 2025-03-02",
        "It broke on 03.02.2025",
        "The 2FA code 482913 expired",
        "Invoice INV-2025-0042 is wrong",
        "Version 4.12.1 fixed it",
        "ABCD WORD TEXT HERE SHOUTING",
    ],
)
def test_it_does_not_redact_amounts_dates_order_numbers_or_years(text):
    assert pii_redact(text) == text
