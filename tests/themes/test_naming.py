import re

import numpy as np

from voc.themes.naming import (
    UNNAMED,
    core_quote_indices,
    name_quality,
    phrase_candidates,
    representative_indices,
    theme_keywords,
    theme_name,
    themes_describe_rows,
)

CARD_TEXTS = [
    "My new card has not arrived yet",
    "When will my new card arrive?",
    "Still waiting for the new card to arrive",
    "Ordered a new card two weeks ago, where is it?",
]
FEE_TEXTS = [
    "Why are the exchange rate fees so high?",
    "The exchange rate fees are too much",
    "You charged an exchange rate fee on my purchase",
]
REFUND_TEXTS = [
    "I want a refund for my order",
    "The refund for my order never came",
    "How long does a refund take?",
]


def _unit(rows) -> np.ndarray:
    vectors = np.asarray(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


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
    vectors = _unit([[0, 1, 0], [1, 0.1, 0], [1, 0, 0.1]])

    assert theme_name([], texts, vectors).startswith("Dark mode")
    assert theme_name([], texts) == "Totally unrelated remark here"
    assert theme_name([], []) == UNNAMED


def test_representatives_are_central_and_not_near_duplicates():
    # 1 is a near-copy of 0 and closer to the centre than 3; the outlier 4 is far from the centre.
    vectors = _unit([[1, 0.2, 0], [1, 0.21, 0], [1, -0.2, 0], [1, 0, 0.3], [0, 0, 1]])
    centroid = np.array([1.0, 0.0, 0.0])

    assert representative_indices(vectors, centroid, count=3, diversity=0.0) == [0, 2, 1]
    assert representative_indices(vectors, centroid, count=3) == [0, 2, 3]


def test_with_no_diversity_the_representatives_are_simply_the_closest():
    vectors = _unit([[1, 0.05, 0], [1, 0.06, 0], [1, 0, 0.4], [0, 0, 1]])
    centroid = np.array([1.0, 0.0, 0.0])

    assert representative_indices(vectors, centroid, count=3, diversity=0.0) == [0, 1, 2]


def test_representatives_handle_fewer_vectors_than_asked_for():
    vectors = _unit([[1, 0], [0, 1]])

    assert sorted(representative_indices(vectors, vectors.mean(axis=0), count=3)) == [0, 1]
    assert representative_indices(vectors[:0], np.zeros(2), count=3) == []
    assert representative_indices(vectors, vectors.mean(axis=0), count=0) == []


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


# --- Names customers wrote, judged by the embedding model ---------------------------------------------------------

NOT_WORKING_TEXTS = [
    "My card is not working at all",
    "Why isn't my card working?",
    "card not working in shops since Monday",
    "The card is still not working after the reset",
]


def _encode(texts: list[str]) -> np.ndarray:
    from voc.themes.embedding import encoder_get

    return encoder_get().encode(texts)


def _described(themes: dict[int, list[str]]):
    texts = [text for group in themes.values() for text in group]
    rows, start = {}, 0
    for theme, group in themes.items():
        rows[theme] = np.arange(start, start + len(group))
        start += len(group)
    return themes_describe_rows(
        rows_by_theme=rows, vectors=_encode(texts), texts_of=lambda wanted: {row: texts[row] for row in wanted},
        encode=_encode,
    )


def test_a_phrase_right_after_a_negation_does_not_count_for_the_opposite():
    phrases = phrase_candidates(NOT_WORKING_TEXTS)

    assert "card not working" in phrases
    assert "card working" not in phrases  # only ever said as "isn't my card working"


def test_a_name_keeps_the_negation_its_texts_say():
    described = _described({1: NOT_WORKING_TEXTS, 2: FEE_TEXTS, 3: REFUND_TEXTS})

    assert re.search(r"\b(not|n't|never|no)\b", described[1].name.lower())
    assert described[1].name[0].isupper()
    assert 2 <= len(described[1].name.split()) <= 6


def test_no_two_themes_share_a_name_even_when_their_texts_do():
    twin = [text.replace("card", "debit card") for text in NOT_WORKING_TEXTS]

    described = _described({1: NOT_WORKING_TEXTS, 2: twin, 3: FEE_TEXTS})

    names = [description.name.lower() for description in described.values()]
    assert len(set(names)) == len(names)


def test_a_name_given_to_another_live_theme_is_not_given_again():
    first = _described({1: NOT_WORKING_TEXTS, 2: FEE_TEXTS})[1].name
    texts = NOT_WORKING_TEXTS + FEE_TEXTS
    again = themes_describe_rows(
        rows_by_theme={1: np.arange(4), 2: np.arange(4, 7)}, vectors=_encode(texts),
        texts_of=lambda wanted: {row: texts[row] for row in wanted}, encode=_encode, taken_names=frozenset({first}),
    )

    assert again[1].name.lower() != first.lower()


def test_handles_links_tags_and_the_word_in_every_text_never_name_a_theme():
    themes = {
        1: [f"@acmeair my flight {n} was delayed again https://t.co/x{n} #fail" for n in range(6)],
        2: [f"@acmeair lost my bag on flight {n}, still no bag" for n in range(6)],
        3: [f"@acmeair the seat {n} was broken and the seat would not recline" for n in range(6)],
        4: [f"@acmeair refund for flight {n} never arrived" for n in range(6)],
    }

    described = _described(themes)

    for description in described.values():
        said = " ".join([description.name, *description.keywords]).lower()
        assert not re.search(r"[@#]|http|t\.co|acmeair", said), said


def test_phrases_need_a_twentieth_of_the_texts_and_at_least_two():
    texts = ["Dark mode please"] + [f"Export to CSV is missing column {n}" for n in range(40)]

    phrases = phrase_candidates(texts)

    assert "dark mode" not in phrases
    assert phrases["csv missing column"].share == 1 - 1 / 41
    assert phrases["csv missing column"].display == "CSV missing column"


def test_a_phrase_never_cuts_a_fixed_expression_its_texts_use():
    texts = ["Card declined for top up", "My card declined for top-up today", "card declined for top up again"]

    phrases = phrase_candidates(texts)

    assert "card declined" in phrases
    assert "card declined for top" not in phrases  # customers always wrote "top up"


def test_quotes_come_from_the_core_and_never_from_an_item_nearer_another_theme():
    # Theme 0: four members round axis 0 and one (row 4) that leans so far towards axis 1 that it is nearer
    # theme 1's centre. Theme 1: three members round axis 1.
    vectors = _unit([[1, 0.05, 0], [1, -0.05, 0.02], [1, 0, -0.05], [1, 0.02, 0.05], [0.45, 1, 0],
                     [0, 1, 0.05], [0.05, 1, 0], [0, 1, -0.05]])
    centres = _unit([vectors[:5].mean(axis=0), vectors[5:].mean(axis=0)])

    quotes = core_quote_indices(vectors[:5], centres, own=0)

    assert len(quotes) == 3
    assert 4 not in quotes
    assert core_quote_indices(vectors[4:5], centres, own=0) == []  # better no quote than a wrong one


def test_keywords_keep_the_negation_and_never_read_as_the_opposite():
    keywords = theme_keywords({1: NOT_WORKING_TEXTS + ["The card doesn't work abroad"], 2: FEE_TEXTS})

    assert "not working" in keywords[1]
    assert not {"card working", "card work", "working"} & set(keywords[1])


def test_a_name_says_what_the_theme_is_about_not_only_how_it_went():
    top_up = ["My top-up didn't work", "My top up is not working", "It looks like my top up didn't work",
              "Top up not working again"]

    described = _described({1: top_up, 2: NOT_WORKING_TEXTS, 3: FEE_TEXTS})

    assert "top" in described[1].name.lower()
    assert "card" in described[2].name.lower()


def test_when_it_happened_never_names_a_theme():
    texts = ["I sent money 3 days ago and it never arrived", "Sent it two days ago, recipient has nothing",
             "my transfer from days ago never arrived"]

    phrases = phrase_candidates(texts)

    assert not [phrase for phrase in phrases if {"days", "ago"} & {phrase.split()[0], phrase.split()[-1]}]
    assert "never arrived" in phrases
