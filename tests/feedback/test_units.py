"""Feedback units: one per problem an item raises, with offsets into its text; pleasantries are none."""

from hypothesis import given
from hypothesis import strategies as st

from voc.feedback.units import text_units

THREE_PROBLEMS = (
    "Hi team,\n\nThe export times out on big reports. Also the SSO login loops on Safari every morning. "
    "Another thing: your invoice PDF shows the wrong VAT rate.\nThanks, Maria"
)


def words(text):
    return [unit.text for unit in text_units(text)]


def test_a_note_raising_three_problems_is_three_units():
    assert words(THREE_PROBLEMS) == [
        "The export times out on big reports.",
        "the SSO login loops on Safari every morning.",
        "your invoice PDF shows the wrong VAT rate.",
    ]


def test_each_unit_keeps_its_offsets_into_the_stored_text():
    for unit in text_units(THREE_PROBLEMS):
        assert THREE_PROBLEMS[unit.start : unit.end] == unit.text


def test_greetings_thanks_apologies_and_sign_offs_are_no_units():
    for pleasantry in ("@acme thanks!", "ok DMed you", "Thanks, Maria", "Sorry to bother you", "Hi team,", "Cheers!"):
        assert text_units(pleasantry) == [], pleasantry


def test_a_word_that_only_sounds_polite_is_still_feedback():
    assert words("Again.") == ["Again."]
    assert words("Card declined. Again.") == ["Card declined. Again."]


def test_a_short_item_is_one_unit_however_it_is_punctuated():
    assert words("Export fails. On big files. Always.") == ["Export fails. On big files. Always."]


def test_a_short_phrase_led_by_a_preposition_qualifies_the_sentence_before_it():
    assert words("The export fails every night. On big files only.") == [
        "The export fails every night. On big files only."
    ]


def test_an_announced_second_problem_is_a_unit_however_short_the_item():
    assert words("Card declined. Also, app slow.") == ["Card declined.", "app slow."]


def test_a_short_problem_before_an_announced_one_stays_a_unit_of_its_own():
    assert words("My transfer is pending. Also, where do I top up with cash?") == [
        "My transfer is pending.", "where do I top up with cash?"
    ]


def test_sentences_of_one_paragraph_without_a_connective_are_one_unit():
    text = "My top-up failed this morning. I tried twice with two cards. Can you check what happened?"
    assert words(text) == [text]


def test_a_unit_of_sentences_that_stand_alone_offers_them_as_parts_with_their_offsets():
    text = "The export times out on big reports. The SSO login loops on Safari. Can you check?"
    [unit] = text_units(text)
    assert [part.text for part in unit.parts] == [
        "The export times out on big reports.", "The SSO login loops on Safari. Can you check?",
    ]
    assert all(text[part.start : part.end] == part.text for part in unit.parts)
    assert text_units("My card was declined at the shop.")[0].parts == ()


def test_each_list_item_or_paragraph_is_a_unit_of_its_own():
    assert words("Export is slow on big reports.\n\n- SSO loops on Safari\n- Invoice PDF shows the wrong VAT") == [
        "Export is slow on big reports.", "SSO loops on Safari", "Invoice PDF shows the wrong VAT",
    ]


def test_a_new_sentence_opened_by_and_is_another_problem():
    assert words("My card was declined at the shop. And the app logs me out every hour.") == [
        "My card was declined at the shop.", "the app logs me out every hour.",
    ]


def test_a_question_made_of_function_words_asks_about_the_sentence_before_it():
    text = "I see payments in the app that I did not make. Can you find out what's going on here?"
    assert words(text) == [text]


def test_a_request_for_help_joins_the_problem_before_it():
    text = "My card keeps getting declined when I top up. Could you please resolve this issue or advise other options?"
    assert words(text) == [text]


def test_a_sentence_that_points_back_joins_the_one_before_it():
    text = "The mobile app crashes when I open my statements. It started after the last update on Monday."
    assert words(text) == [text]


def test_an_html_body_gives_its_visible_words_without_offsets():
    [unit] = text_units("<p>Hi,</p><p>The export &amp; import both fail on large files.</p>")
    assert (unit.text, unit.start, unit.end) == ("The export & import both fail on large files.", None, None)


def test_an_empty_or_punctuation_only_text_has_no_units():
    assert text_units("") == text_units("  \n ") == text_units(":) !!") == []


@given(st.text(max_size=400))
def test_any_text_splits_without_error_into_ordered_spans_of_its_own_words(text):
    units = text_units(text)
    end = 0
    for unit in units:
        assert unit.text.strip()
        if unit.start is not None:
            assert text[unit.start : unit.end] == unit.text
            assert unit.start >= end
            end = unit.end


@given(st.lists(st.sampled_from([
    "The export times out on big reports.", "The SSO login loops on Safari.", "Invoices show the wrong VAT.",
    "Thanks!", "Hi team,", "Sorry to bother you.", "Cheers, Tom",
]), min_size=1, max_size=6))
def test_pleasantries_never_become_units_and_problems_are_never_lost(sentences):
    units = words(" ".join(sentences))
    joined = " ".join(units)
    for sentence in sentences:
        if sentence[0] == "T" and sentence != "Thanks!":
            assert sentence.rstrip(".").split()[1] in joined  # each problem is in some unit
    assert not any(unit in {"Thanks!", "Hi team,", "Sorry to bother you.", "Cheers, Tom"} for unit in units)
