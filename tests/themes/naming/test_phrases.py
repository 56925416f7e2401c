"""Phrases customers wrote: negation kept and never counted for the opposite, fixed expressions whole."""


from tests.themes.naming import (
    NOT_WORKING_TEXTS,
)
from voc.themes.naming.phrases import phrase_candidates


def test_a_phrase_right_after_a_negation_does_not_count_for_the_opposite():
    phrases = phrase_candidates(NOT_WORKING_TEXTS)

    assert "card not working" in phrases
    assert "card working" not in phrases  # only ever said as "isn't my card working"


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


def test_when_it_happened_never_names_a_theme():
    texts = ["I sent money 3 days ago and it never arrived", "Sent it two days ago, recipient has nothing",
             "my transfer from days ago never arrived"]

    phrases = phrase_candidates(texts)

    assert not [phrase for phrase in phrases if {"days", "ago"} & {phrase.split()[0], phrase.split()[-1]}]
    assert "never arrived" in phrases


def test_does_not_is_read_as_doesnt_so_a_phrase_keeps_its_grammar():
    texts = ["My card payment does not work", "card payment does not work abroad", "Card payment did not work"]

    phrases = phrase_candidates(texts)

    assert "card payment doesn't work" in phrases
    assert not [phrase for phrase in phrases if "payment not work" in phrase]
