"""Names a person would write: negation kept, unique, about the theme's subject, never a handle or the brand."""

import re

import numpy as np

from tests.themes.naming import (
    CARD_TEXTS,
    FEE_TEXTS,
    NOT_WORKING_TEXTS,
    REFUND_TEXTS,
    describe_themes,
    encode,
    unit_rows,
)
from voc.themes.naming import themes_describe_rows
from voc.themes.naming.names import UNNAMED, name_quality, theme_name


def test_the_name_is_the_top_bigram_when_customers_write_it():
    assert theme_name(["new card", "arrive", "waiting"], CARD_TEXTS) == "New card"


def test_the_name_combines_the_top_two_keywords_when_they_are_written_together():
    assert theme_name(["exchange rate", "fees", "purchase"], FEE_TEXTS) == "Exchange rate fees"


def test_a_bigram_that_nobody_wrote_loses_to_one_that_customers_did_write():
    texts = ["My new card has not arrived", "The new card has still not arrived"]

    assert theme_name(["card arrived", "new card"], texts) == "New card"


def test_a_bigram_with_one_stop_word_between_its_words_reads_well():
    texts = ["How do I activate my card?", "Can't activate the card in the app"]

    assert theme_name(["card", "activate card"], texts) == "Activate card"


def test_names_are_short_sentence_case_phrases():
    name = theme_name(["extraordinarilylongwordnumberone" * 2, "anotherextraordinarilylongword" * 2], ["x"])

    assert len(name) <= 60
    assert name[0].isupper()
    assert theme_name(["REFUND", "order"], REFUND_TEXTS) == "Refund order"


def test_without_keywords_the_name_comes_from_the_most_central_text():
    texts = ["Totally unrelated remark here", "Dark mode please", "Dark mode at night please"]
    vectors = unit_rows([[0, 1, 0], [1, 0.1, 0], [1, 0, 0.1]])

    assert theme_name([], texts, vectors).startswith("Dark mode")
    assert theme_name([], texts) == "Totally unrelated remark here"
    assert theme_name([], []) == UNNAMED


def _bag_of_words_encoder(vocabulary: list[str]):
    def encode(texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                if word in vocabulary:
                    rows[row, vocabulary.index(word)] += 1
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)

    return encode


def test_name_quality_is_the_share_of_names_nearest_their_majority_label():
    labels = ["card_arrival", "exchange_rate", "request_refund"]
    encode = _bag_of_words_encoder(["card", "arrival", "exchange", "rate", "request", "refund", "fees"])
    names = {1: "Card arrival", 2: "Exchange rate fees", 3: "Card arrival", 4: "Refund"}
    majority = {1: "card_arrival", 2: "exchange_rate", 3: "request_refund", 4: "request_refund"}

    assert name_quality(names, majority, labels, encode=encode) == 0.75


def test_name_quality_ignores_themes_without_a_majority_label_and_is_zero_when_none_have_one():
    labels = ["card_arrival", "exchange_rate"]
    encode = _bag_of_words_encoder(["card", "arrival", "exchange", "rate"])

    assert name_quality({1: "Card arrival", 2: "Exchange rate"}, {1: "card_arrival"}, labels, encode=encode) == 1.0
    assert name_quality({1: "Card arrival"}, {}, labels, encode=encode) == 0.0


def test_a_name_keeps_the_negation_its_texts_say():
    described = describe_themes({1: NOT_WORKING_TEXTS, 2: FEE_TEXTS, 3: REFUND_TEXTS})

    assert re.search(r"\b(not|n't|never|no)\b", described[1].name.lower())
    assert described[1].name[0].isupper()
    assert 2 <= len(described[1].name.split()) <= 6


def test_no_two_themes_share_a_name_even_when_their_texts_do():
    twin = [text.replace("card", "debit card") for text in NOT_WORKING_TEXTS]

    described = describe_themes({1: NOT_WORKING_TEXTS, 2: twin, 3: FEE_TEXTS})

    names = [description.name.lower() for description in described.values()]
    assert len(set(names)) == len(names)


def test_a_name_given_to_another_live_theme_is_not_given_again():
    first = describe_themes({1: NOT_WORKING_TEXTS, 2: FEE_TEXTS})[1].name
    texts = NOT_WORKING_TEXTS + FEE_TEXTS
    again = themes_describe_rows(
        rows_by_theme={1: np.arange(4), 2: np.arange(4, 7)}, vectors=encode(texts),
        texts_of=lambda wanted: {row: texts[row] for row in wanted}, encode=encode, taken_names=frozenset({first}),
    )

    assert again[1].name.lower() != first.lower()


def test_handles_links_tags_and_the_word_in_every_text_never_name_a_theme():
    themes = {
        1: [f"@acmeair my flight {n} was delayed again https://t.co/x{n} #fail" for n in range(6)],
        2: [f"@acmeair lost my bag on flight {n}, still no bag" for n in range(6)],
        3: [f"@acmeair the seat {n} was broken and the seat would not recline" for n in range(6)],
        4: [f"@acmeair refund for flight {n} never arrived" for n in range(6)],
    }

    described = describe_themes(themes)

    for description in described.values():
        said = " ".join([description.name, *description.keywords]).lower()
        assert not re.search(r"[@#]|http|t\.co|acmeair", said), said


def test_a_name_says_what_the_theme_is_about_not_only_how_it_went():
    top_up = ["My top-up didn't work", "My top up is not working", "It looks like my top up didn't work",
              "Top up not working again"]

    described = describe_themes({1: top_up, 2: NOT_WORKING_TEXTS, 3: FEE_TEXTS})

    assert "top" in described[1].name.lower()
    assert "card" in described[2].name.lower()
