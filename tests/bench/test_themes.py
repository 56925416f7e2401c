"""The theme benchmark's pure helpers: which texts a run takes, and how themes, quotes and names are scored."""

from collections import Counter

import numpy as np
import pytest

from bench.themes.data import Subset, _stratified, _young_product, sizes_parse, subset_rows
from bench.themes.scores import (
    UNSORTED,
    example_names,
    labels_unshuffled,
    majority_labels,
    name_label_cosine,
    order_stability,
    quote_purity,
    quote_rows_of_texts,
    theme_purity,
)
from voc.themes import clustering

# Four labels of 60, 30, 9 and 3 texts, interleaved as a real export would be.
GOLD = [label for _ in range(3) for label in ["a"] * 20 + ["b"] * 10 + ["c"] * 3 + ["d"]]


def test_a_stratified_limit_keeps_each_labels_share():
    rows = _stratified(GOLD, len(GOLD) // 3)

    assert rows == sorted(set(rows))
    assert Counter(GOLD[row] for row in rows) == {"a": 20, "b": 10, "c": 3, "d": 1}


def test_a_limit_at_or_above_the_data_set_keeps_everything_and_says_nothing():
    rows, described = subset_rows(Subset(limit=len(GOLD)), GOLD)

    assert rows == list(range(len(GOLD)))
    assert described == ""


def test_a_limit_below_the_data_set_says_so_in_the_name():
    rows, described = subset_rows(Subset(limit=20), GOLD)

    assert len(rows) == 20
    assert described == ", stratified subset of 20"


def test_intents_draws_k_labels_with_n_texts_each():
    rows = _young_product(GOLD, intents=2, per_intent=9)

    counts = Counter(GOLD[row] for row in rows)
    assert len(counts) == 2
    assert set(counts.values()) == {9}
    assert rows == sorted(set(rows))


def test_intents_draws_the_same_texts_every_time():
    assert _young_product(GOLD, intents=2, per_intent=9) == _young_product(GOLD, intents=2, per_intent=9)


def test_intents_only_draws_labels_that_have_enough_texts():
    rows = _young_product(GOLD, intents=3, per_intent=9)

    assert {GOLD[row] for row in rows} == {"a", "b", "c"}


def test_intents_asking_for_more_labels_than_have_enough_texts_exits_with_the_reason():
    with pytest.raises(SystemExit, match="only 2 labels have 10 texts or more"):
        _young_product(GOLD, intents=3, per_intent=10)


def test_the_young_product_subset_says_so_in_the_name():
    _, described = subset_rows(Subset(label="2x9", intents=2, per_intent=9), GOLD)

    assert described == ", young product: 2 intents x 9 texts"


def test_theme_purity_is_the_mean_majority_share_with_unsorted_items_left_out():
    gold = ["a", "a", "b", "b", "b", "b", "c", "c"]
    labels = [0, 0, 0, 1, 1, 1, UNSORTED, UNSORTED]

    assert theme_purity(gold, labels) == pytest.approx((2 / 3 + 1) / 2)


def test_theme_purity_of_nothing_but_unsorted_items_is_none():
    assert theme_purity(["a", "b"], [UNSORTED, UNSORTED]) is None


def test_quote_purity_counts_quotes_over_all_themes_against_their_themes_majority_label():
    gold = ["a", "a", "b", "b", "b", "b", "a"]
    labels = [0, 0, 0, 1, 1, 1, 1]

    # Theme 0 (majority a) quotes one a and one b; theme 1 (majority b) one b and one a.
    assert quote_purity(gold, labels, {0: [0, 2], 1: [3, 6]}) == pytest.approx(2 / 4)
    assert quote_purity(gold, labels, {0: [0, 1, 2], 1: [3]}) == pytest.approx(3 / 4)


def test_quote_purity_without_quotes_is_none():
    assert quote_purity(["a"], [0], {0: []}) is None


def test_a_majority_label_tie_goes_to_the_label_met_first():
    assert majority_labels(["b", "a", "a", "b"], [0, 0, 0, 0]) == {0: "b"}


def test_bertopic_quotes_map_to_the_first_row_with_that_text_in_that_topic():
    texts = ["card lost", "card lost", "card lost", "refund late", "hi"]
    labels = [1, 0, 0, 0, UNSORTED]

    rows = quote_rows_of_texts(texts, labels, {-1: ["hi"], 0: ["card lost", "refund late"], 1: ["card lost"]})

    assert rows == {0: [1, 3], 1: [0]}


def test_sizes_parse_reads_limits_young_products_and_all():
    assert sizes_parse("600, 1500,30X20,all") == [
        Subset(label="600", limit=600),
        Subset(label="1500", limit=1500),
        Subset(label="30x20", intents=30, per_intent=20),
        Subset(label="all"),
    ]


@pytest.mark.parametrize("value", ["600,lots", "600,", "0", "30x", "x20", "10x0", "-5"])
def test_a_bad_sizes_entry_exits_naming_the_entry_and_the_forms_it_takes(value):
    with pytest.raises(SystemExit, match=r"--sizes: '.*' is not a size; give a number of texts \(600\), 'all'"):
        sizes_parse(value)


def test_a_size_given_twice_exits_saying_so():
    with pytest.raises(SystemExit, match="'600' is given twice"):
        sizes_parse("600,all,600")


def test_labels_of_a_shuffled_run_go_back_to_their_original_rows():
    labels = [5, 6, 7, 8, 9]
    order = np.random.default_rng(1).permutation(len(labels))

    assert labels_unshuffled([labels[row] for row in order], order) == labels


def test_order_stability_ignores_theme_numbers_and_counts_names_that_came_back():
    first = {"labels": [0, 0, 1, 1, 2], "names": {0: "Card lost", 1: "Refund late", 2: "Top up"}}
    second = {"labels": [4, 4, 3, 3, 5], "names": {3: "Refund late", 4: "Card lost", 5: "Top up failed"}}

    stability = order_stability(first, second)

    assert stability["order_ari"] == pytest.approx(1.0)
    assert stability["order_same_names"] == pytest.approx(2 / 3)


def test_name_label_cosine_compares_each_name_with_its_majority_labels_text():
    directions = {"Card lost": [1.0, 0.0], "lost card": [2.0, 0.0], "Refund": [0.0, 1.0], "top up": [1.0, 1.0]}
    asked = []

    def encode(texts):
        asked.extend(texts)
        return np.array([directions[text] for text in texts])

    cosine = name_label_cosine({0: "Card lost", 1: "Refund"}, {0: "lost_card", 1: "top_up"}, encode=encode)

    assert cosine == pytest.approx((1.0 + np.sqrt(0.5)) / 2)
    assert "lost card" in asked


def test_example_names_show_one_theme_per_majority_label_up_to_the_count():
    names = {0: "Card lost", 1: "Lost my card", 2: "Refund", 3: "Top up"}
    majority = {0: "lost_card", 1: "lost_card", 2: "refund", 3: "top_up"}

    assert example_names(names, majority, count=2) == {"lost_card": "Card lost", "refund": "Refund"}


def test_the_bench_and_voc_agree_on_what_unsorted_is():
    assert UNSORTED == clustering.UNSORTED
