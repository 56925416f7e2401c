"""Keywords: distinctive terms per theme, read with their negation, never a handle, number or PII."""


from tests.themes.naming import (
    CARD_TEXTS,
    FEE_TEXTS,
    NOT_WORKING_TEXTS,
    REFUND_TEXTS,
)
from voc.themes.naming.keywords import theme_keywords


def test_each_theme_gets_its_own_distinctive_keywords_best_first():
    keywords = theme_keywords({1: CARD_TEXTS, 2: FEE_TEXTS, 3: REFUND_TEXTS})

    assert keywords[1][0] == "new card"
    assert keywords[2][0] == "exchange rate"
    assert "refund" in keywords[3][0]
    assert not set(keywords[1]) & set(keywords[2])


def test_keywords_are_lower_case_without_stop_words_or_numbers():
    keywords = theme_keywords({1: ["The CARD was DECLINED 3 times at 12:30", "Card declined again at the shop"]})

    words = {word for keyword in keywords[1] for word in keyword.split()}
    assert "card" in words
    assert words.isdisjoint({"the", "was", "at", "3", "12", "30"})
    assert all(keyword == keyword.lower() for keyword in keywords[1])


def test_no_email_address_or_phone_number_becomes_a_keyword():
    texts = [
        "Call me on +44 20 7946 0958 about the refund, or write to jane.doe@example.com",
        "Refund please: jane.doe@example.com or 020 7946 0958",
    ]

    keywords = theme_keywords({1: texts, 2: CARD_TEXTS})

    words = {word for keyword in keywords[1] for word in keyword.split()}
    assert "refund" in words
    assert words.isdisjoint({"jane", "doe", "example", "com", "email", "phone"})


def test_a_word_already_in_a_higher_ranked_bigram_is_dropped():
    keywords = theme_keywords({1: CARD_TEXTS, 2: FEE_TEXTS, 3: REFUND_TEXTS})

    assert "new card" in keywords[1]
    assert "card" not in keywords[1]
    assert "new" not in keywords[1]
    assert "rate" not in keywords[2]


def test_it_returns_at_most_top_n_keywords():
    keywords = theme_keywords({1: CARD_TEXTS, 2: FEE_TEXTS}, top_n=2)

    assert len(keywords[1]) == 2
    assert len(keywords[2]) == 2


def test_a_theme_with_one_text_still_gets_keywords():
    keywords = theme_keywords({1: ["Dark mode would be lovely"], 2: CARD_TEXTS})

    assert keywords[1]
    assert {"dark", "mode", "lovely"} & {word for keyword in keywords[1] for word in keyword.split()}


def test_a_single_theme_gets_keywords():
    keywords = theme_keywords({7: CARD_TEXTS})

    assert list(keywords) == [7]
    assert "new card" in keywords[7]


def test_themes_with_nothing_but_stop_words_get_no_keywords():
    assert theme_keywords({1: ["it is what it is", "and so on"], 2: []}) == {1: [], 2: []}
    assert theme_keywords({}) == {}


def test_rare_one_off_words_are_left_out_when_there_are_many_texts():
    card = [f"My card has not arrived, order {number}" for number in range(15)]
    fees = [f"The fee was too high on payment {number}" for number in range(15)]
    card[0] += " xylophone"

    keywords = theme_keywords({1: card, 2: fees})

    assert not any("xylophone" in keyword for keyword in keywords[1])


def test_keywords_are_deterministic():
    themes = {1: CARD_TEXTS, 2: FEE_TEXTS, 3: REFUND_TEXTS}

    assert theme_keywords(themes) == theme_keywords(dict(themes))


def test_keywords_keep_the_negation_and_never_read_as_the_opposite():
    keywords = theme_keywords({1: NOT_WORKING_TEXTS + ["The card doesn't work abroad"], 2: FEE_TEXTS})

    assert "not working" in keywords[1]
    assert not {"card working", "card work", "working"} & set(keywords[1])
